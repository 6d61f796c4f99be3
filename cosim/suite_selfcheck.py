"""cocotb suite: stimulus for the checkers' own negative controls (``tests/test_cosim.py``).

Bursts whose decoding a front end could get wrong without any answer telling (an exclusive
burst, narrow INCR bursts), and answers only the pins show (refused bursts, the R queue under
back-pressure), checked only by the scoreboard and the AXI checkers at the end. On the real RTL
it passes; on a build with a seeded front-end bug the scoreboard, which predicts every access
and every answer from the pins, must fail it.
"""

import itertools

import cocotb

from ioc_defs.axi import AxiBurst
from testbench.tb import EXCL, TB


@cocotb.test()
async def bursts_only_the_scoreboard_checks(dut):
    """An exclusive read and write burst, byte and half-word INCR bursts, a plain LL/SC pair."""
    tb = TB.from_env(dut, raw=True)
    await tb.start()
    m = tb.masters[0]
    await m.read_burst(0x100, 1, lock=EXCL)
    await m.write_burst(0x100, [(0x1111_1111, 0xF), (0x2222_2222, 0xF)], lock=EXCL)
    await m.write_burst(0x141, [(0xAB << 8, 0b0010), (0xCD << 16, 0b0100)], size=0)
    await m.read_burst(0x140, 3, size=1)
    await m.read_burst(0x180, 0, lock=EXCL)
    await m.write_burst(0x180, [(0x3333_3333, 0xF)], lock=EXCL)
    await tb.finish()


@cocotb.test()
async def answers_only_the_pins_show(dut):
    """Refused bursts (an unmapped read, a WRAP read, a write leaving the shared RAM), which
    the front end answers itself with a ``bus_error`` pulse each beat, and a long read burst
    under RREADY back-pressure, whose beats wait in the R queue."""
    tb = TB.from_env(dut, raw=True)
    await tb.start()
    m = tb.masters[0]
    await m.write_burst(0x200, [(0x1000_0001 << i & 0xFFFF_FFFF, 0xF) for i in range(8)])
    await m.read_burst(0x0002_0000, 3)
    await m.read_burst(0x200, 1, burst=AxiBurst.WRAP)
    await m.write_burst(tb.params.shm_bytes - 4, [(1, 0xF), (2, 0xF)])
    tb.set_backpressure_generator(lambda: itertools.cycle([True, True, True, False]))
    await m.read_burst(0x200, 7)
    tb.set_backpressure_generator(None)
    await tb.finish()
