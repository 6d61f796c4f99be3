"""The ring variants: the paper's Fig. 3 replayed, every interleaving of a small
configuration, and random schedules with preemption and ``resv_clear`` pulses. ``hwfifo`` runs
on the reference register block's message FIFO."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ioc_defs.regmap import REGMAP
from sw_model.checkers import check_delivery, check_linearizable, ring_operations
from sw_model.cpu import BusError
from sw_model.explore import explore, narrate
from sw_model.history import producer_message
from sw_model.ring import VARIANTS, HwFifoRing
from sw_model.sched import Pulse, RandomPolicy, ReplayPolicy, ScriptPolicy
from sw_model.workload import RingWorkload

# The paper's Fig. 3: producer P0 reads the ring state, is preempted, P1 enqueues completely,
# then P0 resumes with what it read before.
FIG3 = [("P0", 2), ("P1", "*"), ("P0", "*"), ("C", "*")]


def _delivery(runner, history):
    report = check_delivery(history)
    return None if report.ok else report


@pytest.mark.parametrize("single_core", [True, False], ids=["single-core", "dual-core"])
def test_fig3_naive_loses_a_message_and_the_checker_reports_it(single_core):
    workload = RingWorkload("naive", producers=2, messages=1, single_core=single_core)
    runner, history = workload.build()
    assert runner.run(ScriptPolicy(FIG3)) == "quiescent"
    report = check_delivery(history)
    assert not report.ok
    assert report.lost == [producer_message(1, 0)]  # overwritten by P0's stale enqueue
    assert check_linearizable(ring_operations(history, 0), capacity=2) is None


@pytest.mark.parametrize("variant", ["lockfree", "locked", "hwfifo"])
@pytest.mark.parametrize("single_core", [True, False], ids=["single-core", "dual-core"])
def test_fig3_lockfree_and_locked_deliver_everything(variant, single_core):
    workload = RingWorkload(variant, producers=2, messages=1, single_core=single_core)
    runner, history = workload.build()
    assert runner.run(ScriptPolicy(FIG3, then=RandomPolicy(0))) == "quiescent"
    report = check_delivery(history)
    assert report.ok and report.delivered == 2, report
    assert check_linearizable(ring_operations(history, 0), capacity=2) is not None


def test_fig3_lockfree_retries_after_losing_the_reservation():
    runner, history = RingWorkload("lockfree", producers=2, messages=1).build()
    runner.run(ScriptPolicy(FIG3))
    p0 = runner.system.memory
    assert p0.counters(0).sc_fail == 1 and p0.counters(0).sc_ok == 1
    delivered = [e.msg for e in history if e.kind == "deliver"]
    assert delivered == [producer_message(1, 0), producer_message(0, 0)]


# Every interleaving of 2 producers (2 and 1 messages) and 1 consumer on a ring of depth 2
# (so the ring wraps): each thread on its own agent, or all time-sharing one agent.
SMALL = {"producers": 2, "messages": (2, 1), "depth": 2, "slot_words": 1}


@pytest.mark.parametrize("variant", ["lockfree", "locked"])
@pytest.mark.parametrize("single_core", [False, True], ids=["multi-core", "single-core"])
def test_exhaustive_correct_variants_never_fail(variant, single_core):
    workload = RingWorkload(variant, single_core=single_core, **SMALL)
    result = explore(lambda: workload.build(track_states=True), _delivery)
    print(f"{variant}: {result.states} states, {result.end_states} end states, "
          f"{result.schedules} schedules")
    assert result.failures == 0
    assert result.end_states > 1
    if single_core:
        # switches clear reservations, so two threads can make each other's movco fail for
        # ever: some schedules never end (livelock, not a safety violation)
        assert result.schedules is None
    else:
        assert result.schedules > 10**12


@pytest.mark.parametrize("single_core", [False, True], ids=["multi-core", "single-core"])
def test_exhaustive_naive_has_counterexamples_and_prints_the_smallest(single_core):
    workload = RingWorkload("naive", single_core=single_core, **SMALL)
    build = lambda: workload.build(track_states=True)  # noqa: E731
    result = explore(build, _delivery, stop_at_first=True)
    assert result.counterexample is not None and result.verdict.lost
    print(f"smallest counterexample ({len(result.counterexample)} steps): {result.verdict}")
    print("\n".join(narrate(build, result.counterexample, workload.layout.field_name)))
    # it is a real counterexample: replaying it reproduces the loss
    runner, history = workload.build()
    runner.run(ReplayPolicy(result.counterexample))
    assert check_delivery(history).lost == result.verdict.lost


@settings(max_examples=60, deadline=None)
@given(variant=st.sampled_from(["lockfree", "locked", "hwfifo"]), seed=st.integers(0, 2**32),
       single_core=st.booleans(), switch=st.floats(0.05, 1.0), pulse=st.floats(0.0, 0.3),
       producers=st.integers(1, 3), depth=st.sampled_from([2, 4]),
       slot_words=st.sampled_from([1, 2]))
def test_random_schedules_with_preemption_and_pulses(variant, seed, single_core, switch, pulse,
                                                     producers, depth, slot_words):
    workload = RingWorkload(variant, producers=producers, messages=3, depth=depth,
                            single_core=single_core, slot_words=slot_words)
    n_agents = workload.params.n_agents
    runner, history = workload.build()
    policy = RandomPolicy(seed, switch_rate=switch, pulse_rate=pulse, n_agents=n_agents)
    assert runner.run(policy, max_steps=20_000) == "quiescent"
    report = check_delivery(history)
    assert report.ok and report.delivered == 3 * producers, report
    assert check_linearizable(ring_operations(history, 0), capacity=depth) is not None
    # and the recorded schedule replays exactly
    again, history_again = workload.build()
    again.run(ReplayPolicy(runner.trace))
    assert history_again.events == history.events
    assert again.system.memory.state_key() == runner.system.memory.state_key()


class _UnframedFifo(HwFifoRing):
    """hwfifo without its lock: the words of two producers' messages may interleave."""

    async def enqueue(self, port, ring, words, owner=0):
        if await self._level(port, ring) > (ring.depth - 1) * ring.slot_words:
            return False
        try:
            for word in words:
                await port.reg_write(REGMAP["FIFO_DATA"].address(ring.fifo), word)
        except BusError:  # another producer filled it: the message is cut short
            return False
        return True


def test_hwfifo_without_framing_tears_messages_and_the_checker_reports_it(monkeypatch):
    """The negative control of hwfifo's lock: a producer preempted between the two words of
    its message lets another's words in between, and the delivery checker flags the torn
    messages; with the lock the same schedules deliver everything."""
    workload = RingWorkload("hwfifo", producers=2, messages=3, depth=4, single_core=True)
    caught = 0
    for seed in range(20):
        runner, history = workload.build()
        runner.run(RandomPolicy(seed, switch_rate=0.6), max_steps=20_000)
        assert check_delivery(history).ok
        with monkeypatch.context() as patch:
            patch.setitem(VARIANTS, "hwfifo", _UnframedFifo())
            runner, history = workload.build()
            runner.run(RandomPolicy(seed, switch_rate=0.6), max_steps=20_000)
        caught += not check_delivery(history).ok
    assert caught >= 5, caught


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_random_schedules_catch_naive(seed):
    # Under uniform preemption the naive ring misbehaves in most runs; whenever the history
    # is wrong, the checker must say so, and a correct-looking history must check out.
    runner, history = RingWorkload("naive", producers=2, messages=3).build()
    runner.run(RandomPolicy(seed), max_steps=20_000)
    report = check_delivery(history)
    delivered = [e.msg for e in history if e.kind == "deliver"]
    sent = {e.msg for e in history if e.kind == "send"}
    correct = sorted(delivered) == sorted(sent) and not report.corrupt
    assert report.ok == correct


def test_random_pulses_make_lockfree_retry_but_not_fail():
    workload = RingWorkload("lockfree", producers=2, messages=3)
    runner, history = workload.build()
    runner.run(RandomPolicy(7, pulse_rate=0.4, n_agents=3))
    assert any(isinstance(c, Pulse) for c in runner.trace)
    assert sum(runner.system.memory.counters(a).sc_fail for a in range(3)) > 0
    assert check_delivery(history).ok


@pytest.mark.parametrize("variant", ["lockfree", "hwfifo"])
def test_full_ring_gives_busy_and_overwrites_nothing(variant):
    workload = RingWorkload(variant, producers=1, messages=3, depth=2)
    runner, history = workload.build()
    runner.run(ScriptPolicy([("P0", "*"), ("C", "*")], then=RandomPolicy(0)))
    kinds = [e.kind for e in history if e.thread == "P0"]
    assert kinds[:6] == ["send", "enq", "send", "enq", "send", "busy"]
    delivered = [e.msg for e in history if e.kind == "deliver"]
    assert delivered == [producer_message(0, k) for k in range(3)]
    if variant == "hwfifo":  # the FIFO drained, nothing flushed
        regs = runner.system.regblock
        assert regs.fifo_dropped == [0, 0] and not any(regs.fifo)
