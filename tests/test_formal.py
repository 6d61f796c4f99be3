"""Formal properties (verify/formal): in simulation, proven by SymbiYosys, and caught bugs.

The property modules are ordinary Amaranth; the first tests run them in ``amaranth.sim`` next to
random stimulus, so a violated ``Assert`` fails a simulation too. The ``formal`` tests run the
SymbiYosys jobs of :mod:`verify.formal.jobs`: every proof must pass, every cover must be
reached, and every seeded bug must make its proof fail with a counterexample.
"""

import random

import pytest
from simutil import simulate

from rtl.params import IocParams
from verify.formal.core import FormalTop
from verify.formal.llsc import LlScProperties
from verify.formal.llsc import make_dut as make_llsc

P_SIM = IocParams(n_agents=3, shm_bytes=64, granule_log2=3)


def _drive_llsc(top, seed, cycles=600):
    """Dense random monitor traffic on a few granules, with random clears and resets."""
    dut = top.dut
    rng = random.Random(seed)

    async def testbench(ctx):
        for _ in range(cycles):
            kind = rng.choice(["ll", "sc", "store", "read", None])
            ctx.set(dut.valid, kind is not None)
            ctx.set(dut.agent, rng.randrange(P_SIM.n_agents))
            ctx.set(dut.addr, rng.choice([0x0, 0x4, 0x8, 0x20]))
            for k in ("ll", "sc", "store"):
                ctx.set(getattr(dut, k), kind == k)
            ctx.set(dut.clear, rng.getrandbits(P_SIM.n_agents) if rng.random() < 0.1 else 0)
            await ctx.tick()
    return testbench


def test_llsc_properties_hold_in_simulation():
    top = FormalTop(make_llsc(P_SIM), LlScProperties)
    simulate(top, _drive_llsc(top, seed=1), name="formal_llsc_props_sim")


@pytest.mark.parametrize("bug", ["store_does_not_conflict", "clear_loses_to_sc"])
def test_llsc_properties_fail_a_simulation_of_a_bug(bug):
    top = FormalTop(make_llsc(P_SIM, bug), LlScProperties)
    with pytest.raises(AssertionError, match="Assertion violated"):
        simulate(top, _drive_llsc(top, seed=1), name=f"formal_llsc_props_sim_{bug}")
