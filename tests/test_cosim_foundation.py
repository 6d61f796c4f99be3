"""The cocotb foundation suite on both HDL simulators, through real AXI masters."""

import pytest

from cosim.runner import SIMULATORS, run
from rtl.params import IocParams

CONFIGS = [IocParams(), IocParams(n_agents=4, shm_bytes=1024)]


@pytest.mark.cosim
@pytest.mark.parametrize("params", CONFIGS, ids=[p.name() for p in CONFIGS])
@pytest.mark.parametrize("sim", SIMULATORS)
def test_foundation_suite(sim, params):
    passed, failed, results = run(params, sim, "cosim.suite_foundation", seed=1)
    assert failed == 0, f"{failed} cocotb test(s) failed: see {results.parent / 'sim.log'}"
    assert passed >= 18
