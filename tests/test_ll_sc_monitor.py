"""Unit tests of the LL/SC reservation monitor (SPEC §3.3)."""

import random

import pytest
from simutil import simulate

from ioc_defs.params import IocParams, ScFailCause
from rtl.ll_sc_monitor import LlScMonitor

LL, SC, STORE, READ = "ll", "sc", "store", "read"


class TinyMonitor:
    """The rules of SPEC §3.3, written as plainly as possible (the oracle)."""

    def __init__(self, p):
        self.p = p
        n = p.n_agents
        self.valid = [False] * n
        self.granule = [0] * n
        self.lost = [ScFailCause.NO_RESERVATION] * n
        self.cause = [ScFailCause.NONE] * n
        self.ll = [0] * n
        self.ok = [0] * n
        self.fail = [0] * n
        self.seen_causes = set()

    def step(self, op, agent, addr, clear):
        """One cycle; returns whether an SC in it succeeds."""
        g = addr >> self.p.granule_log2
        ok = (op == SC and self.valid[agent] and self.granule[agent] == g
              and not clear >> agent & 1)
        if op == LL:
            self.ll[agent] += 1
        if op == SC:
            if ok:
                self.ok[agent] += 1
            else:
                self.fail[agent] += 1
        for i in range(self.p.n_agents):
            mine = op is not None and agent == i
            if clear >> i & 1:
                if mine and op == SC:
                    self.cause[i] = ScFailCause.PREEMPTED if self.valid[i] else self.lost[i]
                    self.lost[i] = ScFailCause.NO_RESERVATION
                elif self.valid[i] or (mine and op == LL):
                    self.lost[i] = ScFailCause.PREEMPTED
                self.valid[i] = False
            elif mine and op == LL:
                self.valid[i], self.granule[i] = True, g
            elif mine and op == SC:
                if not ok:
                    self.cause[i] = (ScFailCause.ADDRESS_MISMATCH if self.valid[i]
                                     else self.lost[i])
                self.valid[i], self.lost[i] = False, ScFailCause.NO_RESERVATION
            elif (not mine and op in (STORE, SC) and (op == STORE or ok)
                  and self.valid[i] and self.granule[i] == g):
                self.valid[i], self.lost[i] = False, ScFailCause.CONFLICT
        self.seen_causes.update(self.cause)
        return ok


def run_monitor(p, steps, name):
    """Drive ``steps`` = [(op or None, agent, addr, clear_mask)], compare against TinyMonitor
    every cycle; returns the list of sc_ok values."""
    dut = LlScMonitor(p)
    model = TinyMonitor(p)
    oks = []

    async def testbench(ctx):
        for op, agent, addr, clear in steps:
            ctx.set(dut.valid, op is not None)
            ctx.set(dut.agent, agent)
            ctx.set(dut.addr, addr)
            ctx.set(dut.ll, op == LL)
            ctx.set(dut.sc, op == SC)
            ctx.set(dut.store, op == STORE)
            ctx.set(dut.clear, clear)
            granule = addr >> p.granule_log2
            ctx.set(dut.same_granule, sum(
                (ctx.get(dut.resv_granule[i]) == granule) << i for i in range(p.n_agents)))
            want = model.step(op, agent, addr, clear)
            got = bool(ctx.get(dut.sc_ok))
            assert got == want, (op, agent, hex(addr), clear)
            oks.append(got)
            await ctx.tick()
            for i in range(p.n_agents):
                st = dut.status
                assert ctx.get(dut.resv_valid[i]) == model.valid[i]
                assert ctx.get(st.cause[i]) == model.cause[i]
                assert (ctx.get(st.ll_count[i]), ctx.get(st.sc_ok_count[i]),
                        ctx.get(st.sc_fail_count[i])) == (model.ll[i], model.ok[i],
                                                          model.fail[i])

    simulate(dut, testbench, name=name)
    return oks, model


P2 = IocParams()


def test_ll_then_sc_succeeds_once():
    oks, model = run_monitor(P2, [(LL, 0, 0x40, 0), (SC, 0, 0x40, 0), (SC, 0, 0x40, 0)],
                             "monitor_basic")
    assert oks == [False, True, False]
    assert model.cause[0] == ScFailCause.NO_RESERVATION


@pytest.mark.parametrize("steps,cause", [
    ([(SC, 0, 0x40, 0)], ScFailCause.NO_RESERVATION),
    ([(LL, 0, 0x40, 0), (SC, 0, 0x44, 0)], ScFailCause.ADDRESS_MISMATCH),
    ([(LL, 0, 0x40, 0), (LL, 0, 0x44, 0), (SC, 0, 0x40, 0)], ScFailCause.ADDRESS_MISMATCH),
    ([(LL, 0, 0x40, 0), (STORE, 1, 0x40, 0), (SC, 0, 0x40, 0)], ScFailCause.CONFLICT),
    ([(LL, 0, 0x40, 0), (LL, 1, 0x40, 0), (SC, 1, 0x40, 0), (SC, 0, 0x40, 0)],
     ScFailCause.CONFLICT),
    ([(LL, 0, 0x40, 0), (None, 0, 0, 0b01), (SC, 0, 0x40, 0)], ScFailCause.PREEMPTED),
    ([(LL, 0, 0x40, 0), (SC, 0, 0x40, 0b01)], ScFailCause.PREEMPTED),
    ([(LL, 0, 0x40, 0b01), (SC, 0, 0x40, 0)], ScFailCause.PREEMPTED),
    # a clear that drops nothing does not make the next failure PREEMPTED
    ([(None, 0, 0, 0b01), (SC, 0, 0x40, 0)], ScFailCause.NO_RESERVATION),
    ([(SC, 0, 0x40, 0b01)], ScFailCause.NO_RESERVATION),
])
def test_each_failure_cause(steps, cause):
    oks, model = run_monitor(P2, steps, "monitor_cause")
    assert oks[-1] is False
    assert model.cause[0] == cause


@pytest.mark.parametrize("steps,ok", [
    # own plain store keeps the reservation
    ([(LL, 0, 0x40, 0), (STORE, 0, 0x40, 0), (SC, 0, 0x40, 0)], True),
    # other agent's store elsewhere, other agent's read of the same word, other agent's clear
    ([(LL, 0, 0x40, 0), (STORE, 1, 0x44, 0), (READ, 1, 0x40, 0), (None, 0, 0, 0b10),
      (SC, 0, 0x40, 0)], True),
    # another agent's *failed* SC writes nothing, so it does not break the reservation
    ([(LL, 0, 0x40, 0), (SC, 1, 0x40, 0), (SC, 0, 0x40, 0)], True),
    # the same value written back is still a write (ABA)
    ([(LL, 0, 0x40, 0), (STORE, 1, 0x40, 0), (STORE, 1, 0x40, 0), (SC, 0, 0x40, 0)], False),
])
def test_what_keeps_and_what_breaks_a_reservation(steps, ok):
    oks, _ = run_monitor(P2, steps, "monitor_keep")
    assert oks[-1] is ok


def test_granule_wider_than_a_word():
    p = IocParams(granule_log2=4)
    oks, model = run_monitor(p, [(LL, 0, 0x40, 0), (SC, 0, 0x4C, 0),
                                 (LL, 0, 0x40, 0), (STORE, 1, 0x48, 0), (SC, 0, 0x40, 0),
                                 (LL, 0, 0x40, 0), (STORE, 1, 0x50, 0), (SC, 0, 0x40, 0)],
                             "monitor_granule")
    assert [oks[1], oks[4], oks[7]] == [True, False, True]


@pytest.mark.parametrize("p", [IocParams(), IocParams(n_agents=4),
                               IocParams(n_agents=4, granule_log2=3, shm_bytes=256)],
                         ids=["2agents", "4agents", "4agents-g3"])
@pytest.mark.parametrize("seed", range(3))
def test_random_sequences_against_the_model(p, seed):
    """Dense random traffic on a few granules so that every rule fires often."""
    rng = random.Random(seed)
    addrs = [0x40, 0x44, 0x48, 0x80]
    steps = []
    for _ in range(1500):
        op = rng.choice([LL, LL, SC, SC, STORE, READ, None])
        clear = rng.getrandbits(p.n_agents) if rng.random() < 0.1 else 0
        steps.append((op, rng.randrange(p.n_agents), rng.choice(addrs), clear))
    oks, model = run_monitor(p, steps, f"monitor_random_{p.name()}_{seed}")
    assert any(oks) and not all(o for (op, *_), o in zip(steps, oks, strict=True) if op == SC)
    assert model.seen_causes == set(ScFailCause), "not every failure cause was exercised"
