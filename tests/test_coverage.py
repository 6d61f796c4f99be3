"""Coverage flow (``make coverage``): cover groups, merge, waivers, Verilator coverage files, and
reduced runs on both simulators that show a missing stimulus as a hole."""

import random

import pytest
from amaranth.sim import Simulator

from cosim.regress import FIFO_CONFIG
from ioc_defs.params import REG_BASE, REG_SIZE, TOP_NAME, IocParams
from ioc_defs.regmap import REGMAP, RESP_SLVERR
from rtl.ioc_mailbox import IocMailbox
from testbench import covergroups
from testbench.runner import run
from verify.coverage import holes, load_run, merge_functional, report, write_report
from verify.coverage_waivers import WAIVERS, Waiver
from verify.vcov import CoverageData, Point, merge, read_dat


def _key(file, line, kind, what, hier=f"{TOP_NAME}.mailbox"):
    fields = {"f": file, "l": str(line), "t": kind, "page": f"v_{kind}/m", "o": what, "h": hier}
    return "".join(f"\x01{k}\x02{v}" for k, v in fields.items())


def test_vcov_merges_summarizes_and_annotates(tmp_path):
    src = tmp_path / f"{TOP_NAME}.v"
    src.write_text("module m;\n  always @* a = b;\n  if (c) d = 1;\nendmodule\n")
    f = str(src)
    keys = [_key(f, 2, "line", "block"), _key(f, 3, "branch", "if"),
            _key(f, 3, "branch", "else"), _key(f, 1, "toggle", "a:0->1")]
    one, two = tmp_path / "1.dat", tmp_path / "2.dat"
    CoverageData(dict(zip(keys, [3, 0, 0, 1], strict=True))).write(one)
    CoverageData(dict(zip(keys, [2, 5, 0, 0], strict=True))).write(two)
    data = merge([one, two])
    assert [data.counts[k] for k in keys] == [5, 5, 0, 1]
    assert data.summary() == {"branch": (1, 2), "line": (1, 1), "toggle": (1, 1)}
    assert [p.what for p in data.uncovered()] == ["else"]
    assert read_dat(one).counts[keys[0]] == 3
    assert Point(keys[1]).kind == "branch" and Point(keys[1]).line == 3
    out = tmp_path / "annotated.v"
    data.annotate(src, out)
    lines = out.read_text().splitlines()
    assert lines[1].startswith(" 000005 ") and lines[2].startswith("%000000 ")
    assert lines[0].startswith(" " * 8)


def test_holes_are_waived_listed_or_flagged():
    merged = {"ioc.events.event": {"doorbell": 3, "irq_raise": 0, "agent_reset": 0},
              "ioc.txn.cross": {"read x EXOKAY x a0 x alone": 1}}
    waivers = (Waiver("ioc.events.event", "agent_*", "cannot happen here"),
               Waiver("ioc.txn.cross", "read* x EXOKAY x *", "plain reads are never EXOKAY"))
    waived, unwaived, wrong = holes(merged, waivers)
    assert waived == [("ioc.events.event", "agent_reset", "cannot happen here")]
    assert unwaived == [("ioc.events.event", "irq_raise")]
    assert wrong == [(waivers[1], ["read x EXOKAY x a0 x alone"])]


def test_merge_adds_hits_over_the_union_of_bins():
    a = {"hits": {"ioc.txn.agent": {"a0": 1, "a1": 0}}}
    b = {"hits": {"ioc.txn.agent": {"a0": 2, "a1": 0, "a2": 4, "a3": 0}}}
    assert merge_functional([a, b]) == {"ioc.txn.agent": {"a0": 3, "a1": 0, "a2": 4, "a3": 0}}


def _random_access(rng, params, offsets):
    offset = rng.choice(offsets) + rng.choice([0, 0, 0, 0, 1, 2]) \
        if rng.random() < 0.9 else rng.randrange(REGMAP.window)
    return offset, {"write": rng.random() < 0.5, "size": rng.choice([2, 2, 2, 1, 0]),
                    "strb": rng.choice([0b1111, 0b1111, 0b0011]), "priv": rng.random() < 0.5,
                    "data": rng.choice([0, 1, 3, 31, 0x8000_0101, rng.getrandbits(32)])}


@pytest.mark.parametrize("params", [IocParams(), IocParams(n_agents=4, n_watchdogs=0)],
                         ids=lambda p: p.name())
def test_static_refusal_agrees_with_the_rtl(params):
    """The sampler's explanation of a refusal against the register block's RTL (which
    answers SLVERR or OKAY and decodes in its own, generated, logic): every access it
    explains is refused, every access it accepts is answered OKAY unless its register has a
    state-dependent CHECK, and every reason turns up."""
    rng = random.Random(1)
    # a few entries of every register (the first ones, the first beyond the configured count
    # and the last), so that every register, not only the longest arrays, is drawn often
    offsets = sorted({reg.address(i) for reg in REGMAP
                      for i in {0, 1, reg.count(params), reg.max_count - 1} if i < reg.max_count})
    dut = IocMailbox(params)
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    seen = set()

    async def testbench(ctx):
        for _ in range(3000):
            offset, kw = _random_access(rng, params, offsets)
            agent = rng.randrange(params.n_agents)
            bus = dut.bus
            for member, value in (("agent", agent), ("addr", REG_BASE + offset),
                                  ("write", kw["write"]), ("w_data", kw["data"]),
                                  ("w_strb", kw["strb"]), ("size", kw["size"]),
                                  ("priv", kw["priv"]), ("valid", 1)):
                ctx.set(getattr(bus, member), value)
            await ctx.tick()               # X: decoded
            ctx.set(bus.valid, 0)
            await ctx.tick()               # E: performed, answered in the cycle after
            refused = ctx.get(bus.resp) == RESP_SLVERR
            why = covergroups.static_refusal(params, offset, **kw)
            seen.add(why)
            if why is not None:
                assert refused, (hex(offset), kw, why)
            elif refused:
                reg = REGMAP.decode(params, offset)[0]
                assert reg.check is not None, (hex(offset), kw, "refused, no reason")
    sim.add_testbench(testbench)
    sim.run()
    assert seen == {*covergroups.REFUSALS, None} - {"CHECK"}


def test_static_refusal_names_the_reason_of_each_bad_access():
    """One access built to break exactly one rule, for each rule, and the precedence of the
    documented order (size before alignment before strobes)."""
    p = IocParams()
    id_, cfg, bell = (REGMAP[name].address(0) for name in ("ID", "CH_CFG", "DOORBELL"))
    hole = next(o for o in range(0, REG_SIZE, 4) if REGMAP.decode(p, o) is None)
    limit_reg = next(r for r in REGMAP if any(f.limit for f in r.fields) and r.writable)
    limit_field = next(f for f in limit_reg.fields if f.limit)
    too_big = getattr(p, limit_field.limit) << limit_field.offset
    plain = {"write": False, "size": 2, "strb": 0b1111, "priv": True, "data": 0}
    cases = [
        (hole, {}, "HOLE"),
        (id_, {"size": 1}, "SIZE"),
        (id_ + 2, {}, "MISALIGNED"),
        (id_ + 2, {"size": 1}, "SIZE"),
        (cfg, {"write": True, "strb": 0b0011}, "STROBE"),
        (cfg + 1, {"write": True, "strb": 0b0011}, "MISALIGNED"),
        (bell, {}, "READ_WRITE_ONLY" if not REGMAP["DOORBELL"].readable else None),
        (id_, {"write": True}, "WRITE_READ_ONLY"),
        (cfg, {"write": True, "priv": False}, "PRIVILEGE"),
        (cfg, {"write": True}, None),
        (limit_reg.address(0), {"write": True, "data": too_big}, "LIMIT"),
    ]
    for offset, kw, want in cases:
        assert covergroups.static_refusal(p, offset, **{**plain, **kw}) == want, (offset, kw)


@pytest.mark.cosim
def test_functional_coverage_of_a_reduced_run_shows_the_missing_stimulus(tmp_path):
    """suite_coverage on Icarus without its doorbell/reset collision test (a seeded missing
    stimulus): that collision is reported as a hole, what the other tests provoke is hit, and
    every test dumped its own file."""
    params = IocParams()
    skipped = "doorbell_and_acknowledge_in_the_same_cycle"
    passed, failed, results = run(
        params, "icarus", "cosim.suite_coverage", seed=1, coverage=True,
        test_filter=rf"suite_coverage\.(?!{skipped}|restart_mid_send)", name="coverage-selftest")
    assert failed == 0 and passed == 9
    records = load_run(results.parent)
    assert len(records) == passed and all(r["simulator"] == "Icarus Verilog" for r in records)
    merged = merge_functional(records)
    events = merged["ioc.events.event"]
    assert events["doorbell_and_ack_same_cycle"] == 0
    for hit in ("event_and_ack_same_cycle", "watchdog_expiry", "doorbell_self",
                "read_and_write_in_flight_same_port", "read_write_alternation"):
        assert events[hit] > 0, hit
    for item in ("ioc.reg.cross", "ioc.entry.cross", "ioc.channel.doorbell", "ioc.channel.epoch",
                 "ioc.llsc.cross", "ioc.agent.reset", "ioc.axi.cross"):
        assert all(merged[item].values()), item
    waived, unwaived, wrong = holes(merged)
    assert ("ioc.events.event", "doorbell_and_ack_same_cycle") in unwaived
    assert not wrong
    # no waiver excuses a request form (AxSIZE wider than the bus included: the raw manager
    # issues it), and the txn cross is complete but for the waived bins
    assert not [w for w in WAIVERS if w.item == "ioc.axi.cross"]
    assert not [b for i, b in unwaived if i == "ioc.txn.cross"]
    write_report(tmp_path, merged, {"icarus": merged}, {}, [{"simulator": "icarus",
                                                             "config": params.name()}], 1)
    assert "doorbell_and_ack_same_cycle" in (tmp_path / "coverage.md").read_text()


@pytest.mark.cosim
@pytest.mark.slow
def test_verilator_line_and_toggle_coverage_of_a_reduced_run(tmp_path):
    """A Verilator coverage build runs a suite, writes coverage.dat, and the report gives line,
    branch and toggle figures and the annotated Verilog."""
    params = IocParams()
    passed, failed, results = run(params, "verilator", "cosim.suite_coverage", seed=1,
                                  coverage=True, test_filter="every_register",
                                  name="coverage-selftest")
    assert (passed, failed) == (1, 0)
    dat = results.parent / "coverage.dat"
    assert dat.exists()
    runs = [{"suite": "cosim.suite_coverage", "config": params.name(), "simulator": "verilator",
             "passed": passed, "failed": failed, "dir": str(results.parent)}]
    merged, (_, unwaived, _) = report(runs, 1, out=tmp_path)
    summary = CoverageData(read_dat(dat).counts).only(
        lambda p: p.file.endswith(f"{TOP_NAME}.v")).summary()
    for kind in ("line", "branch", "toggle"):
        covered, total = summary[kind]
        assert 0 < covered < total, (kind, covered, total)
    text = (tmp_path / "coverage.md").read_text()
    assert f"| {params.name()} | 1 |" in text
    annotated = (tmp_path / "coverage" / params.name() / f"{TOP_NAME}.v").read_text()
    assert "%000000" in annotated
    # one test cannot reach everything: its holes are listed
    assert ("ioc.events.event", "doorbell") in unwaived


@pytest.mark.cosim
def test_message_fifo_events_are_sampled(tmp_path):
    """The FIFO cover point on the FIFO configuration: suite_mailbox's FIFO test hits every
    bin (sends, receives, refusals as full and empty, both thresholds, a flush that drops
    words); the default configuration, which has no FIFOs, hits none."""
    test = r"suite_mailbox\.message_fifos"
    for p, want_all in ((FIFO_CONFIG, True), (IocParams(), False)):
        passed, failed, results = run(p, "icarus", "cosim.suite_mailbox", seed=1, coverage=True,
                                      test_filter=test, name=f"coverage-fifo-{p.name()}")
        assert (passed, failed) == (2, 0)
        hits = merge_functional(load_run(results.parent))["ioc.fifo.event"]
        assert set(hits) == set(covergroups.FIFO)
        assert all(hits.values()) if want_all else not any(hits.values()), hits
