"""Unit tests of the round-robin arbiter: one grant per cycle, bounded waiting, the order of
the reference model the scoreboard checks it against."""

import random

import pytest
from amaranth import ClockDomain, Module
from simutil import simulate

from rtl.arbiter import RoundRobinArbiter
from sw_model.arbiter import RoundRobin


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("seed", range(2))
def test_bounded_wait_under_random_held_requests(n, seed):
    """Requesters raise requests at random and hold them until granted: the grant is one-hot,
    only to a requester, never idle while someone requests, and a waiting requester sees at
    most n - 1 grants to others."""
    dut = RoundRobinArbiter(n)
    model = RoundRobin(n)
    rng = random.Random(seed)
    waits = []

    async def testbench(ctx):
        pending = [False] * n
        passed_over = [0] * n
        for _ in range(3000):
            for k in range(n):
                if not pending[k] and rng.random() < 0.4:
                    pending[k] = True
            ctx.set(dut.requests, sum(1 << k for k in range(n) if pending[k]))
            grant = ctx.get(dut.grant)
            assert grant & (grant - 1) == 0, "grant not one-hot"
            want = model.grant(ctx.get(dut.requests))
            assert grant == (0 if want is None else 1 << want), "not the round-robin order"
            if any(pending):
                assert grant != 0, "idle while requested"
            winner = grant.bit_length() - 1
            if grant:
                assert pending[winner]
                waits.append(passed_over[winner])
                pending[winner] = False
                passed_over[winner] = 0
                for k in range(n):
                    if pending[k]:
                        passed_over[k] += 1
                        assert passed_over[k] <= n - 1, f"requester {k} starved"
            await ctx.tick()

    top = Module()
    top.submodules.arbiter = dut
    top.domains.sync = ClockDomain()  # a single requester needs no state, hence no clock
    simulate(top, testbench, name=f"arbiter_{n}_{seed}")
    assert max(waits) == n - 1, "the bound was never reached: the test is not contending"


def test_all_requesting_rotates():
    dut = RoundRobinArbiter(4)
    order = []

    async def testbench(ctx):
        ctx.set(dut.requests, 0b1111)
        for _ in range(8):
            order.append(ctx.get(dut.grant).bit_length() - 1)
            await ctx.tick()

    simulate(dut, testbench, name="arbiter_rotate")
    assert order == [0, 1, 2, 3, 0, 1, 2, 3]


@pytest.mark.parametrize("n", [0, -1, 2.0, True, None])
def test_model_rejects_a_bad_size(n):
    with pytest.raises(TypeError, match="n must be a positive integer"):
        RoundRobin(n)


def test_model_order_after_a_lone_grant():
    """After a lone requester's grant the other one goes first: the case a flip-flop of the
    arbiter clocked on the wrong edge gets wrong (it grants the lone requester again)."""
    model = RoundRobin(2)
    assert [model.grant(r) for r in (0b01, 0b11, 0b11, 0b00, 0b10, 0b11)] == \
        [0, 1, 0, None, 1, 0]
