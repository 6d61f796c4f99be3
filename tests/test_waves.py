"""WAVES=1 on both simulators: FST files, and GTKWave save files naming only real traces."""

import re
import subprocess

import pytest

from ioc_defs.params import IocParams
from testbench.runner import SIMULATORS, run
from testbench.waves import gtkw_traces


def _fst_traces(fst):
    """Full names (with bit ranges) of the variables in an FST, via GTKWave's fst2vcd."""
    vcd = subprocess.run(["fst2vcd", str(fst)], capture_output=True, text=True,
                         check=True).stdout
    scope, names = [], set()
    for line in vcd.splitlines():
        if line.startswith("$enddefinitions"):
            break
        if line.startswith("$scope"):
            scope.append(line.split()[2])
        elif line.startswith("$upscope"):
            scope.pop()
        elif line.startswith("$var"):
            words = line.split()
            width, name = int(words[2]), words[4]
            rng = words[5] if re.fullmatch(r"\[\d+:\d+\]", words[5]) else ""
            names.add(".".join(scope + [name]) + (rng if width > 1 else ""))
    return names


@pytest.mark.cosim
@pytest.mark.parametrize("sim", SIMULATORS)
def test_waves_and_save_file(sim):
    params = IocParams()
    passed, failed, results = run(params, sim, "cosim.suite_mailbox", waves=True, seed=1,
                                  test_filter=r".*doorbell.*")
    assert (passed, failed) == (1, 0)
    fst = results.parents[4] / "waves" / f"suite_mailbox-{params.name()}" / f"{sim}.fst"
    assert fst.stat().st_size > 1000
    gtkw = fst.with_suffix(".gtkw").read_text()
    assert f'[dumpfile] "{fst.resolve()}"' in gtkw
    in_fst = _fst_traces(fst)
    listed = [trace for _, traces in gtkw_traces(params) for _, trace in traces]
    assert len(listed) > 60
    missing = [t for t in listed if t not in in_fst]
    assert not missing, f"traces in the save file but not in the {sim} FST: {missing[:5]}"
    for trace in listed:
        assert trace in gtkw
