"""The cocotb suites on both HDL simulators, through real AXI masters (the `make sim` suites)."""

import pytest

from cosim.regress import CONFIGS, SUITES
from testbench.runner import SIMULATORS, run


@pytest.mark.cosim
@pytest.mark.parametrize("params", CONFIGS, ids=[p.name() for p in CONFIGS])
@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("suite", SUITES)
def test_suite(suite, sim, params):
    passed, failed, results = run(params, sim, suite, seed=1)
    assert failed == 0, f"{failed} cocotb test(s) failed: see {results.parent / 'sim.log'}"
    assert passed > 0
