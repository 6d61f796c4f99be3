"""cocotb suite: SPEC §6 scenarios with SPUMONE, Linux and SimpleOS live on the RTL.

The hypervisor and guest code of ``sw_model`` runs unchanged on the one executor,
:class:`sw_model.sched.Runner`, with the RTL as its system (:func:`testbench.live.run_live`):
every memory operation is an AXI transaction, time is the RTL's clock, and
interrupts, the watchdog and guest resets come from the hardware. Timers are given in cycles;
an operation takes a few cycles on the bus, so periods are longer than on the reference.

Run through :mod:`testbench.runner` (``tests/test_cosim.py`` or ``make sim``).
"""

import cocotb
import numpy as np

from sw_model.checkers import check_conservation
from sw_model.guests import DATA
from sw_model.layout import A2B
from sw_model.ring import VARIANTS as RING_VARIANTS
from sw_model.scenario import ScenarioConfig, scenario_fits
from testbench.live import RTL_TIMING, run_live
from testbench.runner import params_from_env
from testbench.tb import TB

#: Ring depth of the hwfifo scenarios: rings of 2 messages, in message FIFOs of 4 words.
_HWFIFO_DEPTH = 2
#: The ring variants every scenario runs on: hwfifo only on a DUT whose message FIFOs are that
#: deep (the regression counts a skipped test as failed).
_VARIANTS = ["lockfree", "locked"] + (
    ["hwfifo"] if scenario_fits(ScenarioConfig(variant="hwfifo", depth=_HWFIFO_DEPTH),
                                params_from_env()) else [])


def _config(variant, **kwargs):
    """The scenarios' configuration on the RTL (timers in cycles)."""
    depth = {"depth": _HWFIFO_DEPTH} if RING_VARIANTS[variant].in_registers else {}
    return ScenarioConfig(variant=variant, producers=2, messages=4, seed=cocotb.RANDOM_SEED,
                          **depth, **RTL_TIMING, **kwargs)


def _flushed(result):
    """Messages reported flushed from a hardware FIFO by a restart (hwfifo only)."""
    return sum(1 for e in result.history if e.kind == "flushed")


def _check_accounted(result):
    """What every scenario ends with: quiescence, exactly-once delivery, and every channel
    balanced (sent = delivered + reported dropped, flushed ones included, + refused)."""
    assert result.outcome == "stopped", result.outcome
    assert result.report.ok, result.report
    counts = check_conservation(result.history)
    assert all(c.balanced for c in counts.values()), counts


@cocotb.test()
@cocotb.parametrize(single_core=[False, True], variant=_VARIANTS, backpressure=[False, True])
async def streaming_exactly_once(dut, single_core, variant, backpressure):
    """Linux streams to SimpleOS, which replies: every message delivered exactly once, in
    order, and acknowledged; nothing flushed."""
    tb = TB.from_env(dut, stalls=backpressure)
    await tb.start()
    config = _config(variant)
    result, latencies = await run_live(tb, config)
    lat = np.array(latencies)
    cocotb.log.info("%s: %s, %s, %d cycles; message latency min %d median %d max %d cycles",
                  config, result.outcome, result.report, result.steps, lat.min(),
                  np.median(lat), lat.max())
    tb.record(scenario=f"streaming {'single' if single_core else 'dual'}-core {variant}"
              + (" back-pressure" if backpressure else ""),
              messages=result.report.delivered, cycles=result.steps,
              latency_min=int(lat.min()), latency_median=float(np.median(lat)),
              latency_max=int(lat.max()), result="ok" if result.report.ok else "VIOLATION")
    assert len(latencies) == config.producers * config.messages
    assert lat.min() > 0
    _check_accounted(result)
    assert result.report.delivered >= config.producers * config.messages
    assert result.unacked == [] and result.restarts == 0
    assert not result.flushed and _flushed(result) == 0
    await tb.finish()


@cocotb.test()
@cocotb.parametrize(single_core=[False, True], fault=["crash", "hang"], variant=_VARIANTS)
async def simpleos_failure_detected_and_restarted(dut, single_core, fault, variant):
    """SimpleOS fails; Linux's monitor detects it and restarts it through SPUMONE (agent reset
    on dual-core, vCPU restart and CHANNEL_RESET on single-core); the new incarnation re-attaches
    by epoch; nothing is lost silently. On hwfifo the restart flushes Linux's messages from
    SimpleOS's FIFO (FIFO_STATUS.DROPPED): Linux reports exactly those dropped, and none of
    them is delivered after all."""
    tb = TB.from_env(dut)
    await tb.start()
    config = _config(variant, single_core=single_core, fault=fault)
    result, _ = await run_live(tb, config)
    detection, recovery = result.recovery()
    flushed = _flushed(result)
    tb.record(scenario=f"SimpleOS {fault} {'single' if single_core else 'dual'}-core {variant}",
              messages=result.report.delivered, cycles=result.steps, detection=detection,
              recovery=recovery, flushed_words=sum(result.flushed.values()), flushed=flushed,
              result="ok" if result.report.ok else "VIOLATION")
    cocotb.log.info("%s: %s, %s, restarts %d, epochs %s, detection %d and recovery %d cycles, "
                    "words flushed %s, %d messages reported flushed", config, result.outcome,
                    result.report, result.restarts, result.epochs, detection, recovery,
                    result.flushed, flushed)
    _check_accounted(result)
    assert result.restarts >= 1
    assert all(epoch >= 1 for epoch in result.epochs)
    if RING_VARIANTS[variant].in_registers:
        # SimpleOS fails after 3 messages, with most of Linux's 8 to come: its FIFO is full
        assert result.flushed[DATA, A2B] > 0 and flushed > 0
    else:
        assert not result.flushed and flushed == 0
    await tb.finish()
