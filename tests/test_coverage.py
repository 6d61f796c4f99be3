"""Coverage flow (``make coverage``): cover groups, merge, waivers, Verilator coverage files, and
reduced runs on both simulators that show a missing stimulus as a hole."""

import random

import pytest

from ioc_defs.params import REG_BASE, IocParams
from ioc_defs.regmap import REGMAP
from sw_model.regblock import RegBlock
from testbench import covergroups
from testbench.runner import run
from verify.coverage import holes, load_run, merge_functional, report, write_report
from verify.coverage_waivers import Waiver
from verify.vcov import CoverageData, Point, merge, read_dat


def _key(file, line, kind, what, hier="ioc_subsystem.mailbox"):
    fields = {"f": file, "l": str(line), "t": kind, "page": f"v_{kind}/m", "o": what, "h": hier}
    return "".join(f"\x01{k}\x02{v}" for k, v in fields.items())


def test_vcov_merges_summarizes_and_annotates(tmp_path):
    src = tmp_path / "ioc_subsystem.v"
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


@pytest.mark.parametrize("params", [IocParams(), IocParams(n_agents=4, n_watchdogs=0)],
                         ids=lambda p: p.name())
def test_static_refusal_agrees_with_the_reference_model(params):
    """The sampler's explanation of a refusal is the reference model's, for every reason but
    the state-dependent CHECK (which the sampler infers from the DUT's SLVERR)."""
    rng = random.Random(1)
    model = RegBlock(params)
    offsets = sorted({reg.address(i) for reg in REGMAP for i in range(reg.max_count)})
    seen = set()
    for _ in range(4000):
        offset = rng.choice(offsets) + rng.choice([0, 0, 0, 0, 1, 2]) \
            if rng.random() < 0.9 else rng.randrange(REGMAP.window)
        kw = {"write": rng.random() < 0.5, "size": rng.choice([2, 2, 2, 1, 0]),
              "strb": rng.choice([0b1111, 0b1111, 0b0011]), "priv": rng.random() < 0.5,
              "data": rng.choice([0, 1, 3, 31, 0x8000_0101, rng.getrandbits(32)])}
        model.access(0, REG_BASE + offset, kw["write"], kw["data"], kw["strb"], kw["size"],
                     kw["priv"])
        want = None if model.last_refusal == "CHECK" else model.last_refusal
        assert covergroups.static_refusal(params, offset, **kw) == want, (hex(offset), kw)
        seen.add(model.last_refusal)
    assert seen == {*covergroups.REFUSALS, None}


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
    assert failed == 0 and passed == 8
    records = load_run(results.parent)
    assert len(records) == passed and all(r["simulator"] == "Icarus Verilog" for r in records)
    merged = merge_functional(records)
    events = merged["ioc.events.event"]
    assert events["doorbell_and_ack_same_cycle"] == 0
    for hit in ("event_and_ack_same_cycle", "watchdog_expiry", "doorbell_self",
                "read_and_write_in_flight_same_port", "read_write_alternation"):
        assert events[hit] > 0, hit
    for item in ("ioc.reg.cross", "ioc.entry.cross", "ioc.channel.doorbell", "ioc.channel.epoch",
                 "ioc.llsc.cross", "ioc.agent.reset"):
        assert all(merged[item].values()), item
    waived, unwaived, wrong = holes(merged)
    assert ("ioc.events.event", "doorbell_and_ack_same_cycle") in unwaived
    assert not wrong
    # the txn cross is complete but for the waived bins
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
        lambda p: p.file.endswith("ioc_subsystem.v")).summary()
    for kind in ("line", "branch", "toggle"):
        covered, total = summary[kind]
        assert 0 < covered < total, (kind, covered, total)
    text = (tmp_path / "coverage.md").read_text()
    assert "| a2c8m4096g2i4w2 | 1 |" in text
    annotated = (tmp_path / "coverage" / params.name() / "ioc_subsystem.v").read_text()
    assert "%000000" in annotated
    # one test cannot reach everything: its holes are listed
    assert ("ioc.events.event", "doorbell") in unwaived
