"""cocotb suite: LL/SC forward progress (SPEC §3.3) with every agent contending for one word.

Every agent runs the same increment loop through its own AXI master: LL the counter, SC the
counter plus one, retry on failure. In lockstep (every agent retries at once) the plain monitor
lets one agent win every time; with the forward-progress holds (``resv_hold_cycles`` > 0) each
agent must fail at most ``n_agents - 1`` SCs in a row and get its fair share of the increments
within a factor of two. With random think times between loops, the same. Nothing may be lost:
the counter ends equal to the number of successful SCs.

A third test passes a spin lock around (test-and-set by LL/SC; a taken lock is polled by LLs
that no SC follows; released by a plain store): with the window, every agent must get its fair
share of the lock within a factor of two. The spinners' LLs take holds too, so this checks that
the holds still go to the longest waiter when most LLs are not followed by an SC (a rule that
forgot an agent's wait whenever one of its spinning LLs took a hold gave the lock to the
releaser and one other agent: ``tests/test_cosim.py`` runs that seeded bug).

Each test records per-agent successes, failures and the longest run of failures
(``tests/test_cosim.py`` also runs the suite with the window at 0, where the starvation must
reappear: the negative control). The scoreboard checks the holds cycle by cycle meanwhile.
"""

import random

import cocotb
from cocotb.triggers import Combine

from ioc_defs.axi import AxiResp
from ioc_defs.params import SHM_BASE
from testbench.bus_port import CocotbLink
from testbench.tb import TB

COUNTER = SHM_BASE + 0x40
LOCK = SHM_BASE + 0x80
#: Simulated cycles every agent loops for.
CYCLES = 3000


async def _loop(tb, agent, stats, think, rng):
    link = CocotbLink(tb, agent)
    run = 0
    while tb.cycle < CYCLES:
        value, resp = await link.read(COUNTER, excl=True)
        assert resp == AxiResp.EXOKAY, f"agent {agent}: LL answered {resp!r}"
        if await link.write(COUNTER, value + 1, excl=True) == AxiResp.EXOKAY:
            stats["ok"][agent] += 1
            run = 0
        else:
            stats["fail"][agent] += 1
            run += 1
            stats["worst_run"][agent] = max(stats["worst_run"][agent], run)
        if think:
            await link.tick(rng.randrange(think + 1))


async def _contend(dut, think):
    tb = TB.from_env(dut)
    await tb.start()
    n = tb.params.n_agents
    stats = {key: [0] * n for key in ("ok", "fail", "worst_run")}
    rng = random.Random(tb.rng.random())
    await Combine(*(cocotb.start_soon(_loop(tb, k, stats, think, rng)) for k in range(n)))
    counter, _ = await CocotbLink(tb, 0).read(COUNTER)
    assert counter == sum(stats["ok"]), f"lost updates: counter {counter}, {stats}"
    tb.record(test="progress", think=think, window=tb.params.resv_hold_cycles, n_agents=n,
              **stats)
    if tb.params.resv_hold_cycles:
        share = sum(stats["ok"]) / n
        assert max(stats["worst_run"]) <= n - 1, f"an agent failed more than n - 1 SCs in a " \
                                                 f"row: {stats}"
        assert all(share / 2 <= ok <= 2 * share for ok in stats["ok"]), f"unfair: {stats}"
    await tb.finish()


async def _lock_loop(tb, agent, stats):
    link = CocotbLink(tb, agent)
    while tb.cycle < CYCLES:
        start = tb.cycle
        while True:  # acquire: LL the lock; poll while taken; SC it when free
            held, _ = await link.read(LOCK, excl=True)
            if held:
                await link.tick(1)
            elif await link.write(LOCK, agent + 1, excl=True) == AxiResp.EXOKAY:
                break
        stats["worst_wait"][agent] = max(stats["worst_wait"][agent], tb.cycle - start)
        value, _ = await link.read(COUNTER)  # the critical section: a plain increment
        await link.write(COUNTER, value + 1)
        await link.write(LOCK, 0)
        stats["ok"][agent] += 1


@cocotb.test()
async def spin_lock_handoffs(dut):
    """Every agent takes a spin lock, increments a counter under it and releases it, in a
    loop: the lock goes round fairly (with a window) and no increment is lost."""
    tb = TB.from_env(dut)
    await tb.start()
    n = tb.params.n_agents
    stats = {key: [0] * n for key in ("ok", "worst_wait")}
    await Combine(*(cocotb.start_soon(_lock_loop(tb, k, stats)) for k in range(n)))
    counter, _ = await CocotbLink(tb, 0).read(COUNTER)
    assert counter == sum(stats["ok"]), f"lost updates: counter {counter}, {stats}"
    tb.record(test="spin_lock", window=tb.params.resv_hold_cycles, n_agents=n, **stats)
    if tb.params.resv_hold_cycles:
        share = sum(stats["ok"]) / n
        assert all(share / 2 <= ok <= 2 * share for ok in stats["ok"]), f"unfair: {stats}"
    await tb.finish()


@cocotb.test()
async def lockstep_llsc_loops(dut):
    """Every agent retries at once: the holds give each its turn."""
    await _contend(dut, think=0)


@cocotb.test()
async def llsc_loops_with_random_think_times(dut):
    """0 to 20 idle cycles after each attempt."""
    await _contend(dut, think=20)
