"""The README's ``make sim`` commands, typed as a user would, in a fresh copy of the repository.

A fresh copy has no ``build/``: no earlier run can leave a build behind that hides a broken one
(``make sim WAVES=1`` once failed on Icarus from a fresh clone and passed wherever a waves build
already existed). The copy holds the repository's files as they are in the working tree; its
``make`` uses this session's virtual environment (``VENV=``), which is what ``make setup`` would
create, so that the check costs simulator builds only. The regression is narrowed with the
``SUITES``/``CONFIGS``/``TESTS`` variables to one test on one configuration: what is checked is
the command line, the builds and the wave files, not the regression (``test_cosim.py`` runs it).
Each simulator gets its own copy and runs ``WAVES=1`` first, then the plain command.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from ioc_defs.params import IocParams
from testbench.runner import SIMULATORS

REPO = Path(__file__).resolve().parent.parent
_PARAMS = IocParams()
_SUITE, _TEST = "suite_mailbox", "doorbell_raises_irq_and_is_observed_until_acked"
SELECTION = [f"SUITES={_SUITE}", f"CONFIGS={_PARAMS.name()}", f"TESTS={_TEST}"]


def _fresh_copy(dest):
    """Copy the repository's tracked and unignored files (mtimes kept, so the venv's install
    stamp stays newer than ``pyproject.toml``, as after ``make setup``)."""
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], cwd=REPO, capture_output=True, check=True,
                           text=True).stdout.split("\0")
    for name in filter(None, names):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    assert not (dest / "build").exists()


def _user_env():
    """The environment of a user's shell: none of this pytest's make or simulator settings."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "WAVES", "VERILATOR_ROOT",
                        "PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER")}
    return env


def _make_sim(copy, sim, waves):
    venv = Path(sys.executable).parent.parent
    cmd = ["make", "sim", f"SIM={sim}", *(["WAVES=1"] if waves else []), *SELECTION,
           f"VENV={venv}"]
    result = subprocess.run(cmd, cwd=copy, env=_user_env(), capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(cmd)}:\n{result.stdout[-3000:]}{result.stderr}"
    assert f"{sim}: 1 passed, 0 failed" in result.stdout, result.stdout[-3000:]
    return result.stdout


@pytest.mark.cosim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_make_sim_from_a_fresh_copy(sim, tmp_path):
    copy = tmp_path / "spumone-ioc"
    _fresh_copy(copy)

    _make_sim(copy, sim, waves=True)
    waves = copy / "build" / "waves" / f"{_SUITE}.{_TEST}-{_PARAMS.name()}"
    assert (waves / f"{sim}.fst").stat().st_size > 1000
    assert (waves / f"{sim}.gtkw").read_text().startswith("[dumpfile]")

    _make_sim(copy, sim, waves=False)
    # The suites ran from the copy, not from the repository this test lives in.
    results = copy / "build" / "sim" / f"{sim}-{_PARAMS.name()}" / "runs"
    results = results / f"{_SUITE}-{_PARAMS.name()}" / "results.xml"
    files = {p.get("value") for p in ElementTree.parse(results).iter("property")
             if p.get("name") == "file"}
    assert files == {str(copy / "cosim" / f"{_SUITE}.py")}
