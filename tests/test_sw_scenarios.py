"""SPEC §6 scenarios 1-4 on the reference backend, single-core and dual-core."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ioc_defs.params import IocParams
from sw_model.checkers import check_conservation
from sw_model.guests import DATA, PING, REPLY, IocEnv
from sw_model.history import producer_message
from sw_model.layout import A2B, B2A, SLOT_WORDS
from sw_model.scenario import ScenarioConfig, run_scenario, scenario_fits, scenario_params

CORES = pytest.mark.parametrize("single_core", [True, False], ids=["single-core", "dual-core"])


def _data_messages(config):
    return {producer_message(i, k) for i in range(config.producers) for k in range(config.messages)}


def _accounted(result, config):
    """Every data message delivered exactly once or reported dropped (the checker), and the
    data messages are all there."""
    delivered = {e.msg for e in result.history if e.kind == "deliver"
                 and e.channel == (DATA, A2B) and not e.msg & PING}
    dropped = {e.msg for e in result.history if e.kind in ("drop", "flushed")}
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
    for variant in ("naive", "lockfree", "locked", "hwfifo"):
        verdicts[variant] = [
            run_scenario(ScenarioConfig(single_core=single_core, variant=variant, producers=3,
                                        preempt_rate=0.5, seed=seed)).report
            for seed in range(4)]
    assert all(not r.ok and (r.lost or r.duplicated or r.corrupt) for r in verdicts["naive"])
    assert all(r.ok for r in verdicts["lockfree"] + verdicts["locked"] + verdicts["hwfifo"])


@CORES
@pytest.mark.parametrize("variant", ["lockfree", "locked", "hwfifo"])
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


# -- the hwfifo variant: a restart flushes the FIFOs, and the senders report what it took -----


def test_scenario_config_refuses_an_unknown_variant():
    with pytest.raises(ValueError, match=r"variant must be one of \['hwfifo', 'locked', "
                                         r"'lockfree', 'naive'\], not 'fifo'"):
        ScenarioConfig(variant="fifo")


def test_scenario_fits_an_instance_with_at_least_what_it_needs():
    hwfifo = ScenarioConfig(variant="hwfifo", depth=2)
    needed = scenario_params(hwfifo)
    assert needed.fifo_depth == 2 * SLOT_WORDS and scenario_fits(hwfifo, needed)
    assert scenario_fits(hwfifo, IocParams(n_agents=4, fifo_depth=8))
    assert not scenario_fits(hwfifo, IocParams(fifo_depth=2))  # a message, not a ring of 2
    assert not scenario_fits(ScenarioConfig(), IocParams(n_agents=1))
    assert scenario_fits(ScenarioConfig(single_core=True), IocParams(n_agents=1))
    assert not scenario_fits(ScenarioConfig(), IocParams(shm_bytes=512))


def _flushed(result, channel=None):
    return [e.msg for e in result.history if e.kind == "flushed"
            and (channel is None or e.channel == channel)]


def _balanced(result):
    counts = check_conservation(result.history)
    return all(c.balanced for c in counts.values()), counts


@CORES
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hwfifo_streaming_exactly_once(single_core, seed):
    config = ScenarioConfig(single_core=single_core, variant="hwfifo", seed=seed, producers=2,
                            messages=10)
    result = run_scenario(config)
    assert result.outcome == "stopped"
    assert result.report.ok, result.report
    assert _accounted(result, config)
    assert result.unacked == [] and result.restarts == 0
    assert not result.flushed and not _flushed(result)
    assert not any(result.backlog.values())


@CORES
@pytest.mark.parametrize("fault", ["hang", "crash", "corrupt"])
def test_hwfifo_simpleos_failure_flushed_messages_reported_dropped(single_core, fault):
    # SimpleOS stops serving with Linux's producers still sending: the FIFO to it fills, and
    # its restart flushes it (FIFO_STATUS.DROPPED > 0). Every flushed message is reported to
    # its sender (never delivered: the checkers hold "flushed" to that), the rest delivered.
    config = ScenarioConfig(single_core=single_core, variant="hwfifo", fault=fault, seed=5)
    result = run_scenario(config)
    assert result.outcome == "stopped"
    assert result.restarts == 1
    # corrupt: hwfifo keeps no ring index in RAM; the scribbled reply lock stalls SimpleOS
    assert result.metrics["detected_by"] == "watchdog"
    assert result.epochs == [1, 1]
    assert result.report.ok, result.report
    assert _balanced(result)[0]
    assert _accounted(result, config)
    words = result.flushed[DATA, A2B]
    assert words > 0
    assert len(_flushed(result, (DATA, A2B))) == -(-words // SLOT_WORDS)
    assert set(_flushed(result, (DATA, A2B))) <= _data_messages(config)
    assert not any(result.backlog.values())
    kinds = [what for _, what, _ in result.log]
    assert ("agent_rst" in kinds) == (not single_core)


#: Seeds of hair-trigger runs (below) in which restarts flush both directions.
_BOTH_WAYS = [(seed, single_core) for seed in range(4) for single_core in (False, True)]


def _hair_trigger(seed, single_core, fault=None, preempt=0.3, pulse=0.1):
    return ScenarioConfig(single_core=single_core, variant="hwfifo", seed=seed, fault=fault,
                          hb_period=10, hb_timeout=25, preempt_rate=preempt, pulse_rate=pulse)


def test_hwfifo_restarts_flush_both_directions_and_lose_nothing_silently():
    # A healthy SimpleOS restarted again and again: mid-receive, mid-reply (its replies to
    # Linux are flushed too, and its successor reports them for it).
    totals = {A2B: 0, B2A: 0}
    for seed, single_core in _BOTH_WAYS:
        result = run_scenario(_hair_trigger(seed, single_core))
        assert result.outcome == "stopped"
        assert result.report.ok, result.report
        assert _balanced(result)[0]
        for (_, direction), words in result.flushed.items():
            totals[direction] += words
    assert totals[A2B] > 0 and totals[B2A] > 0, totals


def test_hwfifo_without_flush_reports_the_checkers_see_the_flushed_messages_lost(monkeypatch):
    # Negative control: the same runs (reporting does no bus operation, so the schedules are
    # the same) with the reports suppressed lose exactly the messages that were reported.
    configs = [_hair_trigger(seed, single_core) for seed, single_core in _BOTH_WAYS]
    configs.append(ScenarioConfig(variant="hwfifo", fault="crash", seed=5))
    expected = []
    for config in configs:
        result = run_scenario(config)
        dropped = {e.msg for e in result.history if e.kind == "drop"}
        expected.append(sorted(set(_flushed(result)) - dropped))
    assert all(expected[-1:]) and sum(map(len, expected)) > len(configs)
    monkeypatch.setattr(IocEnv, "report_flushed", lambda self, *args, **kwargs: [])
    for config, lost in zip(configs, expected, strict=True):
        result = run_scenario(config)
        assert result.outcome == "stopped"
        assert sorted(result.report.lost) == lost
        balanced, counts = _balanced(result)
        assert balanced == (not lost)
        assert sorted(v for c in counts.values() for v in c.violations) == \
            sorted(f"{msg:#x} lost silently" for msg in lost)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), single_core=st.booleans(),
       preempt=st.floats(0.0, 0.6), pulse=st.floats(0.0, 0.2),
       fault=st.sampled_from([None, "hang", "crash", "corrupt"]))
def test_hwfifo_restarts_at_arbitrary_points_lose_nothing_silently(seed, single_core, preempt,
                                                                  pulse, fault):
    config = _hair_trigger(seed, single_core, fault, preempt, pulse)
    result = run_scenario(config)
    assert result.outcome == "stopped"
    assert result.report.ok, result.report
    assert _balanced(result)[0]
    assert _accounted(result, config)
