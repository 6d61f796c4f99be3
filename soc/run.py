"""Running programs on the Verilated SoC, and the scenario table of ``make soc``."""

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .build import FIRMWARE_DIR, build_firmware, build_simulator
from .core import PATCHES

__all__ = ["RunResult", "run_program", "Scenario", "scenarios", "run_scenarios", "format_table"]

_END = re.compile(r"SOC-END cycles=(\d+) exit=(\d+) timeout=([01]) wall_us=(\d+)")
_KV = re.compile(r"(\w+)=(\d+)")


@dataclass(frozen=True)
class RunResult:
    """What one simulation printed and counted.

    ``console[k]`` are core *k*'s console lines; ``exits[k]`` the codes core *k* exited with,
    in order (a core restarted by ``agent_rst`` may exit again); ``cycles`` the clock cycles
    simulated until core 0 exited (or the limit); ``wall_s`` the wall-clock time of the
    simulator's clock loop (start-up and program loading excluded).
    """
    console: tuple
    exits: tuple
    cycles: int
    exit_code: int
    timeout: bool
    wall_s: float

    def values(self, core=0, prefix="result "):
        """The ``key=value`` pairs of core *core*'s last console line starting with ``prefix``."""
        for line in reversed(self.console[core]):
            if line.startswith(prefix):
                return {key: int(value) for key, value in _KV.findall(line)}
        return {}


def run_program(fw0, fw1=None, *, patches=PATCHES, max_cycles=2_000_000):
    """Run ``$readmemh`` images ``fw0`` on core 0 and ``fw1`` (default: the same) on core 1,
    on the core patched with ``patches`` (default: every patch of ``soc/patches``)."""
    if not isinstance(max_cycles, int) or isinstance(max_cycles, bool) or max_cycles < 1:
        raise ValueError(f"max_cycles must be a positive integer, not {max_cycles!r}")
    fw1 = fw1 if fw1 is not None else fw0
    for image in (fw0, fw1):
        if not Path(image).is_file():
            raise FileNotFoundError(f"no firmware image {image}")
    exe = build_simulator(patches=patches)
    result = subprocess.run([str(exe), f"+fw0={fw0}", f"+fw1={fw1}",
                             f"+max_cycles={max_cycles}"], capture_output=True, text=True,
                            check=True)
    console = ([], [])
    exits = ([], [])
    end = None
    for line in result.stdout.splitlines():
        if line.startswith("SOC-END"):
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
                     wall_s=int(end.group(4)) / 1e6)


@dataclass(frozen=True)
class Scenario:
    """A program run on both cores, and whether it is expected to pass (``expect_pass=False``
    is a negative control: the run must fail)."""
    name: str
    sources: tuple
    defines: dict = field(default_factory=dict)
    patched: bool = True
    expect_pass: bool = True

    def run(self, *, max_cycles=2_000_000):
        tag = "-".join([self.name, *(f"{k}{v}" for k, v in sorted(self.defines.items()))])
        image = build_firmware(tag, [FIRMWARE_DIR / s for s in self.sources],
                               defines=self.defines)
        return run_program(image, patched=self.patched, max_cycles=max_cycles)


_BRINGUP = ("bringup.c", "amo_probe.S")


def scenarios(*, quick=False):
    """The scenarios of ``make soc`` (``quick``: the short version ``make test`` runs)."""
    incs = 100 if quick else 2000
    irqs = 4 if quick else 64
    defines = {"INCS": incs, "IRQS": irqs}
    return (
        Scenario("bringup", _BRINGUP, defines),
        # The pinned core without the LR/SC patches: lr.w/sc.w go out as byte accesses (not
        # exclusive-capable, so every sc.w fails) and sc.w reports the bus read data (0) as
        # success, so increments are lost without the loop noticing.
        Scenario("bringup-unpatched-core", _BRINGUP, {"INCS": 100, "IRQS": 4}, patched=False,
                 expect_pass=False),
    )



def run_scenarios(*, quick=False):
    """Run every scenario; returns ``[(scenario, RunResult)]``."""
    return [(s, s.run()) for s in scenarios(quick=quick)]


def _latency(values):
    """Doorbell write to the peer's handler, in cycles: ``min..max`` (one figure if equal)."""
    low, high = values.get("irq_latency_min"), values.get("irq_latency_max")
    if low is None or values.get("irqs", 0) == 0:
        return "-"
    return str(low) if low == high else f"{low}..{high}"


def format_table(rows):
    """The ``make soc`` table: every figure is measured in the run it reports."""
    head = ("scenario", "cycles", "cycles/s", "sc_fail core0", "sc_fail core1", "counter",
            "irqs", "irq latency", "result")
    lines = [head]
    for scenario, result in rows:
        values = result.values()
        passed = result.exit_code == 0 and not result.timeout
        verdict = "PASS" if passed else ("TIMEOUT" if result.timeout else "FAIL")
        if not scenario.expect_pass:
            verdict += " (expected)" if not passed else " (UNEXPECTED)"
        rate = result.cycles / max(result.wall_s, 1e-6)
        lines.append((scenario.name, str(result.cycles), f"{rate:,.0f}",
                      str(values.get("sc_fail0", "-")), str(values.get("sc_fail1", "-")),
                      f"{values.get('counter', '-')}/{values.get('expected', '-')}",
                      str(values.get("irqs", "-")), _latency(values), verdict))
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in lines)
