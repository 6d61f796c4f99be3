"""8N1 UART receiver and transmitter with a fixed clock divisor."""

from amaranth import Cat, Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

__all__ = ["UartRx", "UartTx"]


def _check_divisor(divisor):
    if not isinstance(divisor, int) or isinstance(divisor, bool):
        raise TypeError(f"divisor must be an integer >= 4, not {divisor!r}")
    if divisor < 4:
        raise ValueError(f"divisor must be an integer >= 4, not {divisor!r}")
    return divisor


class _UartSide(wiring.Component):
    """What the receiver and the transmitter share: the bit period in clock cycles."""

    def __init__(self, divisor):
        self._divisor = _check_divisor(divisor)
        super().__init__()

    @property
    def divisor(self):
        return self._divisor


class UartRx(_UartSide):
    """8N1 receiver: one start bit, 8 data bits LSB first, one stop bit.

    The line is synchronized (two flip-flops), a start bit is confirmed at its middle and every
    bit is sampled at its middle. A stop bit that reads 0 is a framing error: the byte is
    dropped, ``err`` pulses, and reception resumes only after the line has gone back to idle
    (high), so a held-low line (a break) gives one error, not a stream of them.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit (clock frequency / baud rate), at least 4.

    Members
    -------
    rx : In(1)
        The serial line (asynchronous; idle high).
    data : Out(8)
        The received byte, valid only in the cycle ``valid`` is high.
    valid : Out(1)
        Pulses for one cycle when a byte has been received.
    err : Out(1)
        Pulses for one cycle on a framing error.
    """
    rx: In(1, init=1)
    data: Out(8)
    valid: Out(1)
    err: Out(1)

    def elaborate(self, platform):
        m = Module()
        line = Signal(init=1)
        m.submodules.sync = FFSynchronizer(self.rx, line, init=1)

        timer = Signal(range(self._divisor))
        bits = Signal(range(8))
        shreg = Signal(8)
        m.d.comb += self.data.eq(shreg)
        with m.If(timer != 0):
            m.d.sync += timer.eq(timer - 1)

        with m.FSM():
            with m.State("IDLE"):
                with m.If(~line):
                    m.d.sync += timer.eq(self._divisor // 2 - 1)
                    m.next = "START"
            with m.State("START"):
                with m.If(timer == 0):
                    with m.If(line):
                        m.next = "IDLE"  # a glitch, not a start bit
                    with m.Else():
                        m.d.sync += [timer.eq(self._divisor - 1), bits.eq(0)]
                        m.next = "DATA"
            with m.State("DATA"):
                with m.If(timer == 0):
                    m.d.sync += [shreg.eq(Cat(shreg[1:], line)), timer.eq(self._divisor - 1),
                                 bits.eq(bits + 1)]
                    with m.If(bits == 7):
                        m.next = "STOP"
            with m.State("STOP"):
                with m.If(timer == 0):
                    with m.If(line):
                        m.d.comb += self.valid.eq(1)
                        m.next = "IDLE"
                    with m.Else():
                        m.d.comb += self.err.eq(1)
                        m.next = "BREAK"
            with m.State("BREAK"):
                with m.If(line):
                    m.next = "IDLE"
        return m


class UartTx(_UartSide):
    """8N1 transmitter.

    Parameters
    ----------
    divisor : int
        Clock cycles per bit (clock frequency / baud rate), at least 4.

    Members
    -------
    data : In(8)
        Byte to send, sampled in the cycle ``valid`` and ``ready`` are both high.
    valid : In(1)
        ``data`` is to be sent.
    ready : Out(1)
        The transmitter is idle and takes ``data`` in this cycle if ``valid``.
    tx : Out(1)
        The serial line (idle high).
    """
    data: In(8)
    valid: In(1)
    ready: Out(1)
    tx: Out(1, init=1)

    def elaborate(self, platform):
        m = Module()
        timer = Signal(range(self._divisor))
        left = Signal(range(11))        # bits still to send, start and stop included
        shreg = Signal(10, init=1)      # LSB is on the line
        m.d.comb += [self.tx.eq(shreg[0]), self.ready.eq(left == 0)]
        with m.If(self.valid & self.ready):
            m.d.sync += [shreg.eq(Cat(Const(0, 1), self.data, Const(1, 1))), left.eq(10),
                         timer.eq(self._divisor - 1)]
        with m.Elif(left != 0):
            with m.If(timer == 0):
                m.d.sync += [shreg.eq(Cat(shreg[1:], Const(1, 1))), left.eq(left - 1),
                             timer.eq(self._divisor - 1)]
            with m.Else():
                m.d.sync += timer.eq(timer - 1)
        return m
