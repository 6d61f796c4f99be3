"""SPEC §6 scenarios on the reference backend: SPUMONE with Linux and SimpleOS, single-core or
dual-core, with or without a SimpleOS failure, every message accounted for at the end."""

from dataclasses import dataclass, field

from ioc_defs.params import IocParams

from .checkers import check_delivery
from .guests import DATA, HEARTBEAT, PING, GuestCrash, IocEnv, Linux, SimpleOS
from .history import History
from .layout import A2B, B2A, SLOT_WORDS, IocLayout
from .ring import VARIANTS
from .sched import ReplayPolicy, Runner
from .spumone import Spumone, Vcpu
from .system import RefSystem

__all__ = ["ScenarioConfig", "ScenarioResult", "Scenario", "scenario_params", "scenario_fits",
           "scenario_layout", "run_scenario"]


@dataclass(frozen=True)
class ScenarioConfig:
    """One run of the whole system.

    Parameters
    ----------
    single_core : bool
        Linux and SimpleOS time-share agent 0 (the paper), else one agent each.
    variant : str
        Ring variant (``"lockfree"``, ``"locked"``, ``"naive"``, or ``"hwfifo"``: the register
        block's message FIFOs, ``depth`` messages deep; a restart of SimpleOS flushes them and
        the flushed messages are reported to their senders, see
        :class:`~sw_model.guests.IocEnv`).
    producers, messages : int
        Linux producer threads and messages each sends.
    depth : int
        Ring depth.
    fault : str or None
        SimpleOS fault (see :class:`~sw_model.guests.SimpleOS`), after ``fault_after``
        messages.
    seed : int
        Seed of every scheduling decision.
    preempt_rate, pulse_rate : float
        Random preemption within a guest and random ``resv_clear`` pulses, per step.
    watchdog_period : int
        Hardware watchdog period in cycles.
    hb_period, hb_timeout : int
        Linux monitor's heartbeat period and timeout (a short timeout makes it restart a
        healthy SimpleOS at arbitrary points: the harshest test of recovery).
    max_steps : int
        Bound on the run.

    Raises
    ------
    ValueError
        On an unknown variant.
    """
    single_core: bool = False
    variant: str = "lockfree"
    producers: int = 2
    messages: int = 8
    depth: int = 4
    fault: str | None = None
    fault_after: int = 3
    seed: int = 0
    preempt_rate: float = 0.1
    pulse_rate: float = 0.0
    watchdog_period: int = 800
    hb_period: int = 300
    hb_timeout: int = 1500
    max_steps: int = 300_000

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {sorted(VARIANTS)}, not {self.variant!r}")


@dataclass
class ScenarioResult:
    """The outcome of :func:`run_scenario`.

    Members
    -------
    report : DeliveryReport
        Exactly-once verdict over every message (data, heartbeats, replies).
    outcome : str
        How the run ended (``"stopped"`` when everything was accounted for).
    steps : int
        Simulated operations (= cycles).
    metrics : dict
        Fault, detection and recovery times (see :class:`~sw_model.guests.IocEnv`).
    restarts : int
        Restarts the Linux monitor requested.
    unacked : list
        Data messages delivered whose acknowledgement never came (the fault's victim).
    trace : list
        The schedule, for :class:`~sw_model.sched.ReplayPolicy`.
    epochs : list
        Final ``ioc_mem_t.epoch`` of each channel (bumped by every restart of SimpleOS).
    sc_failures : int
        Failed store-conditionals, all agents (evidence that reservations were contested).
    backlog : dict
        Messages left in each ring at the end, ``{(channel, direction): head - tail}`` (for
        ``hwfifo``, the FIFO's words over ``slot_words``; all 0 once drained).
    flushed : dict
        ``hwfifo``: words the restarts flushed from each FIFO, ``{(channel, direction):
        words}``, as the senders found them in ``FIFO_STATUS.DROPPED`` (empty otherwise).
    """
    report: object
    outcome: str
    steps: int
    metrics: dict
    restarts: int
    unacked: list
    trace: list
    epochs: list
    sc_failures: int
    backlog: dict = field(default_factory=dict)
    flushed: dict = field(default_factory=dict)
    history: object = field(repr=False, default=None)
    log: list = field(repr=False, default_factory=list)

    def recovery(self):
        """``(detection, recovery)`` latencies in operations: fault to detection, detection
        to the first heartbeat answered by the new incarnation."""
        m = self.metrics
        return m["detected"] - m["fault"], m["resumed"] - m["detected"]


class _Until:
    def __init__(self, policy, done):
        self._policy, self._done = policy, done

    def choose(self, runner, runnable):
        return None if self._done() else self._policy.choose(runner, runnable)


def scenario_params(config):
    """The :class:`~ioc_defs.params.IocParams` a scenario needs (a larger instance also serves):
    with the ``hwfifo`` variant, message FIFOs of ``depth`` messages (single-core too: a
    channel's endpoints may be one agent, which then both sends and receives)."""
    return IocParams(n_agents=1 if config.single_core else 2, n_channels=2, shm_bytes=1024,
                     n_watchdogs=1,
                     fifo_depth=(config.depth * SLOT_WORDS if VARIANTS[config.variant].in_registers
                                 else 0))


#: The :class:`~ioc_defs.params.IocParams` fields a scenario needs at least as large as
#: :func:`scenario_params` gives them.
_SIZES = ("n_agents", "n_channels", "shm_bytes", "n_watchdogs", "fifo_depth")


def scenario_fits(config, params):
    """Whether an instance of ``params`` (an RTL DUT's, say) can run ``config``: it has at least
    the agents, channels, RAM, watchdogs and FIFO depth of :func:`scenario_params`."""
    need = scenario_params(config)
    return all(getattr(params, size) >= getattr(need, size) for size in _SIZES)


def scenario_layout(config):
    """The shared-RAM layout of a scenario; its :meth:`~IocLayout.image` is loaded at 0."""
    return IocLayout(scenario_params(config), depth=config.depth, slot_words=SLOT_WORDS)


class Scenario:
    """SPUMONE, Linux and SimpleOS assembled on ``runner`` (any backend's runner whose system
    holds :func:`scenario_layout`'s image at address 0); :meth:`policy` runs them until every
    message is accounted for, :meth:`result` judges the run."""

    def __init__(self, config, runner):
        self.config, self.runner = config, runner
        self.layout = layout = scenario_layout(config)
        self.history = history = History()
        self.env = env = IocEnv(layout, VARIANTS[config.variant], history,
                                clock=lambda: runner.now)
        linux_vcpu = Vcpu("linux", 0, 1, boot=None)
        self.simple_vcpu = simple_vcpu = Vcpu("simpleos", 0 if config.single_core else 1, 0,
                                              boot=None)
        self.hv = hv = Spumone(runner, {DATA: (linux_vcpu, simple_vcpu),
                                        HEARTBEAT: (linux_vcpu, simple_vcpu)},
                               linux_vcpu, seed=config.seed, preempt_rate=config.preempt_rate,
                               pulse_rate=config.pulse_rate,
                               watchdog=(config.watchdog_period, simple_vcpu))
        self.linux = linux = Linux(env, hv, simple_vcpu, producers=config.producers,
                                   messages=config.messages, hb_period=config.hb_period,
                                   hb_timeout=config.hb_timeout)
        simpleos = SimpleOS(env, fault=config.fault, fault_after=config.fault_after)
        linux_vcpu.boot, simple_vcpu.boot = linux.boot, simpleos.boot
        hv.add(linux_vcpu)
        hv.add(simple_vcpu)
        runner.kill_hooks.append(lambda thread: history.abandon(thread.name))
        hv.start()
        self._ring_ids = [(c, d) for c in (DATA, HEARTBEAT) for d in (A2B, B2A)]
        self.rings = [layout.ring(c, d) for c, d in self._ring_ids]

    def done(self):
        """Quiescent: producers finished, SimpleOS up and no recovery under way (a consumer
        killed between its two stores leaves a ring looking empty until its successor
        repairs it), rings empty, and every live thread idle, so nothing is in flight."""
        runner, env, linux = self.runner, self.env, self.linux
        recovering = ("fault" in env.metrics and "resumed" not in env.metrics
                      or linux.restarting or runner.system.agent_rst(self.simple_vcpu.agent)
                      or not any(t.name.startswith(self.simple_vcpu.name) and not t.done
                                 for t in runner.threads))
        return (linux.done_producers == self.config.producers and not recovering
                and not any(self._backlog().values())
                and all(t.pending.kind in ("wait", "sleep") for t in runner.threads
                        if not t.done))

    def _backlog(self):
        """Messages in each ring (``hwfifo``: in its FIFO, as the register block model has
        it), by ``(channel, direction)``."""
        system = self.runner.system
        if self.env.hwfifo:
            return {key: -(-len(system.regblock.fifo[ring.fifo]) // ring.slot_words)
                    for key, ring in zip(self._ring_ids, self.rings, strict=True)}
        peek = system.memory.peek
        return {key: peek(ring.head) - peek(ring.tail) & 0xFFFF_FFFF
                for key, ring in zip(self._ring_ids, self.rings, strict=True)}

    def policy(self, schedule=None):
        """The hypervisor's scheduling (or a replay of ``schedule``) until :meth:`done`."""
        return _Until(self.hv if schedule is None else ReplayPolicy(schedule), self.done)

    def result(self, outcome):
        runner, history = self.runner, self.history
        memory = runner.system.memory
        delivered = {e.msg for e in history if e.kind == "deliver" and e.channel == (DATA, A2B)
                     and not e.msg & PING}
        return ScenarioResult(check_delivery(history), outcome, runner.now,
                              dict(self.env.metrics), self.linux.restarts,
                              sorted(delivered - self.linux.acks), list(runner.trace),
                              [memory.peek(self.layout.epoch_addr(c)) for c in (DATA, HEARTBEAT)],
                              sum(memory.counters(k).sc_fail
                                  for k in range(runner.system.params.n_agents)),
                              self._backlog(), dict(self.env.flushed), history, self.hv.log)


def run_scenario(config, *, schedule=None):
    """Build and run ``config`` on the reference backend; with ``schedule`` (a recorded trace),
    replay it exactly."""
    system = RefSystem(scenario_params(config))
    system.memory.load_image(0, scenario_layout(config).image())
    scenario = Scenario(config, Runner(system, absorb=(GuestCrash,)))
    outcome = scenario.runner.run(scenario.policy(schedule), max_steps=config.max_steps)
    return scenario.result(outcome)
