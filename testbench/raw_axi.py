"""A raw AXI4 manager: any burst a manager can put on the wires, legal or not.

cocotbext-axi's ``AxiMaster`` only issues what a well-behaved manager would (it splits bursts at
4 KiB boundaries, refuses ``AxSIZE`` wider than the bus, reports one response per transfer);
the bad-input fuzz needs the rest: any ``AxLEN``/``AxSIZE``/``AxBURST``, bursts across 4 KiB,
and every beat's own response. :class:`RawAxiManager` drives one port's signals directly, one
read and one write burst at a time, with optional random idle cycles on VALID and READY, and
measures how long the slave took to answer (not counting the cycles it held back itself).

It also offers ``read``/``write`` with the subset of ``AxiMaster``'s signature that
:class:`testbench.tb.TB` uses, so a testbench can be built on it (``TB(..., raw=True)``).
"""

from dataclasses import dataclass

import cocotb
from cocotb.triggers import RisingEdge

from ioc_defs.axi import WORD_BYTES, WORD_SIZE, AxiBurst

__all__ = ["RawAxiManager", "ReadResult", "WriteResult", "AxiHang"]



class AxiHang(AssertionError):
    """The slave did not answer a burst within the bound."""


@dataclass
class ReadResult:
    beats: list        # (rdata, rresp) per beat
    cycles: int        # from ARVALID to the last beat, minus the manager's own stalls
    data: bytes = b""
    resp: int = 0      # last non-OKAY beat response (as cocotbext-axi reports it)


@dataclass
class WriteResult:
    resp: int
    cycles: int


class RawAxiManager:
    """Drives the AXI4 port ``<prefix>_<signal>`` of ``dut``.

    Parameters
    ----------
    dut : cocotb handle
    prefix : str
        ``"s0_axi"`` for port 0.
    clock : cocotb handle
    bound : callable
        ``bound(beats)``: cycles after which a burst counts as hung (:class:`AxiHang`).
    """

    def __init__(self, dut, prefix, clock, *, bound=None):
        self._prefix = prefix
        self._s = lambda name: getattr(dut, f"{prefix}_{name}")
        self._clock = clock
        self._idle = self._backpressure = None
        self._bound = bound or (lambda beats: 64 + 16 * beats)
        self._read_lock, self._write_lock = cocotb.triggers.Lock(), cocotb.triggers.Lock()
        for name in ("awvalid", "wvalid", "bready", "arvalid", "rready"):
            self._s(name).value = 0
        for ch in ("aw", "ar"):
            for name, value in (("id", 0), ("addr", 0), ("len", 0), ("size", WORD_SIZE),
                                ("burst", AxiBurst.INCR), ("lock", 0), ("cache", 0), ("prot", 0)):
                self._s(ch + name).value = value
        self._s("wdata").value = 0
        self._s("wstrb").value = 0
        self._s("wlast").value = 0

    def set_idle_generator(self, generator=None):
        """Hold W's VALID low in the cycles where ``generator`` (an iterator of bools, as a
        cocotbext-axi pause generator) yields ``True``; ``None`` removes it."""
        self._idle = generator

    def set_backpressure_generator(self, generator=None):
        """Hold R's and B's READY low in the cycles where ``generator`` yields ``True``."""
        self._backpressure = generator

    @staticmethod
    def _paused(generator):
        return generator is not None and next(generator)

    async def read_burst(self, addr, length, *, size=WORD_SIZE, burst=AxiBurst.INCR, lock=0,
                         prot=0, id=0):
        """One read burst of ``length + 1`` beats; returns a :class:`ReadResult`."""
        async with self._read_lock:
            s = self._s
            for name, value in (("id", id), ("addr", addr), ("len", length), ("size", size),
                                ("burst", burst), ("lock", lock), ("prot", prot)):
                s("ar" + name).value = value
            s("arvalid").value = 1
            ar_done, beats, cycles, stalls = False, [], 0, 0
            ready = False
            while len(beats) < length + 1:
                await RisingEdge(self._clock)
                cycles += 1
                if not ar_done and int(s("arready").value):
                    ar_done = True
                    s("arvalid").value = 0
                if ready and int(s("rvalid").value):
                    beats.append((int(s("rdata").value), int(s("rresp").value)))
                    if len(beats) == length + 1:
                        break
                ready = not self._paused(self._backpressure)
                stalls += not ready
                s("rready").value = int(ready)
                if cycles - stalls > self._bound(length + 1):
                    raise AxiHang(f"{self._prefix}: read burst at {addr:#x} (len "
                                  f"{length}) unanswered after {cycles} cycles")
            s("rready").value = 0
            data = b"".join(d.to_bytes(4, "little") for d, _ in beats)
            worst = 0
            for _, r in beats:
                worst = r if r else worst
            return ReadResult(beats, cycles - stalls, data, worst)

    async def write_burst(self, addr, beats, *, size=WORD_SIZE, burst=AxiBurst.INCR, lock=0,
                          prot=0, id=0, length=None):
        """One write burst of the ``(wdata, wstrb)`` ``beats`` (``AxLEN`` = ``length``, by
        default ``len(beats) - 1``); returns a :class:`WriteResult`."""
        length = len(beats) - 1 if length is None else length
        async with self._write_lock:
            s = self._s
            for name, value in (("id", id), ("addr", addr), ("len", length), ("size", size),
                                ("burst", burst), ("lock", lock), ("prot", prot)):
                s("aw" + name).value = value
            s("awvalid").value = 1
            aw_done, sent, cycles, stalls = False, 0, 0, 0
            w_valid = b_ready = False

            def drive_w(accepted=True):
                nonlocal w_valid
                if w_valid and not accepted:
                    return  # a VALID stays high until its handshake
                w_valid = sent < len(beats) and not self._paused(self._idle)
                if w_valid:
                    s("wdata").value, s("wstrb").value = beats[sent]
                    s("wlast").value = int(sent == len(beats) - 1)
                s("wvalid").value = int(w_valid)

            drive_w()
            while True:
                await RisingEdge(self._clock)
                cycles += 1
                if not aw_done and int(s("awready").value):
                    aw_done = True
                    s("awvalid").value = 0
                accepted = w_valid and int(s("wready").value)
                if accepted:
                    sent += 1
                elif not w_valid and sent < len(beats):
                    stalls += 1
                if b_ready and int(s("bvalid").value):
                    resp = int(s("bresp").value)
                    break
                drive_w(accepted)
                b_ready = not self._paused(self._backpressure)
                stalls += not b_ready
                s("bready").value = int(b_ready)
                if cycles - stalls > self._bound(len(beats)):
                    raise AxiHang(f"{self._prefix}: write burst at {addr:#x} (len "
                                  f"{length}) unanswered after {cycles} cycles")
            s("bready").value = 0
            s("wvalid").value = 0
            return WriteResult(resp, cycles - stalls)

    # -- the subset of cocotbext-axi's AxiMaster that testbench.tb.TB uses ------------------------

    async def read(self, address, length, *, arid=0, prot=0, lock=0, size=WORD_SIZE):
        """Reads of whole words (or one narrow beat), in bursts of up to 256 beats."""
        beats = (max(1, (address % WORD_BYTES + length + WORD_BYTES - 1) // WORD_BYTES)
                 if size == WORD_SIZE else 1)
        data, resp, result = b"", 0, None
        for start in range(0, beats, 256):
            result = await self.read_burst(address + 4 * start, min(256, beats - start) - 1,
                                           size=size, lock=int(lock), prot=int(prot), id=arid)
            data += result.data
            resp = result.resp or resp
        result.data, result.resp = data[address % 4:address % 4 + length], resp
        return result

    async def write(self, address, data, *, awid=0, prot=0, lock=0, size=WORD_SIZE):
        """Whole-word-aligned or sub-word writes, in bursts of up to 256 beats."""
        resp = 0
        offset = address % 4
        padded = bytes(offset) + bytes(data) + bytes(-(offset + len(data)) % 4)
        strb = [0] * (len(padded) // 4)
        for i in range(offset, offset + len(data)):
            strb[i // 4] |= 1 << i % 4
        words = [(int.from_bytes(padded[i:i + 4], "little"), strb[i // 4])
                 for i in range(0, len(padded), 4)]
        base = address - offset
        for start in range(0, len(words), 256):
            w = await self.write_burst(base + 4 * start, words[start:start + 256], size=size,
                                       lock=int(lock), prot=int(prot), id=awid)
            resp = w.resp or resp
        return WriteResult(resp, 0)
