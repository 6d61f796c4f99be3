"""Fault soak: SimpleOS hangs, crashes and ring corruptions, and restarts, by the hundred.

Each run is one SPEC §6 scenario (:class:`sw_model.scenario.Scenario`) drawn at random: core
configuration, ring variant, producers, ring depth, preemption and ``resv_clear`` rates, which
fault and when, and in a third of the runs a hair-trigger Linux monitor that restarts SimpleOS
again and again at arbitrary points. :func:`judge` checks a run: it ended with everything
accounted for and the rings drained; nothing lost silently, duplicated, reordered or corrupted
(:func:`~sw_model.checkers.check_delivery`); per channel, sent = delivered + reported dropped +
refused (:func:`~sw_model.checkers.check_conservation`); every ring's history linearizes to a
FIFO (the ring whose index the fault deliberately scribbled over excepted; messages a reset
flushed from a hardware FIFO are reported, and left out of it); and an injected
fault was detected and SimpleOS served again.

The same configurations and the same judge serve the reference backend (:func:`run_reference`)
and the RTL (``cosim/suite_soak.py``), whose timers are scaled to bus operations.

    python -m verify soak --faults 1000 --rtl-faults 100
"""

import random
import time
from collections import Counter
from dataclasses import dataclass, field, fields

from sw_model.checkers import (
    LinearizabilityUndecided,
    check_conservation,
    check_linearizable,
    ring_operations,
)
from sw_model.guests import DATA
from sw_model.layout import A2B
from sw_model.ring import VARIANTS as RING_VARIANTS
from sw_model.scenario import ScenarioConfig, run_scenario, scenario_fits, scenario_params

__all__ = ["FAULTS", "DEPTHS", "TIMING", "MAX_STATES", "CORRUPT_NAIVE", "soak_config", "judge",
           "RunCounts", "RunVerdict", "SoakTotals", "run_reference"]

FAULTS = ("hang", "crash", "corrupt")
#: Timers of the reference backend (one operation per tick) and of the RTL (cycles: an
#: operation is several cycles on the bus); ``hair`` makes the monitor restart a healthy
#: SimpleOS at arbitrary points.
TIMING = {
    "reference": {"normal": {}, "hair": {"hb_period": 10, "hb_timeout": 25}},
    "rtl": {"normal": {"watchdog_period": 4000, "hb_period": 1500, "hb_timeout": 6000},
            "hair": {"watchdog_period": 4000, "hb_period": 80, "hb_timeout": 200}},
}


#: Bound on the linearizability search of one ring history.
MAX_STATES = 200_000


#: Ring depths the soak draws.
DEPTHS = (2, 4)


def soak_config(index, seed, backend="reference", params=None):
    """The ``index``-th random run of soak ``seed``: reproducible from the numbers. Faults
    take turns so that every kind is exercised evenly. ``params``: the instance the run must
    fit (the RTL's DUT, :func:`~sw_model.scenario.scenario_fits`), which draws hwfifo only if
    its message FIFOs hold a ring of one of :data:`DEPTHS` and then only such depths; ``None``
    (the reference, which builds the instance each run needs) draws every variant and depth.

    Raises
    ------
    ValueError
        If the run drawn does not fit ``params`` (fewer agents, channels, RAM or watchdogs than
        a scenario needs)."""
    rng = random.Random(f"soak:{seed}:{index}")
    hair = rng.random() < 0.3
    small = backend == "rtl"
    fault = FAULTS[index % len(FAULTS)]

    def depths(variant):
        return [d for d in DEPTHS if params is None or scenario_fits(
            ScenarioConfig(variant=variant, depth=d, single_core=True), params)]

    variant = rng.choice([v for v in ("lockfree", "locked", "hwfifo") if depths(v)])
    config = ScenarioConfig(
        single_core=rng.random() < 0.5,
        variant=variant,
        producers=rng.randint(1, 2 if small else 3),
        messages=rng.randint(2, 4 if small else 8),
        depth=rng.choice(depths(variant)),
        fault=fault,
        fault_after=rng.randint(1, 4),
        seed=rng.getrandbits(32),
        preempt_rate=rng.uniform(0.0, 0.5),
        pulse_rate=rng.uniform(0.0, 0.1),
        max_steps=60_000,
        **TIMING[backend]["hair" if hair else "normal"],
    )
    if params is not None and not scenario_fits(config, params):
        raise ValueError(f"soak run {index} of seed {seed} needs an instance of at least "
                         f"{scenario_params(config)}, not {params}")
    return config


#: The negative control of the ``corrupt`` fault (not drawn by :func:`soak_config`): the naive
#: ring has no commit record, so SimpleOS re-attaching after it scribbled over its DATA ring's
#: ``tail`` trusts the bad index; its consumer then replays stale slots (duplicates,
#: reordering) and messages are lost. The lock-free and locked rings repair ``tail`` from their
#: sequence numbers. Reproduce with ``run_scenario``.
CORRUPT_NAIVE = ScenarioConfig(variant="naive", fault="corrupt", producers=2, messages=3,
                                preempt_rate=0.0127, pulse_rate=0.0093, seed=2965127685,
                                max_steps=40_000)


@dataclass(kw_only=True)
class RunCounts:
    """The figures of a run that add up over a soak (one run's in :class:`RunVerdict`, their
    sums in :class:`SoakTotals`).

    Members
    -------
    restarts : int
        Restarts of SimpleOS by the Linux monitor (of the consumer's agent, natively).
    rings_linearized, rings_exempt, rings_undecided : int
        Ring histories found linearizable; left out (the ring the ``corrupt`` fault scribbled
        over: a deliberately broken object is no FIFO until repaired); and too large for the
        search (more than its bound of states), reported as such.
    ops : int
        Ring operations in the linearized histories.
    steps : int
        Scheduler steps (reference backend).
    cycles : int
        Clock cycles (RTL backends).
    wall : float
        Seconds the run took (wall clock, for speed reports only).
    """
    restarts: int = 0
    rings_linearized: int = 0
    rings_exempt: int = 0
    rings_undecided: int = 0
    ops: int = 0
    steps: int = 0
    cycles: int = 0
    wall: float = 0.0

    def add_counts(self, other):
        """Add the :class:`RunCounts` figures of ``other`` to this record's."""
        for f in fields(RunCounts):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class RunVerdict(RunCounts):
    """What :func:`judge` found in one run (and the :class:`RunCounts` figures).

    Members
    -------
    config : ScenarioConfig
        The run's configuration (a ``dict`` of keyword arguments for a native run).
    fault : str or None
        The fault actually injected (``None`` if a restart came before SimpleOS got to it).
    detected : bool
        After the fault, the Linux monitor judged SimpleOS failed (watchdog or heartbeat).
    recovered : bool
        After the fault, the new incarnation answered a heartbeat.
    channels : dict
        ``{(channel, direction): ChannelCount}``.
    failures : list of str
        Every check that failed; empty for a good run.
    """
    config: ScenarioConfig
    fault: str | None = None
    detected: bool = False
    recovered: bool = False
    channels: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.failures

    @property
    def messages(self):
        return sum(c.sent for c in self.channels.values())

    @property
    def violations(self):
        """Messages lost silently, duplicated or delivered from nowhere, as counted."""
        return sum(len(c.violations) for c in self.channels.values())


def judge(config, result):
    """Check one finished run (a :class:`~sw_model.scenario.ScenarioResult`)."""
    v = RunVerdict(config, restarts=result.restarts, steps=result.steps)
    fail = v.failures.append
    metrics = result.metrics
    v.fault = config.fault if "fault" in metrics else None
    if result.outcome != "stopped":
        fail(f"run did not reach quiescence: {result.outcome}")
    if not result.report.ok:
        fail(f"delivery: {result.report}")
    if any(result.backlog.values()):
        fail(f"rings not drained: {result.backlog}")
    v.channels = check_conservation(result.history)
    for channel, count in sorted(v.channels.items()):
        if not count.balanced:
            fail(f"conservation on {channel}: {count}")
    for channel in result.backlog:
        # (hwfifo keeps no ring index in RAM: its corrupt fault scribbles over a lock)
        if (v.fault == "corrupt" and channel == (DATA, A2B)
                and not RING_VARIANTS[config.variant].in_registers):
            v.rings_exempt += 1
            continue
        ops = ring_operations(result.history, channel)
        try:
            if check_linearizable(ops, capacity=config.depth, max_states=MAX_STATES) is None:
                fail(f"ring {channel}: history not linearizable ({len(ops)} operations)")
        except LinearizabilityUndecided:
            v.rings_undecided += 1
            continue
        v.rings_linearized += 1
        v.ops += len(ops)
    if v.fault is not None:
        v.detected = "detected" in metrics and metrics["detected"] >= metrics["fault"]
        v.recovered = "resumed" in metrics and metrics["resumed"] > metrics["fault"]
        if result.restarts < 1 or not v.recovered:
            fail(f"{v.fault} not recovered from: restarts {result.restarts}, {metrics}")
    if result.restarts and min(result.epochs) < 1:
        fail(f"restarted but the epochs did not move: {result.epochs}")
    return v


@dataclass
class SoakTotals(RunCounts):
    """Sums over many :class:`RunVerdict` objects: the one totals record of every soak
    (reference, RTL under cocotb, and the C library natively, :mod:`firmware.soak`).

    ``faults``, ``detected`` and ``recovered`` count runs by fault kind (``hang``, ``crash``,
    ``corrupt``): injected, then detected by the Linux monitor, then recovered from.
    """
    runs: int = 0
    faults: Counter = field(default_factory=Counter)
    detected: Counter = field(default_factory=Counter)
    recovered: Counter = field(default_factory=Counter)
    violations: int = 0
    messages: int = 0
    delivered: int = 0
    dropped: int = 0
    refused: int = 0
    failed_runs: list = field(default_factory=list)

    def add(self, v):
        self.runs += 1
        if v.fault:
            self.faults[v.fault] += 1
            self.detected[v.fault] += v.detected
            self.recovered[v.fault] += v.recovered
        self.add_counts(v)
        self.violations += v.violations
        self.messages += v.messages
        self.delivered += sum(c.delivered for c in v.channels.values())
        self.dropped += sum(c.dropped for c in v.channels.values())
        self.refused += sum(c.refused for c in v.channels.values())
        if not v.ok:
            self.failed_runs.append((v.config, v.failures))

    @property
    def n_faults(self):
        return sum(self.faults.values())

    @property
    def ok(self):
        return not self.failed_runs

    @property
    def cycles_per_s(self):
        """Simulated cycles per wall-clock second (0 before any run)."""
        return self.cycles / self.wall if self.wall else 0.0

    def as_dict(self):
        return {"runs": self.runs, "faults": dict(sorted(self.faults.items())),
                "detected": dict(sorted(self.detected.items())),
                "recovered": dict(sorted(self.recovered.items())),
                "faults_total": self.n_faults, "restarts": self.restarts,
                "violations": self.violations, "messages": self.messages,
                "delivered": self.delivered, "dropped": self.dropped, "refused": self.refused,
                "rings_linearized": self.rings_linearized, "rings_exempt": self.rings_exempt,
                "rings_undecided": self.rings_undecided,
                "ring_ops_linearized": self.ops, "steps": self.steps,
                "failed_runs": len(self.failed_runs)}


def run_reference(faults, seed=0, *, max_runs=None, progress=None):
    """Soak the reference backend until ``faults`` faults were injected (at most ``max_runs``
    runs, default ``3 * faults``); returns ``(SoakTotals, wall seconds)``."""
    totals = SoakTotals()
    start = time.monotonic()
    max_runs = 3 * faults if max_runs is None else max_runs
    index = 0
    while totals.n_faults < faults and index < max_runs:
        config = soak_config(index, seed)
        totals.add(judge(config, run_scenario(config)))
        index += 1
        if progress and index % 100 == 0:
            progress(f"  reference soak: {index} runs, {totals.n_faults} faults, "
                     f"{len(totals.failed_runs)} failed")
    return totals, time.monotonic() - start
