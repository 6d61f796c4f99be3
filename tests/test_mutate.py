"""``make mutate`` (verify/mutate.py), reduced: the pipeline on a small sample of one module."""

import json
import re

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
    assert mutate.prove_mutant(g, noop, work / mod.name, "noop") == ("PASS", [])
    assert mutate.equivalent(work / mod.name / "formal.il", noop, work / mod.name, "noop") == \
        (True, None)


def _monitor_mutants(workdir):
    """The LL/SC monitor's proof group, its netlist in ``workdir`` and 400 of its mutants."""
    g = group("ll_sc_monitor")
    top = g.top()
    il = workdir / "formal.il"
    il.write_text(mutate.rtlil.convert(top, name="top", ports=top.ports()))
    return g, il, mutate.list_mutants(il, workdir, 400, 1)


@pytest.mark.formal
def test_a_stuck_counter_bit_is_killed_by_the_induction_step(tmp_path):
    """A high bit of an LL/SC counter stuck at 0: no run from reset within the proof's depth
    reaches it, so the base case passes; the induction step finds the counter skipping, and
    the proof that passes unmutated is lost, which counts as a formal kill."""
    g, il, commands = _monitor_mutants(tmp_path)
    stuck = next(c for c in commands if c.startswith("mutate -mode const0 ") and
                 re.search(r"-port Q -portbit (1[6-9]|2\d) -wire status__\w+_count__", c))
    status, failed = mutate.prove_mutant(g, stuck, tmp_path, "stuck")
    assert (status, mutate.formal_kill(status)) == ("UNKNOWN", True), failed
    assert mutate.FORMAL_VERDICTS[status] == "induction"
    # and it is no equivalent mutant: the equivalence induction does not close
    assert mutate.equivalent(il, stuck, tmp_path, "stuck") == (False, "induction")


@pytest.mark.formal
def test_the_equivalence_base_check_catches_a_mutant_the_induction_alone_would_pass(
        tmp_path, monkeypatch):
    """The bounded check from the initial state is no formality: with the induction step
    skipped, ``sc_ok`` stuck at 1 is still found to differ, from the start."""
    _, il, commands = _monitor_mutants(tmp_path)
    stuck = next(c for c in commands if c.startswith("mutate -mode const1 ") and
                 "-port Y -portbit 0 -wire sc_ok " in c)
    yosys = mutate.yosys
    monkeypatch.setattr(mutate, "yosys", lambda script, cwd: None if "equiv_induct" in script
                        else yosys(script, cwd))
    assert mutate.equivalent(il, stuck, tmp_path, "sc_ok") == (False, "from the start")


@pytest.mark.formal
def test_a_mutant_the_first_proof_lets_through_is_killed_by_the_modules_next_group(tmp_path):
    """The message FIFOs' read forwarding never forwarding: the bus-level FIFO proof (levels,
    flags, answers) passes it, the word proof (``msg_fifo_data``, the same DUT netlist) finds
    the wrong word; ``run`` refuses a further group whose DUT is not the same netlist."""
    mod = next(m for m in mutate.MODULES if m.name == "msg_fifo")
    g = group(mod.group)
    top = g.top()
    il = tmp_path / "formal.il"
    il.write_text(mutate.rtlil.convert(top, name="top", ports=top.ports()))
    commands = mutate.list_mutants(il, tmp_path, 3000, 1, mod.scope)
    never = next(c for c in commands if c.startswith("mutate -mode const0 ") and
                 "-port Y -portbit 0 -wire fifo_forward " in c)
    assert mutate.prove_mutant(g, never, tmp_path, "never")[0] == "PASS"
    status, failed, proof = mutate.prove_all((g, *map(group, mod.more_groups)), never,
                                              tmp_path, "never")
    assert (status, proof) == ("FAIL", "msg_fifo_data"), failed
    wrong = mutate.Module("msg_fifo", "msg_fifo", "mailbox", more_groups=("ioc_mailbox",))
    with pytest.raises(ValueError, match="not msg_fifo's cell for cell"):
        mutate.run([wrong], 1, 1, tmp_path / "wrong", progress=lambda _: None)
