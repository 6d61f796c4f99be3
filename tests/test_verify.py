"""The verification machinery of ``verify/`` at reduced length (``make verify`` runs it long),
and negative controls showing that each checker catches what it is there to catch."""

import dataclasses

import pytest

from ioc_defs.axi import AxiBurst, AxiResp
from ioc_defs.params import REG_BASE, IocParams
from ioc_defs.regmap import REGMAP
from sw_model.checkers import check_conservation, check_linearizable, ring_operations
from sw_model.history import History
from sw_model.regblock import RegBlock
from sw_model.scenario import ScenarioConfig, run_scenario
from testbench.fuzz import Txn, check_beats, expected
from testbench.runner import SIMULATORS, read_metrics, run
from testbench.soak import CORRUPT_LOCKED, FAULTS, judge, run_reference
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


def test_soak_judge_flags_the_known_locked_ring_corruption_limitation():
    config = dataclasses.replace(CORRUPT_LOCKED, max_steps=3000)
    verdict = judge(config, run_scenario(config))
    assert not verdict.ok
    assert any("duplicated" in f for f in verdict.failures)


def test_soak_judge_passes_a_good_run_and_flags_an_injected_silent_loss():
    config = ScenarioConfig(fault="crash", seed=3)
    result = run_scenario(config)
    assert judge(config, result).ok
    victim = next(i for i, e in enumerate(result.history.events)
                  if e.kind == "deliver" and e.channel == (0, 0))
    del result.history.events[victim]
    verdict = judge(config, result)
    assert any("lost" in f for f in verdict.failures), verdict.failures


def test_reference_soak_reduced():
    totals, _ = run_reference(24, seed=7)
    assert totals.failed_runs == []
    assert totals.n_faults >= 24 and totals.recovered == totals.n_faults
    assert all(totals.faults[kind] > 0 for kind in FAULTS)
    assert totals.restarts >= totals.n_faults and totals.rings_linearized > 0


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

REDUCED = {"cosim.suite_fuzz": {"IOC_FUZZ_ACCESSES": "500"},
           "cosim.suite_soak": {"IOC_SOAK_FAULTS": "3"},
           "cosim.suite_reset": {}}


@pytest.mark.cosim
@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("suite", list(REDUCED))
def test_verify_suite(suite, sim):
    passed, failed, results = run(IocParams(), sim, suite, seed=1, env=REDUCED[suite])
    assert failed == 0, f"{failed} cocotb test(s) failed: see {results.parent / 'sim.log'}"
    assert passed > 0
    metrics = read_metrics(results)
    assert metrics, "the suite recorded no figures"
    if suite == "cosim.suite_fuzz":
        assert all(m["accesses"] >= 500 for m in metrics)
    elif suite == "cosim.suite_soak":
        assert sum(1 for m in metrics if m["fault"]) >= 3
