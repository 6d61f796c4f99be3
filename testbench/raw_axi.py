"""A raw AXI4 manager: any burst a manager can put on the wires, legal or not.

cocotbext-axi's ``AxiMaster`` only issues what a well-behaved manager would (it splits bursts at
4 KiB boundaries, refuses ``AxSIZE`` wider than the bus, reports one response per transfer);
the bad-input fuzz needs the rest: any ``AxLEN``/``AxSIZE``/``AxBURST``, bursts across 4 KiB,
and every beat's own response. :class:`RawAxiManager` is built on cocotbext-axi's channel
sources and sinks (AW, W and AR sources, B and R sinks, which take any field values), one read
and one write burst at a time, with their pause generators for random idle cycles on VALID and
READY; it measures how long the slave took to answer (not counting the cycles it held back
itself) and calls a burst hung after a bound.

It also offers ``read``/``write`` with the subset of ``AxiMaster``'s signature that
:class:`testbench.tb.TB` uses, so a testbench can be built on it (``TB(..., raw=True)``).
"""

from dataclasses import dataclass

import cocotb
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiBus
from cocotbext.axi.axi_channels import (
    AxiARSource,
    AxiARTransaction,
    AxiAWSource,
    AxiAWTransaction,
    AxiBSink,
    AxiRSink,
    AxiWSource,
    AxiWTransaction,
)

from ioc_defs.axi import WORD_BYTES, WORD_SIZE, AxiBurst

__all__ = ["RawAxiManager", "ReadResult", "WriteResult", "AxiHang"]


#: A burst counts as hung after this many times its bound in all, the manager's stalls too.
_STALL_CAP = 64


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
        self._pin = lambda name: int(getattr(dut, f"{prefix}_{name}").value)
        self._clock = clock
        self._bound = bound or (lambda beats: 64 + 16 * beats)
        self._read_lock, self._write_lock = cocotb.triggers.Lock(), cocotb.triggers.Lock()
        self._pausers = {}
        bus = AxiBus.from_prefix(dut, prefix)
        self._aw, self._w = AxiAWSource(bus.write.aw, clock), AxiWSource(bus.write.w, clock)
        self._b = AxiBSink(bus.write.b, clock)
        self._ar, self._r = AxiARSource(bus.read.ar, clock), AxiRSink(bus.read.r, clock)
        # the sources start their payload signals at X; idle, they show a plain INCR word burst
        self._aw.bus.drive(AxiAWTransaction(awsize=WORD_SIZE, awburst=AxiBurst.INCR))
        self._ar.bus.drive(AxiARTransaction(arsize=WORD_SIZE, arburst=AxiBurst.INCR))
        self._w.bus.drive(AxiWTransaction())

    def set_idle_generator(self, generator=None):
        """Hold W's VALID low in the cycles where ``generator`` (an iterator of bools, a
        cocotbext-axi pause generator) yields ``True``; ``None`` removes it."""
        self._pause("idle", (self._w,), generator)

    def set_backpressure_generator(self, generator=None):
        """Hold R's and B's READY low in the cycles where ``generator`` yields ``True``."""
        self._pause("backpressure", (self._r, self._b), generator)

    def _pause(self, side, channels, generator):
        """Drive the ``pause`` of ``channels`` from one draw of ``generator`` per cycle (each
        channel's own pause generator would draw from a shared iterator in turn, splitting
        its pattern between them)."""
        task = self._pausers.pop(side, None)
        if task is not None:
            task.cancel()
        for channel in channels:
            channel.pause = False
        if generator is not None:
            self._pausers[side] = cocotb.start_soon(self._run_pause(channels, generator))

    async def _run_pause(self, channels, generator):
        for paused in generator:
            for channel in channels:
                channel.pause = paused
            await RisingEdge(self._clock)

    async def _wait(self, what, addr, length, valid, step):
        """Count the cycles from the first in which the address channel's ``valid`` shows
        until ``step()`` (called in each of them) says the burst is done, less those it says
        the manager held back: ``step()`` returns ``(done, stalled)``. Raise
        :class:`AxiHang` past the bound. Pins are read at each rising edge, as the channel
        sinks sample them."""
        cycles = stalls = before = 0
        while True:
            await RisingEdge(self._clock)
            if not cycles and not self._pin(valid):
                before += 1
                if before > self._bound(length + 1):
                    raise AxiHang(f"{self._prefix}: the {what} burst at {addr:#x} never "
                                  f"showed its VALID")
                continue
            cycles += 1
            done, stalled = step()
            if done:
                return cycles - stalls
            stalls += stalled
            # (the cap on all cycles stops a test whose own stalls never end)
            if cycles - stalls > self._bound(length + 1) or \
                    cycles > _STALL_CAP * self._bound(length + 1):
                raise AxiHang(f"{self._prefix}: {what} burst at {addr:#x} (len {length}) "
                              f"unanswered after {cycles} cycles")

    async def read_burst(self, addr, length, *, size=WORD_SIZE, burst=AxiBurst.INCR, lock=0,
                         prot=0, id=0):
        """One read burst of ``length + 1`` beats; returns a :class:`ReadResult`."""
        async with self._read_lock:
            assert self._r.empty(), f"{self._prefix}: an R beat came without a read burst"
            await self._ar.send(AxiARTransaction(arid=id, araddr=addr, arlen=length,
                                                 arsize=size, arburst=burst, arlock=lock,
                                                 arprot=prot))
            left = length + 1

            def step():
                nonlocal left
                left -= self._pin("rvalid") and self._pin("rready")
                return not left, not self._pin("rready")

            cycles = await self._wait("read", addr, length, "arvalid", step)
            beats = [(int(t.rdata), int(t.rresp))
                     for t in [await self._r.recv() for _ in range(length + 1)]]
            data = b"".join(d.to_bytes(4, "little") for d, _ in beats)
            worst = 0
            for _, r in beats:
                worst = r if r else worst
            return ReadResult(beats, cycles, data, worst)

    async def write_burst(self, addr, beats, *, size=WORD_SIZE, burst=AxiBurst.INCR, lock=0,
                          prot=0, id=0, length=None):
        """One write burst of the ``(wdata, wstrb)`` ``beats`` (``AxLEN`` = ``length``, by
        default ``len(beats) - 1``); returns a :class:`WriteResult`. Beats the slave did not
        take before its B are dropped."""
        length = len(beats) - 1 if length is None else length
        async with self._write_lock:
            assert self._b.empty(), f"{self._prefix}: a B came without a write burst"
            await self._aw.send(AxiAWTransaction(awid=id, awaddr=addr, awlen=length,
                                                 awsize=size, awburst=burst, awlock=lock,
                                                 awprot=prot))
            for i, (data, strb) in enumerate(beats):
                await self._w.send(AxiWTransaction(wdata=data, wstrb=strb,
                                                   wlast=int(i == len(beats) - 1)))
            sent = 0

            def step():  # stalled: W idle with beats to send, or B held back
                nonlocal sent
                sent += self._pin("wvalid") and self._pin("wready")
                stalled = (not self._pin("wvalid") and sent < len(beats)) + \
                    (not self._pin("bready"))
                return self._pin("bvalid") and self._pin("bready"), stalled

            cycles = await self._wait("write", addr, length, "awvalid", step)
            self._w.clear()
            return WriteResult(int((await self._b.recv()).bresp), cycles)

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
