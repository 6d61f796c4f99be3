"""cocotb suite: the IOC ring protocol of ``sw_model`` running on the RTL.

Each test runs a ring workload on the reference backend under a schedule, then replays the very
same trace on the hardware (:meth:`testbench.live.RtlSystem.replay` under the same
:class:`sw_model.sched.Runner`): same code, same executor, same interleaving, two backends. The
histories must be identical, the delivery checker's verdict the same, and the scoreboard
(every access against the reference models) must agree throughout.

Run through :mod:`testbench.runner` (``tests/test_cosim.py`` or ``make sim``).
"""

import cocotb

from sw_model.checkers import check_delivery, check_linearizable, ring_operations
from sw_model.ring import VARIANTS as RING_VARIANTS
from sw_model.sched import RandomPolicy, ReplayPolicy, ScriptPolicy
from sw_model.workload import RingWorkload
from testbench.live import RtlSystem
from testbench.tb import TB

VARIANTS = ("naive", "lockfree", "locked", "hwfifo")

#: The paper's Fig. 3: producer P0 reads ``head`` and is preempted; P1 enqueues a whole message
#: (five operations with two-word slots); then P0 resumes with its stale view of ``head``.
FIG3 = [("P0", 1), ("P1", 5)]


def _fits(workload, params):
    """The DUT has the workload's agents (and for ``hwfifo`` its FIFOs, as deep)."""
    return workload.n_agents <= params.n_agents and \
        workload.params.fifo_depth == (params.fifo_depth if workload.hwfifo else 0)


async def _run_both(tb, workload, policy):
    """Run ``workload`` under ``policy`` on the reference, then replay its trace on the RTL.
    Returns the two histories and the number of AXI transactions."""
    ref_runner, ref_history = workload.build()
    ref_runner.run(policy)
    # The initial shared-RAM image (header, descriptor table, rings) as the reference has it.
    await tb.masters[0].write(0, workload.image)
    for name, index, value in workload.registers:
        assert await tb.reg_write(0, name, value, index, priv=True) == 0
    system = RtlSystem.replay(tb)
    rtl_runner, rtl_history = workload.build(system)
    await rtl_runner.arun(ReplayPolicy(ref_runner.trace))
    assert rtl_runner.trace == ref_runner.trace, "the replay stopped early"
    tb.cover_history(rtl_history)
    return ref_history, rtl_history, system.transactions


@cocotb.test()
@cocotb.parametrize(backpressure=[False, True])
async def fig3_aba_replayed_on_the_rtl(dut, backpressure):
    """The Fig. 3 interleaving on the hardware, single-core (both producers time-share agent 0,
    so the preemption also pulses resv_clear) and, with enough agents, dual-core: the naive ring
    loses a message and the checker reports it; lock-free and locked deliver everything."""
    tb = TB.from_env(dut, stalls=backpressure)
    await tb.start()
    ran = set()
    for single_core in (True, False):
        for variant in VARIANTS:
            workload = RingWorkload(variant, producers=2, messages=2, depth=2,
                                    single_core=single_core)
            if not _fits(workload, tb.params):
                continue
            ref, rtl, transactions = await _run_both(
                tb, workload, ScriptPolicy(FIG3, then=RandomPolicy(1)))
            assert list(rtl) == list(ref), f"{workload}: RTL history differs from the reference"
            report = check_delivery(rtl)
            cocotb.log.info("%s: %s (%d AXI transactions)", workload, report, transactions)
            if variant == "naive":
                assert report.lost, f"{workload}: the loss was not detected ({report})"
            else:
                assert report.ok, f"{workload}: {report}"
            ran.add(variant)
    # hwfifo needs a DUT with message FIFOs
    assert ran == {v for v in VARIANTS
                   if tb.params.fifo_depth or not RING_VARIANTS[v].in_registers}, ran
    await tb.finish()


@cocotb.test()
@cocotb.parametrize(backpressure=[False, True])
async def random_preemption_and_resv_clear_on_the_rtl(dut, backpressure):
    """Random schedules with preemption at any operation and random resv_clear pulses: the RTL
    behaves exactly as the reference, and lock-free and locked rings never lose, duplicate or
    reorder a message, and their histories linearize to a FIFO."""
    tb = TB.from_env(dut, stalls=backpressure)
    await tb.start()
    p = tb.params
    workloads = [RingWorkload(v, producers=2, messages=3, single_core=True) for v in VARIANTS]
    if p.n_agents >= 2:
        workloads += [RingWorkload(v, producers=p.n_agents - 1, messages=3) for v in VARIANTS]
    workloads = [w for w in workloads if _fits(w, p)]
    assert any(w.hwfifo for w in workloads) == bool(p.fifo_depth)
    for workload in workloads:
        for seed in range(cocotb.RANDOM_SEED, cocotb.RANDOM_SEED + 3):
            policy = RandomPolicy(seed, switch_rate=0.5, pulse_rate=0.05,
                                  n_agents=workload.n_agents)
            ref, rtl, _ = await _run_both(tb, workload, policy)
            assert list(rtl) == list(ref), f"{workload} seed {seed}: histories differ"
            report = check_delivery(rtl)
            if workload.variant != "naive":
                assert report.ok, f"{workload} seed {seed}: {report}"
                ops = ring_operations(rtl, 0)
                assert check_linearizable(ops, capacity=workload.depth) is not None, \
                    f"{workload} seed {seed}: the ring's history is not linearizable"
    await tb.finish()
