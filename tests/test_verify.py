"""The verification machinery of ``verify/`` at reduced length (``make verify`` runs it long),
and negative controls showing that each checker catches what it is there to catch."""

import argparse
import dataclasses

import pytest

import verify.__main__ as verify_main
from cosim.regress import CONFIGS
from ioc_defs.axi import AxiBurst, AxiResp
from ioc_defs.params import REG_BASE, IocParams
from ioc_defs.regmap import REGMAP
from sw_model.checkers import check_conservation, check_linearizable, ring_operations
from sw_model.history import History
from sw_model.regblock import RegBlock
from sw_model.scenario import ScenarioConfig, run_scenario, scenario_fits
from testbench.fuzz import Txn, check_beats, expected
from testbench.runner import SIMULATORS, read_metrics, run
from testbench.soak import CORRUPT_NAIVE, DEPTHS, FAULTS, judge, run_reference, soak_config
from verify import report

# -- report ------------------------------------------------------------------------------------


def test_report_orders_sections_renders_any_summary_and_names_missing_ones(tmp_path):
    report.write_section("soak", {"crashes survived": 12, "messages checked": 345}, "soak text",
                         root=tmp_path)
    (tmp_path / "formal.json").write_text('{"summary": {"properties proven": 7, "covers": 9}}')
    (tmp_path / "formal.md").write_text("# Formal\nall proven")
    text = report.build_report(root=tmp_path).read_text()
    assert "| Formal proofs | properties proven | 7 |" in text
    assert "| Fault soak | crashes survived | 12 |" in text
    assert "not run — run `make coverage`" in text and "not run — run `make verify`" in text
    order = [text.index(f"## {title}") for _, title, _ in report.SECTIONS]
    assert order == sorted(order)
    assert "all proven" in text and "soak text" in text and "\n# Formal\n" not in text


# -- conservation and linearizability (negative controls) ------------------------------------


def _history(*events):
    h = History()
    for e in events:
        h.add(*e)
    return h


def test_conservation_balances_and_flags_silent_loss_duplicates_and_phantoms():
    ch = (0, 0)
    good = [("send", "p", ch, 1), ("enq", "p", ch, 1), ("send", "p", ch, 2), ("busy", "p", ch, 2),
            ("drop", "p", ch, 2), ("send", "p", ch, 3), ("busy", "p", ch, 3),
            ("deq_begin", "c", ch), ("deliver", "c", ch, 1)]
    count = check_conservation(_history(*good))[ch]
    assert count.balanced and (count.sent, count.delivered, count.dropped, count.refused) == \
        (3, 1, 1, 1)
    lost = check_conservation(_history(*good[:-1]))[ch]
    assert not lost.balanced and "0x1 lost silently" in lost.violations
    dup = check_conservation(_history(*good, ("deliver", "c", ch, 1)))[ch]
    assert not dup.balanced and "0x1 delivered 2 times" in dup.violations
    phantom = check_conservation(_history(*good, ("deliver", "c", ch, 9)))[ch]
    assert not phantom.balanced
    # a message reported flushed from a hardware FIFO counts as dropped, and is never delivered
    flushed = good + [("send", "p", ch, 4), ("enq", "p", ch, 4), ("flushed", "m", ch, 4)]
    count = check_conservation(_history(*flushed))[ch]
    assert count.balanced and (count.sent, count.dropped) == (4, 2)
    revived = check_conservation(_history(*flushed, ("deliver", "c", ch, 4)))[ch]
    assert not revived.balanced and "0x4 reported flushed, delivered" in revived.violations


def test_a_send_killed_mid_way_may_leave_a_tombstone_but_nothing_else():
    ch = (0, 1)
    killed = [("send", "a", ch, 5), ("drop", "a", ch, 5), ("send", "b", ch, 6),
              ("enq", "b", ch, 6), ("deq_begin", "c", ch), ("tombstone", "c", ch),
              ("deq_begin", "c", ch), ("deliver", "c", ch, 6)]
    assert check_linearizable(ring_operations(_history(*killed), ch), capacity=2) is not None
    # ... or its message, if it published before it died ...
    published = killed[:4] + [("deq_begin", "c", ch), ("deliver", "c", ch, 5)] + killed[6:]
    assert check_linearizable(ring_operations(_history(*published), ch), capacity=2) is not None
    # ... but a tombstone with no killed sender, or messages out of FIFO order, is no FIFO.
    phantom = killed[2:]
    assert check_linearizable(ring_operations(_history(*phantom), ch), capacity=2) is None
    swapped = killed[:4] + [("send", "b", ch, 7), ("enq", "b", ch, 7), ("deq_begin", "c", ch),
                            ("deliver", "c", ch, 7), ("deq_begin", "c", ch),
                            ("deliver", "c", ch, 6)]
    assert check_linearizable(ring_operations(_history(*swapped), ch), capacity=2) is None


def test_a_flush_linearizes_only_as_emptying_exactly_the_reported_messages():
    ch = (0, 0)
    sent = [("send", "p", ch, 1), ("enq", "p", ch, 1), ("send", "p", ch, 2), ("enq", "p", ch, 2),
            ("send", "p", ch, 3), ("enq", "p", ch, 3), ("deq_begin", "c", ch),
            ("deliver", "c", ch, 1)]
    after = [("send", "p", ch, 4), ("enq", "p", ch, 4), ("deq_begin", "c", ch),
             ("deliver", "c", ch, 4)]
    for reported, ok in (((2, 3), True), ((3,), False), ((1, 2, 3), False), ((), False)):
        flush = [("flushed", "m", ch, msg) for msg in reported]
        ops = ring_operations(_history(*sent, *flush, *after), ch)
        assert (check_linearizable(ops, capacity=3) is not None) == ok, reported


def test_soak_judge_flags_a_corrupted_naive_ring():
    config = dataclasses.replace(CORRUPT_NAIVE, max_steps=3000)
    verdict = judge(config, run_scenario(config))
    assert not verdict.ok
    assert any("duplicated" in f for f in verdict.failures)


@pytest.mark.parametrize("variant", ["lockfree", "locked", "hwfifo"])
def test_corruption_is_repaired_by_every_correct_ring(variant):
    # the same schedule as the naive negative control: the commit record makes the difference
    config = dataclasses.replace(CORRUPT_NAIVE, variant=variant, max_steps=3000)
    verdict = judge(config, run_scenario(config))
    assert verdict.ok and verdict.fault == "corrupt", verdict.failures
    # hwfifo's corruption hits its reply lock, no ring: every ring history is judged (the RTL
    # soak's runs go through the same judge)
    assert (verdict.rings_exempt, verdict.rings_linearized) == \
        ((0, 4) if variant == "hwfifo" else (1, 3))


def test_soak_draws_corruptions_for_every_correct_ring():
    drawn = {soak_config(i, 0).variant for i in range(60) if soak_config(i, 0).fault == "corrupt"}
    assert drawn == {"lockfree", "locked", "hwfifo"}


@pytest.mark.parametrize("params, variants", [
    (IocParams(), {"lockfree", "locked"}),
    (verify_main.SOAK_PARAMS, {"lockfree", "locked", "hwfifo"})], ids=["no-fifos", "soak"])
def test_rtl_soak_draws_what_its_dut_fits(params, variants):
    configs = [soak_config(i, 0, "rtl", params) for i in range(60)]
    assert {c.variant for c in configs} == variants
    assert all(scenario_fits(c, params) for c in configs)
    assert {c.depth for c in configs if c.variant != "hwfifo"} == set(DEPTHS)
    hwfifo = [c for c in configs if c.variant == "hwfifo"]
    # every fault on hwfifo too, in rings its FIFOs hold (2 messages in 4 words, not 4)
    assert {c.fault for c in hwfifo} == (set(FAULTS) if "hwfifo" in variants else set())
    assert not scenario_fits(ScenarioConfig(variant="hwfifo", depth=max(DEPTHS)), params)


def test_rtl_soak_refuses_a_dut_too_small_for_its_draws():
    with pytest.raises(ValueError, match="needs an instance of at least"):
        [soak_config(i, 0, "rtl", IocParams(n_agents=1)) for i in range(60)]


def test_soak_judge_passes_a_good_run_and_flags_an_injected_silent_loss():
    config = ScenarioConfig(fault="crash", seed=3)
    result = run_scenario(config)
    good = judge(config, result)
    assert good.ok and (good.fault, good.detected, good.recovered) == ("crash", True, True)
    undetected = dataclasses.replace(result, metrics={
        k: v for k, v in result.metrics.items() if k != "detected"})
    assert not judge(config, undetected).detected
    victim = next(i for i, e in enumerate(result.history.events)
                  if e.kind == "deliver" and e.channel == (0, 0))
    del result.history.events[victim]
    verdict = judge(config, result)
    assert any("lost" in f for f in verdict.failures), verdict.failures


def test_reference_soak_reduced():
    totals, _ = run_reference(24, seed=7)
    assert totals.failed_runs == []
    assert totals.n_faults >= 24
    assert totals.detected == totals.faults and totals.recovered == totals.faults
    assert all(totals.faults[kind] > 0 for kind in FAULTS)
    assert totals.restarts >= totals.n_faults and totals.rings_linearized > 0


# -- report figures: counted from the runs, never assumed from a pass ------------------------------


def _capture_section(monkeypatch):
    sections = {}
    monkeypatch.setattr(verify_main, "write_section",
                        lambda name, summary, *_, **__: sections.setdefault(name, summary))
    return sections


def test_fuzz_figures_are_the_runs_counts(monkeypatch):
    sections = _capture_section(monkeypatch)
    row = {"backpressure": False, "accesses": 40, "legal": 3, "max_cycles": 9,
           "max_cycles_per_beat": 1.5, "categories": {}, "responses": {},
           "wrong_responses": 2, "hangs": 1, "protected_changed": 0, "agent_resets": 0}
    monkeypatch.setattr(verify_main, "_run", lambda *_: (False, [row], 1.0, "sim.log"))
    args = argparse.Namespace(sims=["icarus"], fuzz=40, seed=1)
    assert not verify_main.fuzz(args)
    summary = sections["fuzz"]
    runs = len(verify_main.CONFIGS)
    assert summary["wrong responses"] == 2 * runs and summary["hangs"] == runs
    assert summary["runs stopped before counting"] == runs  # one stall setting recorded of two
    assert summary["status"] == "FAIL"


def test_soak_figures_count_each_fault_kind_through_detection_and_recovery(monkeypatch):
    sections = _capture_section(monkeypatch)
    totals, _ = run_reference(6, seed=7)
    monkeypatch.setattr(verify_main, "run_reference", lambda *_, **__: (totals, 1.0))
    rtl = [{"fault": "hang", "detected": True, "recovered": False, "violations": 1},
           {"fault": "crash", "detected": False, "recovered": False, "violations": 0},
           {"fault": None, "detected": False, "recovered": False, "violations": 0}]
    zeros = dict.fromkeys(("restarts", "messages", "delivered", "dropped", "refused",
                           "rings_linearized", "rings_undecided", "cycles"), 0)
    metrics = [{**zeros, **m, "variant": "hwfifo", "failures": []} for m in rtl]
    monkeypatch.setattr(verify_main, "_run", lambda *_: (True, metrics, 1.0, "sim.log"))
    args = argparse.Namespace(sims=["icarus"], soak_faults=6, rtl_faults=2, seed=1)
    assert verify_main.soak(args)
    summary = sections["soak"]
    assert summary["hang faults injected / detected / recovered (RTL)"] == "1 / 1 / 0"
    assert summary["crash faults injected / detected / recovered (RTL)"] == "1 / 0 / 0"
    assert summary["corrupt faults injected / detected / recovered (RTL)"] == "0 / 0 / 0"
    ref_hangs = totals.faults["hang"]
    assert summary["hang faults injected / detected / recovered (reference)"] == \
        f"{ref_hangs} / {ref_hangs} / {ref_hangs}"
    assert summary["lost silently or duplicated"] == 1


# -- fuzz oracle ---------------------------------------------------------------------------------


def test_fuzz_oracle_and_beat_check_flag_wrong_answers():
    p = IocParams()
    regs = RegBlock(p)
    cfg = REG_BASE + REGMAP["CH_CFG"].address(0)
    unpriv = Txn("register", True, cfg, beats=[(0, 0xF)])
    assert expected(p, regs, 1, unpriv) == [{AxiResp.SLVERR}]
    priv = Txn("register", True, cfg, prot=1, beats=[(0, 0xF)])
    assert expected(p, regs, 0, priv) == [{AxiResp.OKAY}]
    crossing = Txn("leaves_region", False, p.shm_bytes - 8, length=3)
    assert expected(p, regs, 0, crossing) == [{AxiResp.DECERR}] * 4
    fixed = Txn("burst_type", False, p.shm_bytes - 8, length=3, burst=AxiBurst.FIXED)
    assert expected(p, regs, 0, fixed) == [{AxiResp.SLVERR}] * 4
    wide = Txn("too_wide", False, 0, size=3)
    assert expected(p, regs, 0, wide) == [{AxiResp.SLVERR}]
    allowed = expected(p, regs, 0, crossing)
    assert check_beats(allowed, [(0, AxiResp.DECERR)] * 4) == []
    assert check_beats(allowed, [(0, AxiResp.DECERR)] * 3 + [(0, AxiResp.OKAY)])
    assert check_beats(allowed, [(0, AxiResp.DECERR)] * 3 + [(0x55, AxiResp.DECERR)])
    assert check_beats(allowed, [(0, AxiResp.DECERR)] * 3)


# -- the cocotb suites, reduced, on both simulators ---------------------------------------------

#: The soak's seed is given, as ``make verify`` gives it (else cocotb derives one from the
#: test's name), for runs that reach every fault kind and hwfifo: a hwfifo hang (dual-core), a
#: lock-free crash and a hwfifo corrupt (single-core), the only RTL run of that fault in
#: ``make test``.
REDUCED = {"cosim.suite_fuzz": {"IOC_FUZZ_ACCESSES": "500"},
           "cosim.suite_soak": {"IOC_SOAK_FAULTS": "3", "IOC_SOAK_SEED": "7"},
           "cosim.suite_reset": {}}


#: The configurations each reduced suite runs on: the fuzz on every regression configuration,
#: the soak on the one ``make verify`` soaks.
REDUCED_ON = {"cosim.suite_fuzz": CONFIGS,
              "cosim.suite_soak": [verify_main.SOAK_PARAMS],
              "cosim.suite_reset": [IocParams()]}


@pytest.mark.cosim
@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("suite, params", [(suite, params) for suite in REDUCED
                                           for params in REDUCED_ON[suite]],
                         ids=lambda v: v.name() if isinstance(v, IocParams) else v)
def test_verify_suite(suite, params, sim):
    passed, failed, results = run(params, sim, suite, seed=1, env=REDUCED[suite])
    assert failed == 0, f"{failed} cocotb test(s) failed: see {results.parent / 'sim.log'}"
    assert passed > 0
    metrics = read_metrics(results)
    assert metrics, "the suite recorded no figures"
    if suite == "cosim.suite_fuzz":
        assert all(m["accesses"] >= 500 for m in metrics)
    elif suite == "cosim.suite_soak":
        assert sum(1 for m in metrics if m["fault"]) >= 3
        assert {m["fault"] for m in metrics} >= set(FAULTS), metrics
        # the soak's draws include the message FIFOs: fails if they silently stop doing so
        assert any(m["variant"] == "hwfifo" and m["fault"] for m in metrics), metrics
