"""The executor of guest operations: a deterministic driver for threads written against
:class:`sw_model.cpu.RefPort`, on any backend.

A *thread* is an ``async def`` coroutine; the :class:`Runner` steps it by hand (``coro.send``).
Each step performs the thread's pending :class:`~sw_model.cpu.Op` on the runner's *system* (the
backend) and runs the thread to its next one. A *schedule* is the sequence of choices the runner
made: a thread id per step, or a :class:`Pulse` (a ``resv_clear`` not caused by a thread switch).
Recording the choices and feeding them back through :class:`ReplayPolicy` reproduces a run
exactly; no wall-clock time is involved anywhere.

Every rule about running guest code lives here once: readiness (pause, sleep, wait), the
``resv_clear`` pulse on a thread switch, what a spinning thread watches, how an operation's
result or bus error reaches the thread, kills. The backend hook is the :class:`System`: the
reference model (:class:`sw_model.system.RefSystem`), the RTL under cocotb (live or replaying a
reference schedule, ``testbench.live.RtlSystem``), and anything else with links per agent.
"""

import random
from dataclasses import dataclass
from typing import Protocol

from ioc_defs.params import Region

from .cpu import Op
from .link import perform

__all__ = ["Pulse", "Thread", "System", "Runner", "ReplayError", "ReplayPolicy", "RandomPolicy",
           "ScriptPolicy"]


@dataclass(frozen=True)
class Pulse:
    """Schedule entry: pulse ``resv_clear[agent]`` (an interrupt taken at this point)."""
    agent: int


class ReplayError(Exception):
    """A replayed schedule asked for a thread that cannot run: the run has diverged."""


class Thread:
    """A coroutine and its scheduling state, owned by a :class:`Runner`.

    Members
    -------
    tid : int
        Index in :attr:`Runner.threads`.
    coro : coroutine
        The thread's code, stepped by the runner alone.
    name : str
        Unique name, used by hand-written schedules.
    agent : int
        The physical CPU the thread runs on.
    pending : Op or None
        The operation the thread performs at its next step; ``None`` once finished.
    result : object
        The coroutine's return value, once finished.
    error : BaseException or None
        The exception that ended the thread, if :meth:`Runner.step` was told to absorb it.
    last_result : object
        What the thread's last operation returned.
    killed : bool
        Ended by :meth:`Runner.kill` (a crash or a reset), not by returning.
    """

    def __init__(self, tid, name, agent, coro):
        self.tid, self.name, self.agent, self.coro = tid, name, agent, coro
        self.pending = None
        self.result = None
        self.error = None
        self.position = None  # (suspended frames, op, result) of its last step, if tracked
        self.last_result = None
        # Spin bookkeeping for pause(): the value last read from each shared-RAM word since the
        # previous pause, and the system generation if a register was read.
        self.watch = {}
        self.watch_reg = None
        self.wake_at = 0
        self.killed = False

    @property
    def done(self):
        return self.pending is None

    def __repr__(self):
        return f"Thread({self.tid}, {self.name!r}, agent={self.agent})"


_PLAIN = frozenset((int, str, bool, float, bytes, type(None)))


def _value(value):
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is tuple or kind is list:
        return (kind.__name__,) + tuple(_value(v) for v in value)
    return kind.__qualname__


def _frames(coro):
    """A hashable image of a suspended coroutine chain: code, position and locals per frame."""
    image = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        image.append((frame.f_code, frame.f_lasti,
                      tuple([_value(v) for v in frame.f_locals.values()])))
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return tuple(image)


def _now(coro):
    """Run ``coro`` to completion at once: the reference backend never suspends, so the
    executor's coroutines finish in one ``send``. A backend that would wait must be driven with
    :meth:`Runner.arun` / :meth:`Runner.astep` instead."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("the system waited for time to pass: drive it with arun/astep")


class System(Protocol):
    """What a :class:`Runner` needs of its backend (structural).

    Members
    -------
    params : IocParams
        The configuration.
    memory : SharedMemory
        The shared RAM as it is now (the reference's, or an exact mirror of the RTL's), read by
        the scheduler (spinning threads) and scenario checks without bus traffic.
    generation : object
        Changes whenever register state another thread could observe may have changed.
    """

    def link(self, agent):
        """The :class:`~sw_model.link.Link` of ``agent`` (the same object on every call)."""

    async def elapse(self, idle):
        """Time passes after a step (``idle=False``), or one tick of idle time
        (``idle=True``) while every thread sleeps or waits; returns the ticks that passed."""

    def irq(self, agent):
        """Level of ``irq[agent]``."""

    def agent_rst(self, agent):
        """Level of ``agent_rst[agent]``."""


class Runner:
    """Steps threads on a system (the backend) under a scheduling policy.

    :meth:`step` and :meth:`run` drive a system that never waits (the reference model);
    :meth:`astep` and :meth:`arun` are the same code for a system whose links and clock are
    awaited (the RTL under cocotb).

    Parameters
    ----------
    system : System
        The hardware: :class:`~sw_model.system.RefSystem` or another backend.
    clear_on_switch : bool
        Pulse ``resv_clear`` on an agent whenever the thread running on it changes: a switch
        only happens through an interrupt or exception, which clears ``LDST`` on SH-4A.
    absorb : tuple of exception types
        Exceptions that end a thread (recorded in :attr:`Thread.error`) instead of the run.
    track_states : bool
        Maintain what :meth:`state_key` needs (costs time; for the explorer).
    summary : callable or None
        Returns a hashable summary of the recorded history, made part of :meth:`state_key`.

    Members
    -------
    now : int
        Simulated time in ticks, as the system counts them (reference: one per step, plus idle
        ticks while every thread sleeps; RTL: clock cycles).
    trace : list
        The schedule so far (thread ids and :class:`Pulse` entries).
    hooks : list of callables
        Called with the runner after every tick (the hypervisor model polls ``irq`` here).
    kill_hooks : list of callables
        Called with each thread :meth:`kill` ends.
    """

    def __init__(self, system, *, clear_on_switch=True, absorb=(), track_states=False,
                 summary=None):
        self.system = system
        self.threads = []
        self.now = 0
        self.trace = []
        self.hooks = []
        self.kill_hooks = []
        self._stepping, self._doomed = None, False
        self._clear_on_switch = bool(clear_on_switch)
        self._absorb = tuple(absorb)
        self._track, self._summary = bool(track_states), summary
        self._last = {}

    def spawn(self, coro, *, name, agent):
        """Add a thread running ``coro`` (created from an ``async def`` taking a port)."""
        if any(t.name == name for t in self.threads):
            coro.close()
            raise ValueError(f"thread name {name!r} is already used")
        thread = Thread(len(self.threads), name, agent, coro)
        self.threads.append(thread)
        self._resume(thread, None, None)
        return thread

    def thread(self, name):
        """The thread called ``name``."""
        for t in self.threads:
            if t.name == name:
                return t
        raise KeyError(name)

    def kill(self, thread):
        """End ``thread`` at its next scheduling point (a crash, or its guest was reset).

        A thread killed by a hook while it takes a step (its agent's reset rose at the end of
        that cycle) first finishes the step: the operation was performed, and what the thread
        records about it (a delivery, say) belongs to it. Then :attr:`kill_hooks` are called.
        """
        if thread.done:
            return
        if thread is self._stepping:
            self._doomed = True
            return
        thread.coro.close()
        thread.pending = None
        thread.killed = True
        for hook in self.kill_hooks:
            hook(thread)

    def ready(self, thread):
        """Whether ``thread`` can take a step now."""
        op = thread.pending
        if op is None:
            return False
        if op.kind == "pause":
            return self._changed(thread)
        if op.kind == "sleep":
            return self.now >= thread.wake_at
        if op.kind == "wait":
            return bool(op.arg())
        return True

    def _changed(self, thread):
        """Whether a word the thread read since its previous pause now holds another value than
        it last read there, or a register may have changed. If not, a paused thread would only
        repeat its last pass with the same results: a spinning pass reads each word once and
        leaves shared state as it found it, so it is not scheduled until something changes."""
        word = self.system.memory.word
        return (any(word(i) != v for i, v in thread.watch.items())
                or thread.watch_reg is not None and self.system.generation != thread.watch_reg
                or not thread.watch and thread.watch_reg is None)

    def runnable(self):
        """Threads that can take a step now, in thread-id order."""
        return [t for t in self.threads if self.ready(t)]

    def _note_reads(self, thread, op):
        """Before ``op`` is performed: keep what a spinning thread reads, so that its next
        :meth:`~sw_model.cpu.CpuPort.pause` waits until one of those words (or a register)
        changes; a pause starts a new pass."""
        if op.kind == "pause":
            thread.watch, thread.watch_reg = {}, None
        elif op.kind in ("load", "movli"):
            if self.system.params.region(op.arg) == Region.SHM:
                index = self.system.memory.word_index(op.arg)
                thread.watch[index] = self.system.memory.word(index)
            elif thread.watch_reg is None:
                thread.watch_reg = self.system.generation

    def _resume(self, thread, value, exc):
        """Resume ``thread`` with its operation's result (or raise its bus error in it) and run
        it to its next operation."""
        try:
            op = thread.coro.throw(exc) if exc is not None else thread.coro.send(value)
        except StopIteration as stop:
            thread.pending, thread.result = None, stop.value
            return
        except self._absorb as error:
            thread.pending, thread.error = None, error
            return
        if not isinstance(op, Op):
            raise TypeError(f"thread {thread.name!r} awaited {op!r}, not a CpuPort operation")
        thread.pending = op
        if op.kind == "sleep":
            thread.wake_at = self.now + op.arg

    async def _apply(self, thread, track=True):
        """Perform ``thread``'s pending op and update the bookkeeping, without resuming it.

        A change of thread on an agent first pulses that agent's ``resv_clear``: a switch only
        happens through an interrupt or exception, which clears ``LDST`` on SH-4A."""
        op = thread.pending
        link = self.system.link(thread.agent)
        if self._clear_on_switch and self._last.get(thread.agent, thread.tid) != thread.tid:
            await link.clear()
        self._last[thread.agent] = thread.tid
        self._note_reads(thread, op)
        if op.agent != thread.agent:
            link = self.system.link(op.agent)
        value, exc = await perform(link, op)
        if self._track and track:
            thread.position = (_frames(thread.coro), op.key, value, exc is not None)
        return value, exc

    async def _elapse(self, idle):
        """Let the system's time pass (after a step, or one idle tick), then call the hooks."""
        self.now += await self.system.elapse(idle)
        for hook in self.hooks:
            hook(self)

    def step(self, choice, *, track=True):
        """Take one schedule entry: a :class:`Thread`, a thread id or a :class:`Pulse`.

        ``track=False`` skips the :meth:`state_key` bookkeeping for this step (the explorer
        replaying a prefix only needs it at each thread's last step)."""
        _now(self.astep(choice, track=track))

    async def astep(self, choice, *, track=True):
        """:meth:`step`, on a system whose links and clock are awaited."""
        if isinstance(choice, Pulse):
            await self.system.link(choice.agent).clear()
            self.trace.append(choice)
            return
        thread = self.threads[choice] if isinstance(choice, int) else choice
        if not self.ready(thread):
            raise ReplayError(f"{thread!r} cannot run at step {len(self.trace)}")
        self.trace.append(thread.tid)
        value, exc = await self._apply(thread, track)
        thread.last_result = value
        self._stepping, self._doomed = thread, False
        await self._elapse(idle=False)
        self._resume(thread, value, exc)
        self._stepping = None
        if self._doomed:
            self.kill(thread)

    def state_key(self):
        """A hashable summary of the state: two runs with equal keys behave alike from here on
        (each thread's future is a function of its suspended frames and of the result it is
        about to be resumed with). Needs ``track_states``; exact for threads whose locals are
        plain values or objects that stay constant (ports, ring views, recorders), and only if
        ``summary`` covers everything the final check looks at."""
        return (self.system.memory.state_key(),
                tuple((t.position, frozenset(t.watch.items()), t.watch_reg is not None,
                       self._changed(t))
                      for t in self.threads),
                tuple(sorted(self._last.items())),
                None if self._summary is None else self._summary())

    def peek_key(self, thread):
        """The :meth:`state_key` after ``thread`` takes a step, leaving this state unchanged.

        Only the shared RAM and the monitor are saved and restored, so this is for systems
        whose threads do not touch the register block (the protocol explorations)."""
        memory = self.system.memory.snapshot()
        saved = thread.position, dict(thread.watch), thread.watch_reg, dict(self._last)
        _now(self._apply(thread))
        key = self.state_key()
        self.system.memory.restore(memory)
        thread.position, thread.watch, thread.watch_reg, self._last = saved
        return key

    def run(self, policy, *, max_steps=100_000, idle_limit=100_000):
        """Step under ``policy`` until it stops or nothing can run any more (see :meth:`arun`,
        the same loop for a system that is awaited)."""
        return _now(self.arun(policy, max_steps=max_steps, idle_limit=idle_limit))

    async def arun(self, policy, *, max_steps=100_000, idle_limit=100_000):
        """Step under ``policy`` until it stops or nothing can run any more.

        When every live thread is sleeping or waiting, time advances by idle ticks (at most
        ``idle_limit`` in a row) until one can run.

        Returns
        -------
        str
            ``"stopped"`` (the policy returned ``None``), ``"quiescent"`` (no thread can ever
            run again), or ``"limit"`` (``max_steps`` reached).
        """
        for _ in range(max_steps):
            runnable = self.runnable()
            idle = 0
            while not runnable and idle < idle_limit and any(
                    t.pending.kind in ("sleep", "wait") for t in self.threads if not t.done):
                await self._elapse(idle=True)
                idle += 1
                runnable = self.runnable()
            if not runnable:
                return "quiescent"
            choice = policy.choose(self, runnable)
            if choice is None:
                return "stopped"
            await self.astep(choice)
        return "limit"


class ReplayPolicy:
    """Replays a recorded schedule exactly, then stops.

    Parameters
    ----------
    schedule : sequence
        Thread ids and :class:`Pulse` entries, as in :attr:`Runner.trace`.
    """

    def __init__(self, schedule):
        self._schedule = list(schedule)
        self._pos = 0

    def choose(self, runner, runnable):
        if self._pos == len(self._schedule):
            return None
        choice = self._schedule[self._pos]
        self._pos += 1
        if not isinstance(choice, Pulse) and runner.threads[choice] not in runnable:
            raise ReplayError(f"schedule entry {self._pos - 1}: thread {choice} cannot run")
        return choice


class RandomPolicy:
    """Seeded random scheduling: preempt at any step, and pulse ``resv_clear`` at random.

    Parameters
    ----------
    seed : int
        Seed of the private random generator.
    switch_rate : float
        Probability of choosing a (possibly different) thread at random at each step; otherwise
        the previous thread continues while it can (1.0 = preempt anywhere, uniformly).
    pulse_rate : float
        Probability of inserting a :class:`Pulse` on a random agent before a step.
    n_agents : int
        Agents eligible for random pulses.
    """

    def __init__(self, seed, *, switch_rate=1.0, pulse_rate=0.0, n_agents=1):
        for name, rate in (("switch_rate", switch_rate), ("pulse_rate", pulse_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], not {rate!r}")
        self._rng = random.Random(seed)
        self._switch, self._pulse, self._n_agents = switch_rate, pulse_rate, n_agents
        self._current = None

    def choose(self, runner, runnable):
        if self._pulse and self._rng.random() < self._pulse:
            return Pulse(self._rng.randrange(self._n_agents))
        if self._current in runnable and self._rng.random() >= self._switch:
            return self._current
        self._current = self._rng.choice(runnable)
        return self._current


class ScriptPolicy:
    """A hand-written schedule, by thread name, then a fallback policy.

    Parameters
    ----------
    script : sequence
        Entries ``name`` (one step), ``(name, n)`` (``n`` steps) or ``(name, "*")`` (steps until
        the thread finishes or blocks), or :class:`Pulse` objects.
    then : policy or None
        Policy used once the script is exhausted; ``None`` stops the run there.
    """

    def __init__(self, script, then=None):
        self._entries = []
        for entry in script:
            if isinstance(entry, (str, Pulse)):
                entry = (entry, 1)
            name, count = entry
            if count != "*" and (not isinstance(count, int) or count < 1):
                raise ValueError(f"step count must be a positive integer or '*', not {count!r}")
            self._entries.append([name, count])
        self._then = then

    def choose(self, runner, runnable):
        while self._entries:
            name, count = self._entries[0]
            if isinstance(name, Pulse):
                self._entries.pop(0)
                return name
            thread = runner.thread(name)
            if count == "*":
                if thread in runnable:
                    return thread
                self._entries.pop(0)
                continue
            if thread not in runnable:
                raise ReplayError(f"script: {name!r} cannot run at step {len(runner.trace)}")
            self._entries[0][1] -= 1
            if self._entries[0][1] == 0:
                self._entries.pop(0)
            return thread
        return None if self._then is None else self._then.choose(runner, runnable)
