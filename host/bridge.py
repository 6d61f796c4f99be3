"""Host-side client of the UART-to-AXI4 bridge (protocol in :mod:`rtl.fpga.uart_axi`).

The client is async and talks to a *transport* (``await send(data)``, ``await recv(n)``), so the
same code drives the bridge on a board (:class:`SerialTransport`, a POSIX serial port) and in
simulation (:class:`SimTransport`, bit-banging the UART lines in ``amaranth.sim``).

Example, with an iCEBreaker on ``/dev/ttyUSB1``::

    import asyncio
    from host.bridge import BridgeClient, SerialTransport

    async def main():
        with SerialTransport("/dev/ttyUSB1") as port:
            ioc = BridgeClient(port)
            await ioc.write(0x100, [0x1234_5678], agent=0)
            print(await ioc.read(0x100, agent=1))            # [(AxiResp.OKAY, 0x12345678)]
            value, ok = await ioc.movli(0x100, agent=0)      # exclusive read
            print(await ioc.movco(0x100, value + 1, agent=0))  # True: EXOKAY

    asyncio.run(main())
"""

import asyncio
import os
import select
import struct
from collections import deque
from dataclasses import dataclass

from ioc_defs.axi import WORD_SIZE, AxiBurst, AxiResp
from ioc_defs.bridge import REPLY_SYNC, REQ_SYNC, BridgeOp, BridgeStatus

__all__ = ["BridgeError", "WriteResult", "encode_request", "BridgeClient", "SerialTransport",
           "SimTransport"]


class BridgeError(Exception):
    """The bridge refused a request, or its reply is malformed."""


@dataclass(frozen=True)
class WriteResult:
    """Reply to a write: bridge status, B response and B ID."""
    status: BridgeStatus
    resp: AxiResp
    id: int


def encode_request(op, *, agent=0, addr=0, length=0, lock=False, prot=0, cache=0, size=WORD_SIZE,
                   burst=AxiBurst.INCR, id=0, beats=()):
    """Bytes of one request. ``beats`` is a sequence of ``(wstrb, wdata)`` for a WRITE.

    ``op`` may be any 2-bit value, so that the bridge's refusal of an invalid one can be tested.
    """
    if op not in range(4):
        raise ValueError(f"op must be from 0 to 3, not {op!r}")
    if op == BridgeOp.WRITE and len(beats) != length + 1:
        raise ValueError(f"a write of length {length} needs {length + 1} beats, "
                         f"not {len(beats)}")
    header = struct.pack("<BBBBBBIB", REQ_SYNC, op | (int(lock) << 2), agent,
                         (prot & 0x7) | ((cache & 0xF) << 4), (size & 0x7) | ((burst & 0x3) << 4),
                         id, addr, length)
    return header + b"".join(struct.pack("<BI", strb, word) for strb, word in beats)


class BridgeClient:
    """Async client of the bridge: one request at a time.

    Parameters
    ----------
    transport
        Object with ``async send(data: bytes)`` and ``async recv(n) -> bytes``.
    """

    def __init__(self, transport):
        self._transport = transport

    async def _status(self):
        sync, status = await self._transport.recv(2)
        if sync != REPLY_SYNC:
            raise BridgeError(f"reply starts with {sync:#04x}, not {REPLY_SYNC:#04x}")
        return BridgeStatus(status)

    async def request(self, op, **fields):
        """Send one request (fields as :func:`encode_request`) and return its decoded reply:
        a list of ``(rresp, rdata, rlast, rid)`` for a READ, a :class:`WriteResult` for a
        WRITE, ``None`` for a CLEAR.

        Raises
        ------
        BridgeError
            The bridge answered BAD_HEADER, BAD_AGENT or TRUNCATED.
        """
        await self._transport.send(encode_request(op, **fields))
        status = await self._status()
        if status not in (BridgeStatus.OK, BridgeStatus.ABORTED):
            raise BridgeError(f"bridge refused the request: {status.name}")
        if op == BridgeOp.READ:
            beats = []
            for _ in range(fields.get("length", 0) + 1):
                flags, rid, rdata = struct.unpack("<BBI", await self._transport.recv(6))
                beats.append((AxiResp(flags & 3), rdata, bool(flags & 4), rid))
            return beats
        if op == BridgeOp.WRITE:
            bresp, bid = await self._transport.recv(2)
            return WriteResult(status, AxiResp(bresp & 3), bid)
        return None

    async def read(self, addr, beats=1, *, agent, priv=False, prot=0, **fields):
        """Read ``beats`` words (an INCR burst); returns ``[(rresp, rdata), ...]``.
        ``priv`` sets AxPROT[0]; other fields as :func:`encode_request`."""
        answer = await self.request(BridgeOp.READ, agent=agent, addr=addr, length=beats - 1,
                                    prot=prot | int(priv), **fields)
        return [(resp, data) for resp, data, _last, _id in answer]

    async def write(self, addr, words, *, agent, strb=0xF, priv=False, prot=0, **fields):
        """Write ``words`` (an INCR burst, the same ``strb`` on every beat); returns the
        :class:`WriteResult`. ``priv`` sets AxPROT[0]; other fields as :func:`encode_request`."""
        return await self.request(BridgeOp.WRITE, agent=agent, addr=addr,
                                  length=len(words) - 1, prot=prot | int(priv),
                                  beats=[(strb, w) for w in words], **fields)

    async def clear(self, agent):
        """Pulse ``resv_clear[agent]`` (as if the agent took an interrupt)."""
        await self.request(BridgeOp.CLEAR, agent=agent)

    async def movli(self, addr, *, agent, priv=False):
        """Load-linked (exclusive read): ``(value, resp == EXOKAY)``."""
        [(resp, data)] = await self.read(addr, agent=agent, priv=priv, lock=True)
        return data, resp == AxiResp.EXOKAY

    async def movco(self, addr, value, *, agent, priv=False):
        """Store-conditional (exclusive write): ``True`` if it succeeded (EXOKAY)."""
        result = await self.write(addr, [value], agent=agent, priv=priv, lock=True)
        return result.resp == AxiResp.EXOKAY


class SerialTransport:
    """A POSIX serial port in raw 8N1 mode (Linux, macOS), without third-party packages.

    Parameters
    ----------
    path : str
        Device, e.g. ``/dev/ttyUSB1`` (the iCEBreaker's second FTDI channel) or
        ``/dev/ttyUSB0`` (ULX3S).
    baud : int
        Baud rate; the board tops use 115200.
    timeout : float
        Seconds :meth:`recv` waits for a byte before it raises :class:`TimeoutError`.
    """

    def __init__(self, path, baud=115200, *, timeout=1.0):
        import termios
        speed = getattr(termios, f"B{baud}", None)
        if speed is None:
            raise ValueError(f"baud {baud!r} is not a standard rate of this system")
        self._timeout = timeout
        self._fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        attrs = termios.tcgetattr(self._fd)
        attrs[0] = 0                                                     # iflag
        attrs[1] = 0                                                     # oflag
        attrs[2] = termios.CS8 | termios.CREAD | termios.CLOCAL          # cflag
        attrs[3] = 0                                                     # lflag
        attrs[4] = attrs[5] = speed
        termios.tcsetattr(self._fd, termios.TCSANOW, attrs)
        termios.tcflush(self._fd, termios.TCIOFLUSH)

    def close(self):
        os.close(self._fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _recv(self, n):
        data = b""
        while len(data) < n:
            ready, _, _ = select.select([self._fd], [], [], self._timeout)
            if not ready:
                raise TimeoutError(f"no reply from the bridge after {data!r}")
            data += os.read(self._fd, n - len(data))
        return data

    async def send(self, data):
        await asyncio.to_thread(os.write, self._fd, bytes(data))

    async def recv(self, n):
        return await asyncio.to_thread(self._recv, n)


class SimTransport:
    """The host end of the bridge's UART lines in an ``amaranth.sim`` testbench.

    :meth:`monitor` must run as a background testbench (``sim.add_testbench(monitor,
    background=True)``); it decodes what
    the bridge sends on ``tx``. :meth:`bind` gives the transport for a testbench's ``ctx``.

    Parameters
    ----------
    rx, tx : Signal
        The bridge's ``rx`` (driven here) and ``tx`` (decoded here).
    divisor : int
        Clock cycles per bit.
    timeout_cycles : int
        Cycles :meth:`recv` waits for a byte before it raises :class:`TimeoutError`.
    """

    def __init__(self, rx, tx, divisor, *, timeout_cycles=100_000):
        self.rx, self.tx, self.divisor = rx, tx, divisor
        self.timeout_cycles = timeout_cycles
        self.received = deque()
        self.framing_errors = 0
        self._ctx = None

    async def monitor(self, ctx):
        """Background testbench decoding the ``tx`` line into :attr:`received`."""
        while True:
            await ctx.tick()
            if ctx.get(self.tx):
                continue
            await self._ticks(ctx, self.divisor // 2)
            byte = 0
            for bit in range(8):
                await self._ticks(ctx, self.divisor)
                byte |= ctx.get(self.tx) << bit
            await self._ticks(ctx, self.divisor)
            if ctx.get(self.tx):
                self.received.append(byte)
            else:
                self.framing_errors += 1
                while not ctx.get(self.tx):
                    await ctx.tick()

    @staticmethod
    async def _ticks(ctx, count):
        # Plain awaits: a background testbench can be left suspended at the end of simulation.
        for _ in range(count):
            await ctx.tick()

    def bind(self, ctx):
        """Use the testbench context ``ctx`` for :meth:`send` and :meth:`recv`."""
        self._ctx = ctx
        return self

    async def send_bits(self, bits):
        """Drive ``bits`` (0/1, one bit time each) on ``rx``; then leave the line idle."""
        for bit in bits:
            self._ctx.set(self.rx, bit)
            await self._ticks(self._ctx, self.divisor)
        self._ctx.set(self.rx, 1)

    async def send(self, data, *, stop_bit=1):
        for byte in bytes(data):
            await self.send_bits([0, *((byte >> i) & 1 for i in range(8)), stop_bit])

    async def recv(self, n):
        waited = 0
        while len(self.received) < n:
            if waited == self.timeout_cycles:
                raise TimeoutError(f"no reply from the bridge after {list(self.received)}")
            await self._ctx.tick()
            waited += 1
        return bytes(self.received.popleft() for _ in range(n))
