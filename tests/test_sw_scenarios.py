"""SPEC §6 scenarios 1-4 on the reference backend, single-core and dual-core."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sw_model.guests import DATA, PING, REPLY
from sw_model.history import producer_message
from sw_model.layout import A2B
from sw_model.scenario import ScenarioConfig, run_scenario

CORES = pytest.mark.parametrize("single_core", [True, False], ids=["single-core", "dual-core"])


def _data_messages(config):
    return {producer_message(i, k) for i in range(config.producers) for k in range(config.messages)}


def _accounted(result, config):
    """Every data message delivered exactly once or reported dropped (the checker), and the
    data messages are all there."""
    delivered = {e.msg for e in result.history if e.kind == "deliver"
                 and e.channel == (DATA, A2B) and not e.msg & PING}
    dropped = {e.msg for e in result.history if e.kind == "drop"}
    return delivered | (dropped & _data_messages(config)) == _data_messages(config)


@CORES
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_scenario1_ping_pong_and_streaming(single_core, seed):
    config = ScenarioConfig(single_core=single_core, seed=seed, producers=2, messages=10)
    result = run_scenario(config)
    assert result.outcome == "stopped"
    assert result.report.ok, result.report
    assert _accounted(result, config)
    assert not [e for e in result.history if e.kind == "drop" and e.msg in _data_messages(config)]
    assert result.unacked == []  # every message answered (ping-pong)
    pongs = [e for e in result.history if e.kind == "deliver" and e.msg & REPLY and e.msg & PING]
    assert pongs and result.restarts == 0


@CORES
def test_scenario2_fig3_through_the_hypervisor(single_core):
    # The same adversarial schedules (seeds) for each variant: the naive ring loses messages
    # when a producer is preempted between reading and writing head, and the checker says so.
    verdicts = {}
    for variant in ("naive", "lockfree", "locked"):
        verdicts[variant] = [
            run_scenario(ScenarioConfig(single_core=single_core, variant=variant, producers=3,
                                        preempt_rate=0.5, seed=seed)).report
            for seed in range(4)]
    assert all(not r.ok and (r.lost or r.duplicated or r.corrupt) for r in verdicts["naive"])
    assert all(r.ok for r in verdicts["lockfree"] + verdicts["locked"])


@CORES
@pytest.mark.parametrize("variant", ["lockfree", "locked"])
@pytest.mark.parametrize("seed", [0, 1])
def test_scenario3_many_producers_preemption_pulses_backpressure(single_core, variant, seed):
    config = ScenarioConfig(single_core=single_core, variant=variant, producers=4, messages=8,
                            depth=2, preempt_rate=0.5, pulse_rate=0.2, seed=seed)
    result = run_scenario(config)
    assert result.outcome == "stopped"
    assert result.report.ok, result.report
    assert _accounted(result, config)
    assert any(e.kind == "busy" for e in result.history)  # back-pressure was exercised
    assert result.sc_failures > 0  # reservations were lost to preemption and pulses


@CORES
@pytest.mark.parametrize("fault, detector", [("hang", "watchdog"), ("crash", "watchdog"),
                                             ("corrupt", "heartbeat")])
def test_scenario4_simpleos_failure_detection_restart_resume(single_core, fault, detector):
    config = ScenarioConfig(single_core=single_core, fault=fault, seed=5)
    result = run_scenario(config)
    assert result.outcome == "stopped"
    assert result.restarts == 1
    assert result.metrics["detected_by"] == detector
    assert result.epochs == [1, 1]  # re-attached at the new epoch
    assert result.report.ok, result.report  # nothing lost silently
    assert _accounted(result, config)
    assert len(result.unacked) <= 1  # at most the message the fault struck
    detection, recovery = result.recovery()
    print(f"{'single' if single_core else 'dual'}-core {fault}: detected by {detector} "
          f"{detection} ops after the fault, serving again {recovery} ops later")
    assert 0 < detection <= config.watchdog_period + 1600
    assert 0 < recovery < 2000
    kinds = [what for _, what, _ in result.log]
    assert ("agent_rst" in kinds) == (not single_core)


def test_scenario_replays_exactly_from_its_trace():
    config = ScenarioConfig(fault="crash", preempt_rate=0.3, pulse_rate=0.1, seed=11)
    first = run_scenario(config)
    again = run_scenario(config, schedule=first.trace)
    assert again.history.events == first.history.events
    assert again.metrics == first.metrics and again.steps == first.steps


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), single_core=st.booleans(),
       preempt=st.floats(0.0, 0.6), pulse=st.floats(0.0, 0.2),
       fault=st.sampled_from([None, "hang", "crash", "corrupt"]))
def test_restarts_at_arbitrary_points_lose_nothing_silently(seed, single_core, preempt, pulse,
                                                            fault):
    # A monitor with a hair-trigger timeout restarts a healthy SimpleOS again and again, at
    # whatever operation it happens to be in: mid-dequeue, mid-reply, mid-recovery.
    config = ScenarioConfig(single_core=single_core, seed=seed, fault=fault, hb_period=10,
                            hb_timeout=25, preempt_rate=preempt, pulse_rate=pulse)
    result = run_scenario(config)
    assert result.outcome == "stopped"
    assert result.report.ok, result.report
    assert _accounted(result, config)
