"""The cocotb suites on both HDL simulators, through real AXI masters (the `make sim` suites)."""

import json
from itertools import product

import pytest

from cosim.regress import CONFIGS, SUITES
from ioc_defs import probes
from ioc_defs.params import TOP_NAME, IocParams
from rtl import subsystem
from rtl.axi_frontend import layouts
from rtl.cli import generate_verilog
from testbench.runner import BUILD_ROOT, SIMULATORS, read_metrics, run, run_icarus_on
from verify.formal import axi as axi_formal
from verify.formal import progress
from verify.formal.core import Mutation

#: Which configuration each suite runs on under Icarus in ``make test`` (the other one runs
#: under Verilator), so that every suite runs on both simulators and both configurations, and
#: every configuration on both simulators; the rest of the matrix is marked ``full`` (run by
#: ``make test-full``, and per simulator by ``make sim``). Chosen for the shorter pair of runs
#: (``--durations`` of a fresh-clone ``make test`` at 047dbe6).
_ICARUS_CONFIG = {"cosim.suite_foundation": 1, "cosim.suite_mailbox": 0,
                  "cosim.suite_protocol": 1, "cosim.suite_scenarios": 0,
                  "cosim.suite_coverage": 0}


def _matrix():
    for suite in SUITES:
        for sim in SIMULATORS:
            for index, params in enumerate(CONFIGS):
                kept = (index == _ICARUS_CONFIG[suite]) == (sim == "icarus")
                yield pytest.param(suite, sim, params, id=f"{suite}-{sim}-{params.name()}",
                                   marks=() if kept else pytest.mark.full)


@pytest.mark.cosim
@pytest.mark.parametrize("suite, sim, params", list(_matrix()))
def test_suite(suite, sim, params):
    passed, failed, results = run(params, sim, suite, seed=1)
    assert failed == 0, f"{failed} cocotb test(s) failed: see {results.parent / 'sim.log'}"
    assert passed > 0


def test_make_test_samples_every_pair_of_the_matrix():
    """What ``make test`` keeps of the suite x simulator x configuration matrix: one run per
    suite and simulator, which together give every suite both configurations and every
    configuration both simulators."""
    kept = [p.values for p in _matrix() if not p.marks]
    names = [c.name() for c in CONFIGS]
    assert sorted((suite, sim) for suite, sim, _ in kept) == sorted(product(SUITES, SIMULATORS))
    assert {(suite, c.name()) for suite, _, c in kept} == set(product(SUITES, names))
    assert {(sim, c.name()) for _, sim, c in kept} == set(product(SIMULATORS, names))


def _bus_error_every_beat(m, dut, probe):
    # the error pulse for every beat answered, not only the refused ones
    m.d.comb += dut.bus_error.eq(probe[probes.DUE_VALID][-2])


def _bus_error_never(m, dut, probe):
    m.d.comb += dut.bus_error.eq(0)


def _queued_r_data_bit(m, dut, probe):
    # bit 0 of an R beat's data flipped when it comes from a queue of two or more
    head = layouts(dut.params.id_width).answer(probe[probes.answer_queue(0)])
    with m.If(probe[probes.ANSWER_QUEUE_COUNT] >= 2):
        m.d.comb += dut.axi.rdata.eq(head.data ^ 1)


_GRANTED = "granted access differs from the pins' request"
_PIN_BUGS = {"exclusive_burst_is_llsc": axi_formal.BUGS["exclusive_burst_is_llsc"],
             "narrow_steps_by_word": axi_formal.BUGS["narrow_steps_by_word"],
             "bus_error_every_beat": _bus_error_every_beat,
             "bus_error_never": _bus_error_never,
             "queued_r_data_bit": _queued_r_data_bit}


@pytest.mark.cosim
@pytest.mark.parametrize("bug, symptoms", [
    ("exclusive_burst_is_llsc", (_GRANTED, "'excl': (True, False)")),
    ("narrow_steps_by_word", (_GRANTED, "'addr': ")),
    ("bus_error_every_beat", ("bus_error pulse", "refused beats were accepted")),
    ("bus_error_never", ("refused beats answered on R, but only 0 bus_error pulses",)),
    ("queued_r_data_bit", ("agent 0: R (resp, data, last, id)",))])
def test_scoreboard_predicts_from_the_pins(bug, symptoms, monkeypatch):
    """The scoreboard decodes each burst and predicts each answer from the AXI pins itself: a
    front-end decode bug (issue 17's hand mutants, the formal group's seeded bugs) is a
    mismatch between the granted access and the pins' request, rather than copied into the
    reference model; a wrong ``bus_error`` pulse count (the one model input taken from the
    RTL) or a corrupted R beat in the front end's queue is a mismatch at the pins. The same
    stimulus passes on the real RTL."""
    params = IocParams()
    assert run(params, "icarus", "cosim.suite_selfcheck", seed=1)[:2] == (2, 0)
    real = subsystem.AxiSlaveFrontEnd
    monkeypatch.setattr(subsystem, "AxiSlaveFrontEnd",
                        lambda p: Mutation(real(p), bug, _PIN_BUGS[bug]))
    source = BUILD_ROOT / "sim" / f"scoreboard-{bug}.v"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(generate_verilog(params))
    monkeypatch.undo()
    assert f"module {TOP_NAME}" in source.read_text()
    passed, log = run_icarus_on(source, "cosim.suite_selfcheck", name=f"scoreboard-{bug}")
    assert not passed
    text = log.read_text()
    assert all(symptom in text for symptom in symptoms), symptoms


@pytest.mark.cosim
@pytest.mark.parametrize("n_agents", [2, 4])
@pytest.mark.parametrize("sim", SIMULATORS)
def test_llsc_loops_make_progress_with_holds(sim, n_agents):
    """``suite_progress`` with a 32-cycle window: every agent fails at most n - 1 SCs in a
    row and gets its fair share within a factor of two (asserted in the suite, lockstep and
    with think times), nothing is lost, and the scoreboard checks the holds every cycle."""
    params = IocParams(n_agents=n_agents, shm_bytes=1024, resv_hold_cycles=32)
    passed, failed, results = run(params, sim, "cosim.suite_progress", seed=1)
    assert (passed, failed) == (3, 0), f"see {results.parent / 'sim.log'}"
    rows = read_metrics(results)
    assert sorted(r["test"] for r in rows) == ["progress", "progress", "spin_lock"]
    assert all(max(r["worst_run"]) <= n_agents - 1 for r in rows if r["test"] == "progress")


def _old_hold_rules(m, dut, probe):
    # the seeded bug: the holds' rules of f205802. An agent that takes a hold stops wanting one
    # (it forgets how long it has waited, so a spinner whose polling LL took a hold is young
    # again at the release), and a waiting write refuses every LL its hold (the oldest want's
    # too). Either rule alone still shares the lock fairly (measured: [14, 15, 15, 15] and
    # [17, 18, 18, 17] acquisitions), as the other one gives the waiters their turn.
    for i in range(dut.params.n_agents):
        with m.If(probe[probes.HOLD_TAKE][i]):
            m.d.sync += probe[probes.WANT][i].eq(0)
    progress.BUGS["waiting_write_refuses_oldest"](m, dut, probe)


@pytest.mark.cosim
def test_spin_lock_starves_with_the_old_hold_rules(monkeypatch, tmp_path):
    """Negative control of ``suite_progress``'s spin-lock test: with the seeded bug above,
    two of four agents pass the lock between them and the others starve (the suite's
    fair-share check fails); the counter still loses nothing."""
    params = IocParams(n_agents=4, shm_bytes=1024, resv_hold_cycles=32)
    real = subsystem.LlScMonitor
    monkeypatch.setattr(subsystem, "LlScMonitor",
                        lambda p: Mutation(real(p), "old_hold_rules", _old_hold_rules))
    source = BUILD_ROOT / "sim" / "progress-old_hold_rules.v"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(generate_verilog(params))
    monkeypatch.undo()
    metrics = tmp_path / "metrics.jsonl"
    passed, log = run_icarus_on(source, "cosim.suite_progress", name="progress-old_hold_rules",
                                params=params, env={"IOC_METRICS": str(metrics),
                                                    "COCOTB_TEST_FILTER": "spin_lock"})
    assert not passed and "unfair" in log.read_text()
    (row,) = [json.loads(line) for line in metrics.read_text().splitlines()]
    share = sum(row["ok"]) / 4
    assert min(row["ok"]) < share / 2


@pytest.mark.cosim
@pytest.mark.parametrize("n_agents", [2, 4])
def test_starvation_reappears_with_the_window_off(n_agents):
    """Negative control of ``suite_progress``: with ``resv_hold_cycles`` = 0 (the plain
    monitor) the lockstep loops starve an agent again: one fails more than ``n_agents - 1`` SCs
    in a row and gets less than half its fair share, while no update is lost."""
    params = IocParams(n_agents=n_agents, shm_bytes=1024, resv_hold_cycles=0)
    passed, failed, results = run(params, "icarus", "cosim.suite_progress", seed=1,
                                  test_filter="lockstep")
    assert (passed, failed) == (1, 0)
    (row,) = read_metrics(results)
    assert row["window"] == 0 and row["think"] == 0
    share = sum(row["ok"]) / n_agents
    assert max(row["worst_run"]) > n_agents - 1
    assert min(row["ok"]) < share / 2
