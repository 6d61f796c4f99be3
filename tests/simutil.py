"""Running amaranth.sim testbenches the same way in every unit test."""

import os
from pathlib import Path

from amaranth.sim import Simulator

__all__ = ["simulate", "run", "WAVES_DIR"]

WAVES_DIR = Path(__file__).resolve().parent.parent / "build" / "waves"


def simulate(dut, *testbenches, name, clock=1e-6):
    """Run ``testbenches`` (``async def tb(ctx)``) on ``dut`` with a ``sync`` clock.

    With ``WAVES=1`` in the environment the run is recorded to ``build/waves/<name>.vcd``.
    """
    sim = Simulator(dut)
    sim.add_clock(clock)
    for testbench in testbenches:
        sim.add_testbench(testbench)
    run(sim, name)


def run(sim, name):
    """Run a prepared simulator, recording ``build/waves/<name>.vcd`` when ``WAVES=1``."""
    if os.environ.get("WAVES") == "1":
        WAVES_DIR.mkdir(parents=True, exist_ok=True)
        with sim.write_vcd(str(WAVES_DIR / f"{name}.vcd")):
            sim.run()
    else:
        sim.run()
