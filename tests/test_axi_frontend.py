"""Unit tests of the AXI4 slave front end against a Python model of the shared access slot."""

import itertools
import random

import pytest
from simutil import simulate

from ioc_defs.axi import (
    AxiBurst,
    AxiResp,
    burst_error,
    burst_last,
    write_response,
    write_responses,
)
from ioc_defs.params import REG_BASE, IocParams, Region
from ioc_defs.regmap import REGMAP
from rtl.axi_frontend import AxiSlaveFrontEnd
from testbench.amaranth_axi import (
    AxiManagerModel,
    AxiRead,
    AxiWrite,
    SlotModel,
    manager_testbench,
)


def beat_addrs(addr, beats, size):
    """The AXI INCR address sequence (the reference for what the target must see)."""
    step = 1 << size
    out, cur = [addr], addr & ~(step - 1)
    for _ in range(beats - 1):
        cur += step
        out.append(cur)
    return out


def expected_error(p, addr, beats, size, burst):
    last = burst_last(addr, beats - 1, size, burst)
    return burst_error(p.region(addr), p.region(last), burst, size) or AxiResp.OKAY


def run_front_end(p, script, *, busy=0.0, grant_p=1.0, seed=0, name="frontend", limit=20000,
                  refuse=None):
    """Run ``script(manager)`` (which queues transactions) to completion."""
    fe = AxiSlaveFrontEnd(p)
    manager = AxiManagerModel(fe.axi, busy=busy, seed=seed)
    slot = SlotModel(fe, grant_p=grant_p, seed=seed + 1, refuse=refuse)
    script(manager)
    simulate(fe, manager_testbench(manager, slot, limit), name=name)
    return manager, slot


P = IocParams()
SMALL = IocParams(n_agents=4, shm_bytes=1024)


@pytest.mark.parametrize("busy,grant_p", [(0.0, 1.0), (0.5, 0.6), (0.8, 0.3)])
def test_incr_bursts_reach_the_slot_beat_by_beat(busy, grant_p):
    """Random INCR bursts of every size and alignment: the slot sees exactly the AXI address
    sequence with the manager's data and strobes; reads return the slot's words in order with
    RLAST on the last beat; one B per burst; IDs echoed."""
    rng = random.Random(7)
    txns = []

    def script(mgr):
        for i in range(60):
            size = rng.choice([0, 1, 2, 2])
            beats = rng.randint(1, 16)
            addr = rng.randrange(0, P.shm_bytes - beats * 4)
            if rng.random() < 0.5:
                data = [rng.getrandbits(32) for _ in range(beats)]
                strb = [rng.getrandbits(4) for _ in range(beats)]
                txns.append(mgr.write(AxiWrite(addr, data, strb, size=size, id=i % 16,
                                               prot=i & 1)))
            else:
                txns.append(mgr.read(AxiRead(addr, beats, size=size, id=i % 16)))

    mgr, slot = run_front_end(P, script, busy=busy, grant_p=grant_p, seed=3)

    # Reads and writes are separate channels: compare each against its own stream of beats.
    want_w = [(a, d, s, t.size, t.prot & 1) for t in txns if isinstance(t, AxiWrite)
              for a, d, s in zip(beat_addrs(t.addr, len(t.data), t.size), t.data, t.strb,
                                 strict=True)]
    got_w = [(a["addr"], a["w_data"], a["w_strb"], a["size"], a["priv"])
             for a in slot.accesses if a["write"]]
    assert got_w == want_w
    want_r = [(a, t.size) for t in txns if isinstance(t, AxiRead)
              for a in beat_addrs(t.addr, t.beats, t.size)]
    got_r = [(a["addr"], a["size"]) for a in slot.accesses if not a["write"]]
    assert got_r == want_r
    assert all(a["region"] == Region.SHM and not a["lock"] for a in slot.accesses)
    for t in txns:
        if isinstance(t, AxiWrite):
            assert (t.resp, t.b_id) == (AxiResp.OKAY, t.id)
        else:
            assert [last for _, _, last, _ in t.answers] == [0] * t.len + [1]
            assert {rid for *_, rid in t.answers} == {t.id}
            assert all(resp == AxiResp.OKAY for _, resp, _, _ in t.answers)
    assert slot.bus_errors == 0


@pytest.mark.parametrize("p", [P, SMALL], ids=["4k", "1k"])
@pytest.mark.parametrize("busy", [0.0, 0.6])
@pytest.mark.parametrize("kind", ["read", "write"])
def test_error_bursts_never_reach_the_slot(p, busy, kind):
    """DECERR for unmapped first or last beats, SLVERR for FIXED/WRAP/oversized bursts: every
    beat answered, nothing presented to the slot, one bus_error pulse per answered beat (per
    cycle: a read and a write error beat in the same cycle make one pulse, so one direction at
    a time here)."""
    cases = [
        (p.shm_bytes, 1, 2, AxiBurst.INCR),
        (p.shm_bytes - 8, 4, 2, AxiBurst.INCR),       # leaves the RAM
        (REG_BASE - 4, 2, 2, AxiBurst.INCR),           # runs into the register window
        (REG_BASE + REGMAP.window - 4, 2, 2, AxiBurst.INCR),       # leaves the register window
        (0xFFFF_FFFC, 4, 2, AxiBurst.INCR),            # would wrap around 2^32
        (0x8000_0000, 1, 0, AxiBurst.INCR),
        (0x40, 4, 2, AxiBurst.FIXED),
        (0x40, 4, 2, AxiBurst.WRAP),
        (0x40, 1, 2, 3),                               # reserved burst type
        (0x40, 1, 3, AxiBurst.INCR),                   # 64-bit beats on a 32-bit bus
        (REG_BASE, 2, 2, AxiBurst.WRAP),
    ]
    txns = []

    def script(mgr):
        for addr, beats, size, burst in cases:
            if kind == "write":
                txns.append(mgr.write(AxiWrite(addr, [0x1234_5678] * beats, size=size,
                                               burst=burst)))
            else:
                txns.append(mgr.read(AxiRead(addr, beats, size=size, burst=burst)))

    mgr, slot = run_front_end(p, script, busy=busy, seed=11)
    assert slot.accesses == []
    answered = 0
    for t in txns:
        want = expected_error(p, t.addr, t.len + 1, t.size, t.burst)
        assert want != AxiResp.OKAY
        if isinstance(t, AxiWrite):
            assert t.resp == want, (hex(t.addr), t.len, t.size, t.burst)
        else:
            assert [(d, r) for d, r, _, _ in t.answers] == [(0, want)] * t.beats
        answered += t.len + 1
    assert slot.bus_errors == answered


@pytest.mark.parametrize("busy", [0.0, 0.6])
def test_write_burst_answer_is_the_first_refused_beats(busy):
    """Write bursts whose beats the slot refuses here and there: every beat is still presented
    (the burst is not cut short), and B is :func:`write_response` of the beats' answers (the
    first error, else the last answer), whichever beat was refused."""
    rng = random.Random(5)
    refused = {rng.randrange(0, 64) * 4 for _ in range(20)}
    txns = []

    def script(mgr):
        for i in range(40):
            beats = rng.randint(1, 8)
            addr = rng.randrange(0, 64 - beats) * 4
            txns.append(mgr.write(AxiWrite(addr, [i] * beats, id=i % 16)))

    mgr, slot = run_front_end(P, script, busy=busy, seed=13,
                              refuse=lambda acc: acc["addr"] in refused)
    assert [a["addr"] for a in slot.accesses] == [
        a for t in txns for a in beat_addrs(t.addr, len(t.data), t.size)]
    errors = 0
    for t in txns:
        answers = [AxiResp.SLVERR if a in refused else AxiResp.OKAY
                   for a in beat_addrs(t.addr, len(t.data), t.size)]
        assert (t.resp, t.b_id) == (write_response(answers), t.id), (hex(t.addr), answers)
        errors += AxiResp.SLVERR in answers and answers[-1] == AxiResp.OKAY
    assert errors  # a refused beat followed by a performed one happened


@pytest.mark.parametrize("beats, want", [
    ([AxiResp.OKAY], AxiResp.OKAY),
    ([AxiResp.EXOKAY], AxiResp.EXOKAY),
    ([AxiResp.OKAY, AxiResp.SLVERR, AxiResp.DECERR, AxiResp.OKAY], AxiResp.SLVERR),
    ([AxiResp.DECERR, AxiResp.SLVERR], AxiResp.DECERR),
])
def test_write_response_rule(beats, want):
    assert write_response(beats) == want


def test_write_responses_are_every_outcome_of_the_rule():
    """The set-valued rule (the fuzz oracle's) is exactly the set of :func:`write_response`
    over every choice of beat answers."""
    rng = random.Random(3)
    for _ in range(300):
        beats = [set(rng.sample(list(AxiResp), rng.randint(1, 3)))
                 for _ in range(rng.randint(1, 5))]
        want = {write_response(list(c)) for c in itertools.product(*beats)}
        assert write_responses(beats) == want, beats
    for rule in (write_response, write_responses):
        with pytest.raises(ValueError, match="at least one beat"):
            rule([])


def test_register_window_beats_are_tagged_reg():
    def script(mgr):
        mgr.write(AxiWrite(REG_BASE + 8, [5]))
        mgr.read(AxiRead(REG_BASE + 0x10, 2))

    _, slot = run_front_end(P, script)
    beats = sorted((a["write"], a["region"], a["addr"]) for a in slot.accesses)
    assert beats == [(0, Region.REG, REG_BASE + 0x10), (0, Region.REG, REG_BASE + 0x14),
                     (1, Region.REG, REG_BASE + 8)]


def test_exclusive_form():
    """``excl`` only for single-beat, 32-bit, aligned exclusives; ``lock`` passes through."""
    cases = [  # (addr, beats, size, excl expected)
        (0x40, 1, 2, 1), (0x42, 1, 2, 0), (0x40, 2, 2, 0), (0x40, 1, 1, 0), (0x41, 1, 0, 0),
    ]
    txns = []

    def script(mgr):
        for addr, beats, size, _ in cases:
            txns.append(mgr.read(AxiRead(addr, beats, size=size, lock=1)))
        for addr, beats, size, _ in cases:
            txns.append(mgr.write(AxiWrite(addr, [1] * beats, size=size, lock=1)))

    _, slot = run_front_end(P, script)
    want = []
    for write in (0, 1):
        for _addr, beats, _size, excl in cases:
            want += [(write, 1, excl)] * beats
    reads = [(a["write"], a["lock"], a["excl"]) for a in slot.accesses if not a["write"]]
    writes = [(a["write"], a["lock"], a["excl"]) for a in slot.accesses if a["write"]]
    assert reads + writes == want
    # The slot model answers a supported exclusive EXOKAY; the front end passes it on.
    assert txns[0].answers[0][1] == AxiResp.EXOKAY
    assert txns[len(cases)].resp == AxiResp.EXOKAY
    assert txns[1].answers[0][1] == AxiResp.OKAY


@pytest.mark.parametrize("lock", [0, 1])
def test_latency_is_exact_and_the_same_for_exclusives(lock):
    """Uncontended: R valid exactly 5 cycles after the AR handshake (issue, grant, X, E,
    answer); an 8-beat burst streams one beat per cycle; B follows W by 5 cycles; exclusives
    take as many cycles as plain."""
    def script(mgr):
        mgr.read(AxiRead(0x100, 1, lock=lock))

    mgr, _ = run_front_end(P, script)
    ar = [c for c, ch in mgr.log if ch == "ar"]
    r = [c for c, ch in mgr.log if ch == "r"]
    assert r[0] - ar[0] == 5

    def script_burst(mgr):
        mgr.read(AxiRead(0x100, 8))

    mgr, _ = run_front_end(P, script_burst)
    r = [c for c, ch in mgr.log if ch == "r"]
    assert r == list(range(r[0], r[0] + 8))

    def script_write(mgr):
        mgr.write(AxiWrite(0x100, [1], lock=lock))

    mgr, _ = run_front_end(P, script_write)
    aw = [c for c, ch in mgr.log if ch == "aw"]
    w = [c for c, ch in mgr.log if ch == "w"]
    b = [c for c, ch in mgr.log if ch == "b"]
    assert (w[0] - aw[0], b[0] - w[0]) == (0, 5)
