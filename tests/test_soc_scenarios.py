"""The IOC scenarios on the two CV32E40X cores (C library firmware, Verilator), short versions:
each is judged by the firmware and, independently, by the Python checkers over the history the
cores logged (soc.check); negative controls show the checkers catch a loss and a duplicate."""

import re

import pytest

from soc.check import EVENT, history, judge
from soc.run import FAULTS, VARIANTS, scenarios

pytestmark = pytest.mark.slow

_QUICK = {s.name: s for s in scenarios(quick=True)}


def _run(name):
    run = _QUICK[name].run()
    assert not run.result.timeout, run.result.console
    return run, run.result.values()


@pytest.mark.parametrize("variant", VARIANTS)
def test_streaming_is_exactly_once_in_order(variant):
    scenario = _QUICK[f"stream-{variant}"]
    run, v = _run(scenario.name)
    total = scenario.defines["PINGS"] + 3 * scenario.defines["MSGS"]  # stream.c: NCH = 3
    assert run.result.exit_code == 0 and run.result.console[0][-1] == "PASS"
    assert v["messages"] == v["replies"] == v["delivered"] == v["expected"] == total
    assert v["lost"] == v["bad"] == 0
    # the checkers agree: every message and every reply, once, in order
    assert run.verdict.ok and run.verdict.sent == run.verdict.delivered == 2 * total
    assert not run.verdict.delivery.duplicated and not run.verdict.delivery.reordered
    # one message in flight: the one-way latency is part of the round trip
    assert 0 < v["latency_min"] <= v["latency_max"] < v["rtt_min"] <= v["rtt_max"]
    assert v["stream_cycles"] > 0 and v["stream_messages"] == 3 * scenario.defines["MSGS"]


def test_fig3_naive_ring_loses_and_both_judges_see_it():
    run, v = _run("fig3-naive")
    assert run.result.exit_code == 0 and run.result.console[0][-1] == "PASS"
    # the firmware's count of lost messages is exactly what the checker finds, and so is its
    # count of torn slots (a producer preempted half-way through writing one)
    assert v["lost"] > 0 and len(run.verdict.delivery.lost) == v["lost"]
    assert run.verdict.delivery.corrupt == v["bad"]
    assert v["delivered"] == v["messages"] - v["lost"] + v["bad"]
    assert not run.verdict.ok and run.checker_agrees


@pytest.mark.parametrize(("variant", "evidence"), [("lockfree", "sc_hit"),
                                                   ("locked", "held_out")])
def test_fig3_lockfree_and_locked_lose_nothing_when_preempted(variant, evidence):
    """The interrupt landed inside the enqueue (lock-free: core 1's SC failed; locked: P1 had to
    wait for the lock P0 held while preempted), and nothing was lost."""
    run, v = _run(f"fig3-{variant}")
    assert run.result.exit_code == 0 and run.result.console[0][-1] == "PASS"
    assert v[evidence] > 0
    assert v["lost"] == v["bad"] == 0 and v["delivered"] == v["messages"]
    assert run.verdict.ok and run.verdict.delivered == run.verdict.sent == v["messages"]


@pytest.mark.parametrize("name", [n for n in _QUICK if n.startswith("recovery-")])
def test_recovery_detects_restarts_and_loses_nothing(name):
    scenario = _QUICK[name]
    run, v = _run(name)
    fault = next(f for f, code in FAULTS.items() if code == scenario.defines["FAULT"])
    assert run.result.exit_code == 0 and run.result.console[0][-1] == "PASS"
    assert f"simpleos fault={fault}" in run.result.console[1]
    # detected once (a dead core by the watchdog, at most its period after the last kick; a
    # wedged one that still kicks by the progress monitor, at most STALL after the last
    # reply), restarted once: second boot, the channels' epochs bumped, every channel attached
    # again (recovery.c: WDOG_PERIOD 6000, STALL 4 periods)
    assert v["restarts"] == 1 and v["boots"] == 2 and v["epoch"] == 1
    by, bound = (2, 4 * 6000) if fault == "corrupt" else (1, 6000)
    assert v["detected_by"] == by and 0 < v["detect_cycles"] <= bound
    assert v["recover_cycles"] > 0
    # every message delivered exactly once, by one incarnation or the other; the replies the
    # failed incarnation could not send are the ones it announced
    total = 2 * scenario.defines["MSGS"]
    assert v["delivered"] == total and v["lost"] == v["bad"] == 0
    assert v["replies"] == total - v["unreplied"] and v["reply_gaps"] == v["unreplied"] >= 1
    assert run.verdict.ok
    delivered_by = {e.thread for e in history(run.result.console).events if e.kind == "deliver"
                    and e.channel[1] == 0}
    assert delivered_by == {"1.simpleos1", "1.simpleos2"}


@pytest.mark.parametrize("name", [n for n in _QUICK if n.startswith("contention-")])
def test_contention_has_no_lost_update_and_no_core_starves(name):
    """Both cores in lockstep increment loops: no update lost. With the forward-progress
    window (the SoC's configuration) neither core fails more than n_agents - 1 SCs in a row;
    with it off (the negative control, at a skew where this shows) one core fails more."""
    scenario = _QUICK[name]
    run, v = _run(scenario.name)
    worst, bound = max(v["inc_worst_run0"], v["inc_worst_run1"]), scenario.params.n_agents - 1
    if scenario.params.resv_hold_cycles:
        assert worst <= bound, v
    else:
        assert worst > bound, v
    assert run.result.exit_code == 0 and run.result.console[0][-1] == "PASS"
    assert v["counter"] == v["expected"] == 2 * scenario.defines["INCS"]
    # the monitor's failure counters are the loops' own counts
    assert (v["inc_sc_fail0"], v["inc_sc_fail1"]) == (v["inc_sw_fail0"], v["inc_sw_fail1"])
    assert v["delivered"] == v["messages"] == 2 * scenario.defines["MSGS"]
    assert run.verdict.ok and run.verdict.delivered == v["messages"]


def test_the_judge_catches_a_lost_and_a_duplicated_message():
    """Negative controls of the Python judge, on a real run's log: a delivery line removed is
    a silent loss, a delivery line repeated a duplicate; the untouched log is clean."""
    run, _ = _run("contention-skew0")
    console = run.result.console
    assert judge(console).ok
    line = next(i for i, text in enumerate(console[0]) if text.startswith("H deliver"))
    missing = (console[0][:line] + console[0][line + 1:], console[1])
    report = judge(missing).delivery
    assert len(report.lost) == 1 and not report.ok
    twice = (console[0][:line + 1] + console[0][line:], console[1])
    report = judge(twice).delivery
    assert len(report.duplicated) == 1 and not report.ok


def test_the_judge_refuses_malformed_lines():
    with pytest.raises(ValueError, match=re.escape("core 1 logged a malformed event: 'H enq x'")):
        history(((), ("H enq x",)))
    assert EVENT.fullmatch("H deliver simpleos2 3 0 00040002")
