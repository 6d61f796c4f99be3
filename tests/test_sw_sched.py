"""The deterministic runner, its policies, the CPU port and the checkers."""

import pytest

from ioc_defs.axi import AxiResp
from ioc_defs.params import IocParams
from sw_model.checkers import check_delivery, check_linearizable, ring_operations
from sw_model.cpu import BusError, CpuPort, RefPort
from sw_model.history import History, message_id, message_words
from sw_model.regs import read_field, write_reg
from sw_model.sched import Pulse, RandomPolicy, ReplayError, ReplayPolicy, Runner, ScriptPolicy
from sw_model.system import RefSystem


def _runner(n_agents=2, **kwargs):
    return Runner(RefSystem(IocParams(n_agents=n_agents)), **kwargs)


async def _counter(port, addr, times):
    for _ in range(times):
        await port.store(addr, await port.load(addr) + 1)


def test_interleaving_is_exactly_the_schedule():
    runner = _runner()
    runner.spawn(_counter(RefPort(0), 0x10, 1), name="a", agent=0)
    runner.spawn(_counter(RefPort(1), 0x10, 1), name="b", agent=1)
    runner.run(ReplayPolicy([0, 1, 0, 1]))
    assert runner.system.memory.peek(0x10) == 1  # both read 0: the lost update
    runner = _runner()
    runner.spawn(_counter(RefPort(0), 0x10, 1), name="a", agent=0)
    runner.spawn(_counter(RefPort(1), 0x10, 1), name="b", agent=1)
    runner.run(ReplayPolicy([0, 0, 1, 1]))
    assert runner.system.memory.peek(0x10) == 2


def test_random_runs_are_seeded_and_replayable():
    def run(policy):
        runner = _runner()
        for k in range(3):
            runner.spawn(_counter(RefPort(k % 2), 0x10, 4), name=f"t{k}", agent=k % 2)
        runner.run(policy)
        return runner

    a = run(RandomPolicy(3, pulse_rate=0.2, n_agents=2))
    b = run(RandomPolicy(3, pulse_rate=0.2, n_agents=2))
    assert a.trace == b.trace and any(isinstance(c, Pulse) for c in a.trace)
    c = run(ReplayPolicy(a.trace))
    assert c.trace == a.trace
    assert c.system.memory.state_key() == a.system.memory.state_key()
    assert run(RandomPolicy(4)).trace != a.trace


def test_switching_threads_on_an_agent_clears_its_reservation():
    async def ll_sc(port, addr):
        await port.movli(addr)
        return await port.movco(addr, 1)

    for clear, expected in ((True, False), (False, True)):
        runner = _runner(clear_on_switch=clear)
        a = runner.spawn(ll_sc(RefPort(0), 0x10), name="a", agent=0)
        runner.spawn(ll_sc(RefPort(0), 0x10), name="b", agent=0)  # one reservation per agent
        runner.run(ReplayPolicy([0, 1, 0, 1]))
        assert a.result is expected


def test_pause_blocks_until_a_read_word_changes():
    async def waiter(port):
        while not await port.load(0x10):
            await port.pause()
        return "woken"

    async def writer(port):
        await port.store(0x20, 1)  # unrelated word: must not wake the waiter
        await port.store(0x10, 1)

    runner = _runner()
    w = runner.spawn(waiter(RefPort(0)), name="w", agent=0)
    runner.spawn(writer(RefPort(1)), name="x", agent=1)
    runner.step(0)  # load -> 0; now at pause, blocked: nothing it read has changed
    assert runner.runnable() == [runner.thread("x")]
    runner.step(1)
    assert w not in runner.runnable()
    runner.step(1)
    assert w in runner.runnable()
    runner.run(RandomPolicy(0))
    assert w.result == "woken"


def test_sleep_advances_time_when_everyone_sleeps():
    async def sleeper(port):
        await port.sleep(50)
        return await read_field(port, "CYCLE_LO", "COUNT")

    runner = _runner()
    t = runner.spawn(sleeper(RefPort(0)), name="s", agent=0)
    assert runner.run(RandomPolicy(0)) == "quiescent"
    assert t.result >= 50 and runner.now >= 51


def test_bus_errors_are_raised_in_the_thread():
    async def bad(port):
        with pytest.raises(BusError) as info:
            await port.load(0x2_0000)
        assert info.value.resp == AxiResp.DECERR
        with pytest.raises(BusError) as info:
            await write_reg(port, "CH_CFG", 0, EP_A=0, EP_B=1, ENABLE=1)  # privileged
        assert info.value.resp == AxiResp.SLVERR
        return "ok"

    runner = _runner()
    t = runner.spawn(bad(RefPort(0)), name="t", agent=0)
    runner.run(RandomPolicy(0))
    assert t.result == "ok"


def test_script_policy_errors_and_kill():
    async def forever(port):
        while True:
            await port.load(0)

    runner = _runner()
    runner.spawn(forever(RefPort(0)), name="a", agent=0)
    with pytest.raises(ValueError, match=r"thread name 'a' is already used"):
        runner.spawn(forever(RefPort(0)), name="a", agent=0)
    runner.run(ScriptPolicy([("a", 3)]))
    assert runner.trace == [0, 0, 0]
    runner.kill(runner.thread("a"))
    assert runner.run(RandomPolicy(0)) == "quiescent"
    with pytest.raises(ReplayError):
        runner.step(0)
    with pytest.raises(ValueError, match=r"step count must be a positive integer or '\*'"):
        ScriptPolicy([("a", 0)])
    with pytest.raises(ValueError, match=r"pulse_rate must be in \[0, 1\], not 2"):
        RandomPolicy(0, pulse_rate=2)


def test_cpu_port_validation():
    with pytest.raises(TypeError, match=r"agent must be a non-negative integer, not -1"):
        RefPort(-1)
    with pytest.raises(TypeError, match=r"priv must be a bool, not 1"):
        RefPort(0, priv=1)
    with pytest.raises(TypeError, match=r"abstract"):
        CpuPort(0)


# -- checkers ----------------------------------------------------------------------------------

def _history(events):
    history = History()
    for kind, thread, msg in events:
        history.add(kind, thread, 0, msg)
    return history


@pytest.mark.parametrize("events, problem", [
    ([("send", "p", 1), ("enq", "p", 1)], "lost"),
    ([("send", "p", 1), ("enq", "p", 1), ("deliver", "c", 1), ("deliver", "c", 1)],
     "duplicated"),
    ([("deliver", "c", 9)], "unsent"),
    ([("send", "p", 1), ("enq", "p", 1), ("send", "p", 2), ("enq", "p", 2),
      ("deliver", "c", 2), ("deliver", "c", 1)], "reordered"),
    ([("corrupt", "c", None)], "corrupt"),
    # reported flushed from a hardware FIFO (certain, unlike a drop), delivered all the same
    ([("send", "p", 1), ("enq", "p", 1), ("flushed", "m", 1), ("deliver", "c", 1)], "revived"),
])
def test_delivery_checker_catches(events, problem):
    report = check_delivery(_history(events))
    assert not report.ok and getattr(report, problem)
    assert str(report).startswith("VIOLATION")


def test_delivery_checker_accepts_drops_busy_and_early_commits():
    report = check_delivery(_history([
        ("send", "p", 1), ("deliver", "c", 1), ("enq", "p", 1),  # committed before enq returned
        ("send", "p", 2), ("busy", "p", 2),  # refused: the sender knows
        ("send", "p", 3), ("enq", "p", 3), ("drop", "p", 3),  # reported dropped
        ("send", "p", 4), ("enq", "p", 4), ("flushed", "m", 4),  # reported flushed
        ("send", "p", 5), ("enq", "p", 5), ("drop", "p", 5), ("deliver", "c", 5),  # told early
    ]))
    assert report.ok and report.delivered == 2 and report.dropped == 3


def test_linearizability_checker():
    ok = _history([("send", "p", 1), ("send", "q", 2), ("enq", "q", 2), ("enq", "p", 1),
                   ("deq_begin", "c", None), ("deliver", "c", 1),
                   ("deq_begin", "c", None), ("deliver", "c", 2)])
    assert check_linearizable(ring_operations(ok, 0), capacity=2) is not None
    # 2 was enqueued (completely) before 1 was even sent, yet 1 came out first
    bad = _history([("send", "q", 2), ("enq", "q", 2), ("send", "p", 1), ("enq", "p", 1),
                    ("deq_begin", "c", None), ("deliver", "c", 1),
                    ("deq_begin", "c", None), ("deliver", "c", 2)])
    assert check_linearizable(ring_operations(bad, 0), capacity=2) is None
    # an empty result at quiescence while a message is queued is not linearizable
    empty = _history([("send", "p", 1), ("enq", "p", 1), ("deq_begin", "c", None),
                      ("empty", "c", None)])
    assert check_linearizable(ring_operations(empty, 0), capacity=2) is None
    # overfilling a ring of capacity 1 without a dequeue is not linearizable
    full = _history([("send", "p", 1), ("enq", "p", 1), ("send", "p", 2), ("enq", "p", 2)])
    assert check_linearizable(ring_operations(full, 0), capacity=1) is None


def test_message_words_detect_mixing():
    a, b = message_words(5, 3), message_words(6, 3)
    assert message_id(a) == 5 and message_id(b) == 6
    assert message_id((a[0],) + b[1:]) is None


def test_a_thread_killed_by_a_hook_finishes_its_step_first():
    # A reset that rises at the end of the cycle of a store must not separate the store from
    # what the thread records about it (the commit of a dequeue and its delivery record).
    records, killed = [], []

    async def committer(port):
        await port.store(0x10, 1)
        records.append("committed")
        await port.store(0x14, 1)
        records.append("never")

    runner = _runner()
    t = runner.spawn(committer(RefPort(0)), name="c", agent=0)
    runner.kill_hooks.append(killed.append)
    runner.hooks.append(lambda r: r.kill(t) if r.now == 1 else None)
    runner.run(RandomPolicy(0))
    assert records == ["committed"] and killed == [t] and t.killed
    assert runner.system.memory.peek(0x14) == 0


def test_history_times_events_without_changing_them():
    timed, plain = History(), History()
    now = [5]
    timed.clock = lambda: now[0]
    for history in (timed, plain):
        history.add("send", "p", 0, 1)
    now[0] = 9
    timed.add("deliver", "c", 0, 1)
    plain.add("deliver", "c", 0, 1)
    assert timed.times == [5, 9] and plain.times == []
    assert list(timed) == list(plain)
