"""Running programs on the Verilated SoC, and the scenario table of ``make soc``."""

import re
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path

from firmware.headers import C_VARIANTS
from ioc_defs.params import IocParams
from sw_model.ring import VARIANTS as RING_VARIANTS

from .build import FIRMWARE_DIR, build_firmware, build_simulator
from .check import Verdict, judge
from .core import PATCHES
from .memmap import PARAMS

__all__ = ["RunResult", "run_program", "Scenario", "ScenarioRun", "VARIANTS", "FAULTS",
           "scenarios", "run_scenarios", "HEAD", "table_rows", "format_table", "LEGEND"]

_END = re.compile(r"SOC-END cycles=(\d+) exit=(\d+) timeout=([01]) wall_us=(\d+)")
_KV = re.compile(r"(\w+)=(\d+)")


@dataclass(frozen=True)
class RunResult:
    """What one simulation printed and counted.

    ``console[k]`` are core *k*'s console lines; ``exits[k]`` the codes core *k* exited with,
    in order (a core restarted by ``agent_rst`` may exit again); ``cycles`` the clock cycles
    simulated until core 0 exited (or the limit); ``wall_s`` the wall-clock time of the
    simulator's clock loop (start-up and program loading excluded); ``events`` (with
    ``trace=True``) the simulator's ``(cycle, event, core)`` trace: ``irq`` (rising edge),
    ``trap``, ``ar``, ``r``, ``aw`` and ``b`` (the core's handshakes on the IOC).
    """
    console: tuple
    exits: tuple
    cycles: int
    exit_code: int
    timeout: bool
    wall_s: float
    events: tuple = ()

    def values(self, core=0, prefix="result "):
        """The ``key=value`` pairs of core *core*'s last console line starting with ``prefix``."""
        for line in reversed(self.console[core]):
            if line.startswith(prefix):
                return {key: int(value) for key, value in _KV.findall(line)}
        return {}


def run_program(fw0, fw1=None, *, patches=PATCHES, params=PARAMS, max_cycles=2_000_000,
                trace=False):
    """Run ``$readmemh`` images ``fw0`` on core 0 and ``fw1`` (default: the same) on core 1,
    on the core patched with ``patches`` (default: every patch of ``soc/patches``), the IOC
    configured by ``params``; ``trace`` records the simulator's event trace
    (:attr:`RunResult.events`)."""
    if not isinstance(max_cycles, int) or isinstance(max_cycles, bool) or max_cycles < 1:
        raise ValueError(f"max_cycles must be a positive integer, not {max_cycles!r}")
    fw1 = fw1 if fw1 is not None else fw0
    for image in (fw0, fw1):
        if not Path(image).is_file():
            raise FileNotFoundError(f"no firmware image {image}")
    exe = build_simulator(patches=patches, params=params)
    result = subprocess.run([str(exe), f"+fw0={fw0}", f"+fw1={fw1}",
                             f"+max_cycles={max_cycles}", *(["+trace"] if trace else [])],
                            capture_output=True, text=True, check=True)
    console = ([], [])
    exits = ([], [])
    events = []
    end = None
    for line in result.stdout.splitlines():
        if line.startswith("SOC-EV "):
            cycle, event, core = line.split()[1:]
            events.append((int(cycle), event, int(core)))
        elif line.startswith("SOC-END"):
            end = _END.fullmatch(line)
        elif line.startswith("SOC-EXIT "):
            core, code = line.split()[1:]
            exits[int(core)].append(int(code))
        elif line[:1] == "[" and line[2:4] == "] ":
            console[int(line[1])].append(line[4:])
    if end is None:
        raise RuntimeError(f"the simulator did not finish:\n{result.stdout}{result.stderr}")
    return RunResult(console=(tuple(console[0]), tuple(console[1])),
                     exits=(tuple(exits[0]), tuple(exits[1])), cycles=int(end.group(1)),
                     exit_code=int(end.group(2)), timeout=end.group(3) == "1",
                     wall_s=int(end.group(4)) / 1e6, events=tuple(events))


@dataclass(frozen=True)
class Scenario:
    """A program run on both cores, and what it must show.

    ``sources`` are files of ``soc/firmware``; ``library`` links the IOC C library (the IOC
    scenarios, judged independently by :func:`soc.check.judge` from their logged history);
    ``patches`` the core variant (:func:`~soc.core.variant_name`), ``params`` the IOC's
    configuration (the SoC's by default). ``expect_pass=False`` is a
    negative control: the run must fail. ``expect_loss`` marks the naive ring's Fig. 3: the
    firmware passes when it detected the loss, and the checker must find it too.
    """
    name: str
    sources: tuple
    defines: dict = field(default_factory=dict)
    patches: tuple = PATCHES
    params: IocParams = PARAMS
    expect_pass: bool = True
    library: bool = False
    expect_loss: bool = False
    max_cycles: int = 5_000_000

    def image(self):
        """Build the program (cached); returns its ``$readmemh`` image (the ELF is beside it)."""
        tag = "-".join([self.name, *(f"{k}{v}" for k, v in sorted(self.defines.items()))])
        return build_firmware(tag, [FIRMWARE_DIR / s for s in self.sources],
                              defines=self.defines, library=self.library)

    def run(self, *, trace=False):
        """Build (cached) and run; returns a :class:`ScenarioRun`."""
        result = run_program(self.image(), patches=self.patches, params=self.params,
                             max_cycles=self.max_cycles, trace=trace)
        return ScenarioRun(self, result, judge(result.console) if self.library else None)


@dataclass(frozen=True)
class ScenarioRun:
    """A scenario's run: the simulator's result and the Python checkers' verdict (``None`` for
    a program that logs no history)."""
    scenario: Scenario
    result: RunResult
    verdict: Verdict | None

    @property
    def firmware_passed(self):
        return self.result.exit_code == 0 and not self.result.timeout

    @property
    def checker_agrees(self):
        """The checkers saw what the scenario must show (a loss for the naive Fig. 3 only)."""
        if self.verdict is None:
            return True
        if self.scenario.expect_loss:
            return bool(self.verdict.delivery.lost)
        return self.verdict.ok

    @property
    def as_expected(self):
        return (self.firmware_passed and self.checker_agrees) == self.scenario.expect_pass


_BRINGUP = ("bringup.c", "amo_probe.S")
_SCEN = "scen.c"
#: The shared-RAM ring variants by name, and their C enumerators (the SoC's configuration has
#: no message FIFOs, so no hwfifo).
VARIANTS = {name: f"IOC_{name.upper()}" for name in C_VARIANTS
            if not RING_VARIANTS[name].in_registers}
#: recovery.c's FAULT codes.
FAULTS = {"crash": 1, "hang": 2, "corrupt": 3}


def _only(number):
    """The core with only patch ``number`` (e.g. ``"0001"``) of ``soc/patches``."""
    return tuple(p for p in PATCHES if p.name.startswith(f"{number}-"))


def scenarios(*, quick=False):
    """The scenarios of ``make soc`` (``quick``: the short version ``make test`` runs)."""
    short = {"INCS": 100, "IRQS": 4}
    bringup = {"INCS": 100 if quick else 2000, "IRQS": 4 if quick else 64}
    msgs = 12 if quick else 100
    rows = [
        Scenario("bringup", _BRINGUP, bringup),
        # The pinned core without the LR/SC patches: lr.w/sc.w go out as byte accesses (not
        # exclusive-capable, so every sc.w fails) and sc.w reports the bus read data (0) as
        # success, so increments are lost without the loop noticing.
        Scenario("bringup-unpatched-core", _BRINGUP, short, patches=(), expect_pass=False),
        # Each patch alone. Only the word-size fix: the exclusives work on the bus, but sc.w
        # still reports the bus read data (0, "success") when it failed: updates are lost.
        Scenario("bringup-only-patch-0001", _BRINGUP, short, patches=_only("0001"),
                 expect_pass=False),
        # Only the sc.w result fix: lr.w/sc.w are still byte accesses, which the bus cannot
        # make exclusive: every sc.w fails, and now says so, so no increment ever completes.
        Scenario("bringup-only-patch-0002", _BRINGUP, short, patches=_only("0002"),
                 expect_pass=False),
    ]
    for name, variant in VARIANTS.items():
        rows.append(Scenario(f"stream-{name}", (_SCEN, "stream.c"),
                             {"VARIANT": variant, "MSGS": msgs, "PINGS": 4 if quick else 16},
                             library=True))
    for name, variant in VARIANTS.items():
        rows.append(Scenario(f"fig3-{name}", (_SCEN, "fig3.c"), {"VARIANT": variant},
                             library=True, expect_loss=name == "naive"))
    for fault, code in FAULTS.items():
        for name in ("lockfree", "locked"):
            if quick and (fault, name) not in (("crash", "lockfree"), ("hang", "locked"),
                                               ("corrupt", "lockfree")):
                continue
            rows.append(Scenario(f"recovery-{fault}-{name}", (_SCEN, "recovery.c"),
                                 {"VARIANT": VARIANTS[name], "FAULT": code,
                                  "MSGS": 24 if quick else 100},
                                 library=True))
    contention = {"INCS": 200 if quick else 2000, "MSGS": 40 if quick else 400}
    for skew in (0, 1, 3):
        rows.append(Scenario(f"contention-skew{skew}", (_SCEN, "contention.c"),
                             {"SKEW": skew, **contention}, library=True))
    # the negative control of the forward-progress window: the plain monitor, at the skew
    # where it lets a core fail more than n_agents - 1 SCs in a row
    rows.append(Scenario("contention-skew3-window0", (_SCEN, "contention.c"),
                         {"SKEW": 3, **contention}, library=True,
                         params=replace(PARAMS, resv_hold_cycles=0)))
    return tuple(rows)


def run_scenarios(*, quick=False):
    """Run every scenario; returns ``[ScenarioRun]``."""
    return [s.run() for s in scenarios(quick=quick)]


def _span(values, low, high):
    """``min..max`` of a measured figure (one figure if equal), ``-`` if not measured."""
    if low not in values:
        return "-"
    lo, hi = values[low], values[high]
    return str(lo) if lo == hi else f"{lo}..{hi}"


def _throughput(values):
    """Stream messages per 1000 cycles (from the scenario's own cycle count)."""
    if "stream_cycles" not in values or "stream_messages" not in values:
        return "-"
    return f"{1000 * values['stream_messages'] / values['stream_cycles']:.1f}"


HEAD = ("scenario", "messages", "checker", "cycles", "cycles/s", "latency", "round trip",
        "msg/kcycle", "detect", "recover", "sc_fail core0", "sc_fail core1", "result")


def table_rows(runs):
    """The rows of the ``make soc`` table, every figure from the run it reports."""
    rows = []
    for run in runs:
        result, values = run.result, run.result.values()
        verdict = "PASS" if run.firmware_passed and run.checker_agrees else (
            "TIMEOUT" if result.timeout else "FAIL")
        if not run.scenario.expect_pass:
            verdict += " (expected)" if run.as_expected else " (UNEXPECTED)"
        elif not run.as_expected:
            verdict += " (UNEXPECTED)"
        messages = "-" if run.verdict is None else f"{run.verdict.delivered}/{run.verdict.sent}"
        latency = _span(values, "latency_min", "latency_max")
        if latency == "-":
            latency = _span(values, "irq_latency_min", "irq_latency_max")
        rows.append((run.scenario.name, messages, "-" if run.verdict is None else str(run.verdict),
                     str(result.cycles), f"{result.cycles / max(result.wall_s, 1e-6):,.0f}",
                     latency, _span(values, "rtt_min", "rtt_max"), _throughput(values),
                     str(values.get("detect_cycles", "-")), str(values.get("recover_cycles", "-")),
                     str(values.get("sc_fail0", "-")), str(values.get("sc_fail1", "-")), verdict))
    return rows


def format_table(runs):
    """The ``make soc`` table, aligned; a legend says what each figure is."""
    lines = [HEAD, *table_rows(runs)]
    widths = [max(len(row[i]) for row in lines) for i in range(len(HEAD))]
    text = "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in lines)
    return text + "\n" + LEGEND


LEGEND = """\
messages: delivered/sent by the Python checkers (sw_model.checkers) over the history the cores
logged; checker: their verdict. cycles: simulated clock cycles of the whole run; cycles/s: of the
simulator's clock loop. latency: one message in flight, from the sender's cycle-counter read
before ioc_send to the receiver's read right after ioc_recv in its interrupt handler (bringup:
doorbell write to the handler); round trip: until the sender has the reply. msg/kcycle: the
streaming phase. detect: from the fault to the Linux-role core's monitoring service noticing it
(the watchdog; for the corrupt index, a channel without progress); recover: to every channel
attached again at its new epoch. sc_fail: the LL/SC monitor's SC-failure counters. All cycle
figures are read from the IOC cycle counter by the cores in this run."""
