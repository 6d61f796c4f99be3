"""The layers (README, "Architecture") hold: the lint enforces them and catches a violation, and
the pure-Python layers load no HDL or simulator."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
PACKAGES = CONFIG["root_packages"]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


@pytest.mark.parametrize("package", ["sw_model", "ioc_defs", "host"])
def test_pure_python_layers_load_no_amaranth(package):
    """Importing the package and every module in it (in a fresh interpreter) loads neither
    Amaranth nor cocotb."""
    code = (f"import importlib, pkgutil, sys, {package}\n"
            f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
            f"    importlib.import_module(m.name)\n"
            f"print(sorted({{n.split('.')[0] for n in sys.modules}}))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, cwd=ROOT).stdout
    loaded = set(eval(out))  # a list literal of module names
    assert package in loaded
    assert not loaded & {"amaranth", "cocotb", "cocotbext", "cocotb_tools"}, loaded


def _lint_copy(tmp_path, edit=None):
    """Run the project's import contracts on a copy of its packages, after ``edit(tree)``."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    if edit is not None:
        edit(tmp_path)
    # The copy shadows the installed packages: lint-imports puts its working directory first
    # on sys.path, and the interpreter is told not to look elsewhere first.
    return subprocess.run([str(LINT_IMPORTS), "--no-logo", "--no-cache"], cwd=tmp_path,
                          capture_output=True, text=True,
                          env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(tmp_path)})


def _append(path, line):
    def edit(tree):
        with open(tree / path, "a") as f:
            f.write(f"\n{line}\n")
    return edit


def test_the_contracts_pass_on_an_unedited_copy(tmp_path):
    """The positive control of the copies below: the copy itself is not what breaks them."""
    result = _lint_copy(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("path,line,contract", [
    # the model reaching into the gateware (it used to, for the AXI enums)
    ("sw_model/cpu.py", "from rtl.axi import AxiSignature  # noqa", "layers"),
    # a definition depending on what it defines for
    ("ioc_defs/params.py", "import sw_model.cpu  # noqa", "layers"),
    # the testbench library importing a suite (cosim used to import verify and bench)
    ("testbench/tb.py", "import cosim.regress  # noqa", "layers"),
    # two entry points leaning on each other
    ("bench/report.py", "import verify.report  # noqa", "layers"),
    # the pure-Python model loading the HDL
    ("sw_model/memory.py", "import amaranth  # noqa", "pure-python"),
    # the host client loading a simulator
    ("host/bridge.py", "import cocotb  # noqa", "pure-python"),
])
def test_a_violating_import_fails_the_lint(tmp_path, path, line, contract):
    """Each edit adds one import the contracts forbid: the lint fails, and the contract it
    breaks is the one that says so."""
    result = _lint_copy(tmp_path, _append(path, line))
    assert result.returncode != 0, result.stdout
    assert "0 broken" not in result.stdout, result.stdout
    alone = subprocess.run([str(LINT_IMPORTS), "--no-logo", "--no-cache", "--contract",
                            contract], cwd=tmp_path, capture_output=True, text=True,
                           env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(tmp_path)})
    assert alone.returncode != 0 and "1 broken" in alone.stdout, alone.stdout
