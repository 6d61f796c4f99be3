"""The C guest library natively against the Verilated RTL (``firmware/native``): every agent
port driven at once by C library threads, histories judged by ``sw_model.checkers``.

A short soak for ``make test``; ``make soak-native`` runs the long one."""

import pytest

from firmware.native import NATIVE_PARAMS, run
from firmware.soak import soak, soak_config, verdict

pytestmark = pytest.mark.cosim

#: The hwfifo layouts, ``(slot_words, depth)``: rings of exactly the message FIFO's capacity
#: (``fifo_depth == depth * slot_words``), so a one-word send racing past the ring's capacity is
#: refused by the hardware. One-word messages are sent without a lock (back-pressure from
#: SLVERR), two-word ones framed under the ring's lock.
HWFIFO = {"one_word": (1, NATIVE_PARAMS.fifo_depth),
          "two_words": (2, NATIVE_PARAMS.fifo_depth // 2)}


def test_fig3_naive_loses_a_message_and_the_checkers_see_it():
    result = run("fig3", "naive")
    assert result.delivery.lost == [0x2_0000]  # P1's message, overwritten by P0's stale head
    assert not result.ok and result.linearizable is False
    assert result.summary["delivered"] == 1


@pytest.mark.parametrize("variant", ["lockfree", "locked"])
def test_fig3_lockfree_and_locked_lose_nothing(variant):
    result = run("fig3", variant)
    assert result.ok, result.failures
    assert result.summary["delivered"] == 2 and result.linearizable


@pytest.mark.parametrize("variant", ["lockfree", "locked"])
def test_many_producers_with_preemption_exactly_once(variant):
    result = run("stress", variant, producers=5, messages=60, switch_rate=0.3, depth=2, seed=3)
    assert result.ok, result.failures
    s = result.summary
    assert s["delivered"] == s["messages"] == 300 and s["violations"] == 0
    assert result.delivery.delivered == 300 and result.linearizable is not False


@pytest.mark.parametrize("variant", ["lockfree", "locked"])
def test_consumer_restarts_through_agent_ctrl_lose_nothing(variant):
    result = run("restart", variant, producers=3, messages=80, restarts=5, depth=4, seed=5)
    assert result.ok, result.failures
    assert result.summary["restarts"] == 5
    assert result.summary["delivered"] == 240
    # more than one consumer incarnation delivered messages
    consumers = {e.thread for e in result.history if e.kind == "deliver"}
    assert len(consumers) > 1, consumers


@pytest.mark.parametrize("layout", HWFIFO)
def test_fig3_hwfifo_loses_nothing(layout):
    slot_words, depth = HWFIFO[layout]
    result = run("fig3", "hwfifo", slot_words=slot_words, depth=depth)
    assert result.ok, result.failures
    assert result.summary["delivered"] == 2 and result.linearizable


@pytest.mark.parametrize("layout", HWFIFO)
def test_hwfifo_many_producers_with_preemption_and_back_pressure_exactly_once(layout):
    """Every producer on the FIFO's sender agent, preempted between any two accesses; a slow
    consumer fills the FIFO, so sends are busy and (one word, no lock) refused by SLVERR."""
    slot_words, depth = HWFIFO[layout]
    result = run("stress", "hwfifo", producers=5, messages=60, switch_rate=0.3, depth=depth,
                 slot_words=slot_words, consumer_lag=100, seed=3)
    assert result.ok, result.failures
    s = result.summary
    assert s["slot_words"] == slot_words and s["bus_errors"] == 0
    assert s["delivered"] == s["messages"] == 300 and s["violations"] == 0
    assert result.delivery.delivered == 300 and result.linearizable is not False
    assert s["busy"] > 0
    assert (s["refused"] > 0) == (slot_words == 1)  # framed sends are never refused


def test_hwfifo_send_that_ignores_its_refusal_is_caught():
    """Negative control of the one-word send's back-pressure: the same run with the arch
    layer reporting every refused FIFO write as accepted loses those messages silently."""
    slot_words, depth = HWFIFO["one_word"]
    result = run("stress", "hwfifo", producers=5, messages=60, switch_rate=0.3, depth=depth,
                 slot_words=slot_words, consumer_lag=100, seed=3, hide_refusals=True)
    assert not result.ok
    assert result.summary["refused"] > 0
    assert len(result.delivery.lost) == result.summary["refused"]
    assert result.summary["delivered"] == 300 - result.summary["refused"]


@pytest.mark.parametrize("scenario, variant, message", [
    ("soak", "lockfree", "scenario must be one of"),
    ("stress", "fifo", "variant must be one of"),
])
def test_run_refuses_what_it_cannot_judge(scenario, variant, message):
    with pytest.raises(ValueError, match=message):
        run(scenario, variant)


def _hwfifo_restart(layout):
    """A restart run on hwfifo whose slow consumer leaves messages in the FIFO for the resets
    to flush (two words: framed under the lock; one word: lockless, counted in flight, and
    preempted often enough that a one-word send racing the supervisor's hold is caught if the
    hold does not wait for it)."""
    slot_words, depth = HWFIFO[layout]
    return {"producers": 4, "messages": 100, "restarts": 10, "switch_rate": 0.4,
            "consumer_lag": 60, "slot_words": slot_words, "depth": depth, "seed": 1}


def _flushed(result):
    return [e.msg for e in result.history if e.kind == "flushed"]


@pytest.mark.parametrize("layout", HWFIFO)
def test_hwfifo_consumer_restarts_deliver_exactly_once_or_report_flushed(layout):
    """The supervisor holds the producers off across each reset of the consumer's agent and
    reports the messages the reset flushed from the FIFO: every message is delivered exactly
    once or reported flushed (and then never delivered)."""
    result = run("restart", "hwfifo", **_hwfifo_restart(layout))
    assert result.ok, result.failures
    s = result.summary
    flushed = _flushed(result)
    assert s["restarts"] == 10 and s["bus_errors"] == 0
    assert len(flushed) == s["flushed"] > 0  # else the test proves nothing
    assert not result.delivery.revived and result.delivery.dropped == len(flushed)
    assert result.delivery.delivered + len(flushed) == s["messages"] == 400
    assert result.linearizable is not False
    consumers = {e.thread for e in result.history if e.kind == "deliver"}
    assert len(consumers) > 1, consumers


@pytest.mark.parametrize("layout", HWFIFO)
def test_hwfifo_restart_without_flush_reports_is_caught(layout):
    """Negative control: the same run with the reports left out loses exactly the messages
    the reports named, and the checkers say so."""
    reported = run("restart", "hwfifo", **_hwfifo_restart(layout))
    hidden = run("restart", "hwfifo", hide_flushes=True, **_hwfifo_restart(layout))
    assert not hidden.ok and not _flushed(hidden)
    assert hidden.summary["flushed"] == reported.summary["flushed"] > 0
    assert hidden.delivery.lost == sorted(_flushed(reported))


def test_naive_ring_under_concurrency_is_caught():
    """Negative control of the whole pipeline (harness, history, checkers)."""
    result = run("stress", "naive", producers=4, messages=40, seed=2)
    assert not result.ok
    assert result.delivery.lost or result.delivery.duplicated or result.delivery.corrupt


def test_short_native_soak():
    lines = []
    totals, fig3 = soak(2, seed=1, progress=lines.append)
    assert totals.ok, totals.failed_runs
    assert fig3["naive"] and not fig3["lockfree"] and not fig3["locked"]
    assert totals.runs == 2 and totals.restarts > 0
    assert totals.delivered == totals.messages > 0 and totals.violations == 0
    assert totals.dropped == totals.refused == 0
    assert totals.rings_linearized + totals.rings_undecided == 2
    assert totals.cycles > 0 and totals.cycles_per_s > 0
    assert len(lines) == 5


def test_native_soak_draws_hwfifo_for_restarts_and_judges_it():
    configs = [soak_config(i, 1) for i in range(12)]
    assert {(c["scenario"], c["variant"]) for c in configs} == \
        {(s, v) for s in ("stress", "restart") for v in ("lockfree", "locked", "hwfifo")}
    config = next(c for c in configs if c["scenario"] == "restart" and c["variant"] == "hwfifo")
    result = run(**config)
    judged = verdict(config, result)
    assert result.ok and not judged.failures, judged.failures
    assert judged.restarts == config["restarts"] > 0
