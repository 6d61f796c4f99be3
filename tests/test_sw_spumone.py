"""The hypervisor model: priority, time slices, virtual interrupts, vCPU-switch pulses."""

import pytest

from ioc_defs.params import IocParams, ScFailCause
from sw_model.regs import write_reg
from sw_model.sched import Runner
from sw_model.spumone import Spumone, Vcpu
from sw_model.system import RefSystem


def _single_core(simple_boot, linux_boot, **kwargs):
    runner = Runner(RefSystem(IocParams(n_agents=1, n_channels=2)))
    simple = Vcpu("simpleos", 0, 0, simple_boot)
    linux = Vcpu("linux", 0, 1, linux_boot)
    hv = Spumone(runner, {0: (linux, simple)}, linux, **kwargs)
    hv.add(linux)
    hv.add(simple)
    hv.start()
    return runner, hv, simple, linux


def test_spinning_simpleos_cannot_starve_linux_and_keeps_priority():
    progress = {"simpleos": 0, "linux": 0}

    def spinner(name):
        async def boot(vcpu, port):
            while True:
                await port.movli(0x40)
                await port.movco(0x40, progress[name])
                progress[name] += 1
        return boot

    runner, hv, _, _ = _single_core(spinner("simpleos"), spinner("linux"), slice_ops=7,
                                    seed=1)
    runner.run(hv, max_steps=2000)
    assert progress["linux"] > 0  # time slices: Linux gets the CPU now and then
    assert progress["simpleos"] > progress["linux"]  # but SimpleOS has priority
    # every vCPU switch pulses resv_clear (a switch only happens through a trap), so an
    # LL/SC pair split by a switch fails (as PREEMPTED, or NO_RESERVATION when the other
    # vCPU's own SC consumed the agent's one reservation meanwhile)
    memory = runner.system.memory
    assert memory.counters(0).sc_fail > 0
    assert memory.cause(0) in (ScFailCause.PREEMPTED, ScFailCause.NO_RESERVATION)


def test_doorbell_becomes_a_virtual_interrupt_in_the_receiving_guest():
    got = []

    async def simple_boot(vcpu, port):
        await vcpu.wait_irq()
        got.append(vcpu.take())

    async def linux_boot(vcpu, port):
        await write_reg(port, "DOORBELL", CHANNEL=0)

    runner, hv, simple, linux = _single_core(simple_boot, linux_boot)
    runner.run(hv, max_steps=500)
    assert got == [(1, 0)]
    irqs = [detail for _, what, detail in hv.log if what == "irq"]
    assert irqs and irqs[0][1] == 1  # the hypervisor read CH_STATUS bit 0 on agent 0


def test_vcpu_validation():
    with pytest.raises(TypeError, match=r"name must be a non-empty string, not ''"):
        Vcpu("", 0, 0, None)
    with pytest.raises(ValueError, match=r"priority must be a non-negative integer, not -1"):
        Vcpu("x", 0, -1, None)
