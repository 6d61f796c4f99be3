"""Deterministic driver for threads written against :class:`sw_model.cpu.RefPort`.

A *thread* is an ``async def`` coroutine; the :class:`Runner` steps it by hand (``coro.send``).
Each step performs the thread's pending :class:`~sw_model.cpu.Op` on the
:class:`~sw_model.system.RefSystem` and runs the thread to its next one. A *schedule* is the
sequence of choices the runner made: a thread id per step, or a :class:`Pulse` (a ``resv_clear``
not caused by a thread switch). Recording the choices and feeding them back through
:class:`ReplayPolicy` reproduces a run exactly; no wall-clock time is involved anywhere.
"""

import random
from dataclasses import dataclass

from rtl.axi import AxiResp

from .cpu import BusError, Op

__all__ = ["Pulse", "Thread", "Runner", "ReplayError", "ReplayPolicy", "RandomPolicy",
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
    """

    def __init__(self, tid, name, agent, coro):
        self.tid, self.name, self.agent, self._coro = tid, name, agent, coro
        self.pending = None
        self.result = None
        self.error = None
        self.history = 0  # hash chain of (op, result): a thread's state is a function of it
        self.iter_gen = None  # system generation when the current spin iteration began
        self.wake_at = 0
        self.killed = False

    @property
    def done(self):
        return self.pending is None

    def __repr__(self):
        return f"Thread({self.tid}, {self.name!r}, agent={self.agent})"


class Runner:
    """Steps threads on a :class:`~sw_model.system.RefSystem` under a scheduling policy.

    Parameters
    ----------
    system : RefSystem
        The modelled hardware.
    clear_on_switch : bool
        Pulse ``resv_clear`` on an agent whenever the thread running on it changes: a switch
        only happens through an interrupt or exception, which clears ``LDST`` on SH-4A.
    absorb : tuple of exception types
        Exceptions that end a thread (recorded in :attr:`Thread.error`) instead of the run.

    Members
    -------
    now : int
        Simulated time in ticks: one per step, plus idle ticks while every thread sleeps.
    trace : list
        The schedule so far (thread ids and :class:`Pulse` entries).
    hooks : list of callables
        Called with the runner after every tick (the hypervisor model polls ``irq`` here).
    """

    def __init__(self, system, *, clear_on_switch=True, absorb=()):
        self.system = system
        self.threads = []
        self.now = 0
        self.trace = []
        self.hooks = []
        self._clear_on_switch = bool(clear_on_switch)
        self._absorb = tuple(absorb)
        self._last = {}

    def spawn(self, coro, *, name, agent):
        """Add a thread running ``coro`` (created from an ``async def`` taking a port)."""
        if any(t.name == name for t in self.threads):
            raise ValueError(f"thread name {name!r} is already used")
        thread = Thread(len(self.threads), name, agent, coro)
        self.threads.append(thread)
        self._advance(thread, None, None)
        return thread

    def thread(self, name):
        """The thread called ``name``."""
        for t in self.threads:
            if t.name == name:
                return t
        raise KeyError(name)

    def kill(self, thread):
        """End ``thread`` at its current scheduling point (a crash, or its guest was reset)."""
        if not thread.done:
            thread._coro.close()
            thread.pending = None
            thread.killed = True

    def ready(self, thread):
        """Whether ``thread`` can take a step now."""
        op = thread.pending
        if op is None:
            return False
        if op.kind == "pause":
            return thread.iter_gen is None or self.system.generation != thread.iter_gen
        if op.kind == "sleep":
            return self.now >= thread.wake_at
        if op.kind == "wait":
            return bool(op.arg())
        return True

    def runnable(self):
        """Threads that can take a step now, in thread-id order."""
        return [t for t in self.threads if self.ready(t)]

    def _perform(self, thread, op):
        """Carry out ``op`` on the system; return ``(value, exception)``."""
        system = self.system
        if thread.iter_gen is None:
            thread.iter_gen = system.generation
        kind = op.kind
        if kind == "pause":
            thread.iter_gen = None
            return None, None
        if kind in ("sleep", "wait"):
            return None, None
        if kind == "clear":
            system.resv_clear(op.agent)
            return None, None
        write = kind in ("store", "movco")
        resp, r_data = system.access(op.agent, op.arg, write=write, data=op.value, strb=op.strb,
                                     lock=kind in ("movli", "movco"), priv=op.priv)
        if resp in (AxiResp.SLVERR, AxiResp.DECERR):
            return None, BusError(resp, op.arg)
        if kind == "movco":
            return resp == AxiResp.EXOKAY, None
        return (None if write else r_data), None

    def _advance(self, thread, value, exc):
        try:
            op = thread._coro.throw(exc) if exc is not None else thread._coro.send(value)
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

    def _apply(self, thread):
        """Perform ``thread``'s pending op and update the bookkeeping, without resuming it."""
        op = thread.pending
        if self._clear_on_switch and self._last.get(thread.agent, thread.tid) != thread.tid:
            self.system.resv_clear(thread.agent)
        self._last[thread.agent] = thread.tid
        value, exc = self._perform(thread, op)
        thread.history = hash((thread.history, op.key, value, exc is not None))
        return value, exc

    def tick(self):
        """One clock tick of the system, then the hooks."""
        self.system.tick()
        for hook in self.hooks:
            hook(self)

    def step(self, choice):
        """Take one schedule entry: a :class:`Thread`, a thread id or a :class:`Pulse`."""
        if isinstance(choice, Pulse):
            self.system.resv_clear(choice.agent)
            self.trace.append(choice)
            return
        thread = self.threads[choice] if isinstance(choice, int) else choice
        if not self.ready(thread):
            raise ReplayError(f"{thread!r} cannot run at step {len(self.trace)}")
        self.trace.append(thread.tid)
        value, exc = self._apply(thread)
        self.now += 1
        self.tick()
        self._advance(thread, value, exc)

    def state_key(self):
        """A hashable summary of the state: two runs with equal keys behave alike from here on
        (each thread's future is a function of its own history of operations and results)."""
        gen = self.system.generation
        return (self.system.memory.state_key(),
                tuple((t.history, t.iter_gen is not None and t.iter_gen != gen)
                      for t in self.threads),
                tuple(sorted(self._last.items())))

    def peek_key(self, thread):
        """The :meth:`state_key` after ``thread`` takes a step, leaving this state unchanged.

        Only the shared RAM and the monitor are saved and restored, so this is for systems
        whose threads do not touch the register block (the protocol explorations)."""
        memory = self.system.memory.snapshot()
        saved = thread.history, thread.iter_gen, dict(self._last)
        self._apply(thread)
        key = self.state_key()
        self.system.memory.restore(memory)
        thread.history, thread.iter_gen, self._last = saved
        return key

    def run(self, policy, *, max_steps=100_000, idle_limit=100_000):
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
                self.now += 1
                self.tick()
                idle += 1
                runnable = self.runnable()
            if not runnable:
                return "quiescent"
            choice = policy.choose(self, runnable)
            if choice is None:
                return "stopped"
            self.step(choice)
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
