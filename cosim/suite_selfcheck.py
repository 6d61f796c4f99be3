"""cocotb suite: stimulus for the checkers' own negative controls (``tests/test_cosim.py``).

Bursts whose decoding a front end could get wrong without any answer telling (an exclusive
burst, narrow INCR bursts), checked only by the scoreboard and the AXI checkers at the end. On
the real RTL it passes; on a build with a seeded front-end decode bug the scoreboard, which
predicts every access from the pins, must fail it.
"""

import cocotb

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
