"""cocotb suite: the fault soak of :mod:`testbench.soak` live on the RTL.

SPUMONE, Linux and SimpleOS run on the hardware (:func:`testbench.live.run_live`) for
one random soak configuration after another (drawn to fit the DUT: hwfifo only in rings its
message FIFOs hold), each with a SimpleOS hang, crash or ring
corruption, some with a hair-trigger monitor that restarts SimpleOS again and again; the
subsystem is reset and the RAM cleared between runs. Every run is judged like the reference
soak's (delivery, per-channel conservation, drained rings, linearizability, recovery) and the
scoreboard and AXI checkers must agree throughout.

Environment: ``IOC_SOAK_FAULTS`` (injected faults to reach, default 3), ``IOC_SOAK_SEED``
(default: cocotb's seed), ``IOC_SOAK_FIRST`` (index of the first run, to reproduce one).
The history of a failed run goes to ``soak-<index>.history`` in the run directory. Run
through :mod:`testbench.runner` (``tests/test_verify.py`` or ``make verify``).
"""

import os
from pathlib import Path

import cocotb

from testbench.live import run_live
from testbench.soak import SoakTotals, judge, soak_config
from testbench.tb import TB


@cocotb.test()
async def soak_simpleos_faults_live(dut):
    """Random SimpleOS faults and restarts on the RTL: nothing lost silently or duplicated,
    every channel balances, every ring linearizes, every fault recovered from."""
    faults = int(os.environ.get("IOC_SOAK_FAULTS", "3"))
    seed = int(os.environ.get("IOC_SOAK_SEED", cocotb.RANDOM_SEED))
    tb = TB.from_env(dut, seed=seed)
    totals = SoakTotals()
    first = index = int(os.environ.get("IOC_SOAK_FIRST", "0"))
    while totals.n_faults < faults and index < first + 3 * faults:
        config = soak_config(index, seed, "rtl", tb.params)
        await tb.start()
        (result, _) = await run_live(tb, config)
        verdict = judge(config, result)
        totals.add(verdict)
        if not verdict.ok and "IOC_METRICS" in os.environ:
            path = Path(os.environ["IOC_METRICS"]).parent / f"soak-{index}.history"
            path.write_text("\n".join(map(repr, result.history)) + "\n")
        tb.scoreboard.check()
        tb.record(run=index, fault=verdict.fault, restarts=verdict.restarts,
                  detected=verdict.detected, recovered=verdict.recovered,
                  violations=verdict.violations, messages=verdict.messages,
                  delivered=sum(c.delivered for c in verdict.channels.values()),
                  dropped=sum(c.dropped for c in verdict.channels.values()),
                  refused=sum(c.refused for c in verdict.channels.values()),
                  rings_linearized=verdict.rings_linearized, rings_exempt=verdict.rings_exempt,
                  rings_undecided=verdict.rings_undecided, ops=verdict.ops,
                  cycles=result.steps, accesses=tb.scoreboard.accesses,
                  single_core=config.single_core, variant=config.variant,
                  failures=verdict.failures[:3])
        cocotb.log.info("soak run %d: %s %s, fault %s, %d restarts, %d messages, %s", index,
                      "single-core" if config.single_core else "dual-core", config.variant,
                      verdict.fault, verdict.restarts, verdict.messages,
                      "ok" if verdict.ok else verdict.failures)
        index += 1
    cocotb.log.info("soak: %s", totals.as_dict())
    assert not totals.failed_runs, totals.failed_runs[:2]
    assert totals.n_faults >= faults, totals.as_dict()
    await tb.finish()
