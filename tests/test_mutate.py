"""``make mutate`` (verify/mutate.py), reduced: the pipeline on a small sample of one module."""

import json

import pytest

from verify import mutate
from verify.formal.jobs import group


def test_wilson_interval():
    assert mutate.wilson(0, 0) == (0.0, 1.0)
    lo, hi = mutate.wilson(19, 20)
    assert round(lo, 3) == 0.764 and round(hi, 3) == 0.991
    lo, hi = mutate.wilson(20, 20)
    assert hi == 1.0 and round(lo, 3) == 0.839


@pytest.mark.formal
@pytest.mark.cosim
def test_mutation_run_of_one_module(tmp_path):
    """Two Yosys mutants of the LL/SC monitor through simulation and formal, and the report;
    the unmutated netlist through the same two checks is not killed (a control)."""
    g = group("ll_sc_monitor")
    mod = next(m for m in mutate.MODULES if m.name == "ll_sc_monitor")
    work = tmp_path / "work"
    records = mutate.run([mod], 2, 5, work, progress=lambda _: None)
    (record,) = records
    assert record["mutants"] == 2 and len(record["mutant_records"]) == 2
    assert all(m["command"].startswith("mutate -mode ") and "-module top.dut" in m["command"]
               for m in record["mutant_records"])
    assert record["killed"] + record["survived"] == 2
    total = mutate.write_report(records, tmp_path, 2, 5, 1.0)
    data = json.loads((tmp_path / "mutation.json").read_text())
    assert data["total"] == json.loads(json.dumps(total))
    assert "| ll_sc_monitor |" in (tmp_path / "mutation.md").read_text()
    noop = "mutate -mode none"
    assert not mutate.simulate_mutant(mod, g.params, noop, work / mod.name, "noop")
    assert mutate.prove_mutant(g, noop, work / mod.name, "noop") == (False, [])
