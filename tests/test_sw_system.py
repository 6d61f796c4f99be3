"""The whole reference model (RAM + monitor + register block) through the CPU port, against
expected outcomes written from SPEC §3.1-§3.4."""

import pytest

from ioc_defs.axi import AxiResp
from ioc_defs.params import REG_BASE, IocParams, ScFailCause
from ioc_defs.regmap import REGMAP, Event
from sw_model.cpu import BusError, RefPort
from sw_model.regs import read_field, read_reg, write_reg
from sw_model.sched import RandomPolicy, Runner
from sw_model.system import RefSystem


def _run(*programs):
    """Run one program per agent to completion; return the runner and their results."""
    runner = Runner(RefSystem(IocParams()))
    threads = [runner.spawn(program(RefPort(k), RefPort(k, priv=True)), name=f"t{k}", agent=k)
               for k, program in enumerate(programs)]
    assert runner.run(RandomPolicy(0, switch_rate=0.0)) == "quiescent"
    return runner, [t.result for t in threads]


async def _idle(port, hv):
    return None


def test_monitor_statistics_are_readable_through_the_register_block():
    async def program(port, hv):
        await port.movli(0x40)
        await port.movco(0x40, 1)
        await port.movco(0x40, 2)
        return (await read_field(port, "SC_CAUSE", "CAUSE", 0),
                await read_field(port, "LL_COUNT", "COUNT", 0),
                await read_field(port, "SC_OK_COUNT", "COUNT", 0),
                await read_field(port, "SC_FAIL_COUNT", "COUNT", 0))

    _, (result, _) = _run(program, _idle)
    assert result == (ScFailCause.NO_RESERVATION, 1, 1, 1)


def test_agent_reset_clears_the_reservation_and_bumps_the_epoch():
    async def victim(port, hv):
        await port.movli(0x40)
        await port.sleep(100)  # reset by agent 0 meanwhile
        return await port.movco(0x40, 1), await read_field(port, "SC_CAUSE", "CAUSE", 1)

    async def supervisor(port, hv):
        await write_reg(hv, "CH_CFG", 0, EP_A=0, EP_B=1, ENABLE=1)
        await write_reg(hv, "AGENT_CTRL", 1, RESET=1)
        await port.sleep(60)
        return await read_field(port, "EPOCH", "EPOCH", 0)

    _, (epoch, victim_result) = _run(supervisor, victim)
    assert victim_result == (False, ScFailCause.PREEMPTED)
    assert epoch == 1


def test_doorbell_raises_the_peers_irq_and_w1c_clears_it():
    async def sender(port, hv):
        await write_reg(hv, "CH_CFG", 3, EP_A=0, EP_B=1, ENABLE=1)
        await port.sleep(5)
        await write_reg(port, "DOORBELL", CHANNEL=3)
        await port.sleep(20)

    async def receiver(port, hv):
        await write_reg(port, "CH_ENABLE", CH=1 << 3)
        await port.wait(lambda: system.irq(1))
        status = await read_field(port, "CH_STATUS", "CH")
        await write_reg(port, "CH_PENDING", CH=status)
        await port.sleep(2)
        return status, system.irq(1)

    runner = Runner(RefSystem(IocParams()))
    system = runner.system
    runner.spawn(sender(RefPort(0), RefPort(0, priv=True)), name="s", agent=0)
    r = runner.spawn(receiver(RefPort(1), RefPort(1, priv=True)), name="r", agent=1)
    runner.run(RandomPolicy(1))
    assert r.result == (1 << 3, False)


@pytest.mark.parametrize("name, access, resp", [
    ("unmapped read", lambda p: p.load(0x0002_0000), AxiResp.DECERR),
    ("unmapped write", lambda p: p.store(0x0000_2000, 1), AxiResp.DECERR),
    ("privileged register, unprivileged write",
     lambda p: write_reg(p, "CH_CFG", 0, EP_A=1, EP_B=0, ENABLE=1), AxiResp.SLVERR),
    ("doorbell on a channel the caller is no endpoint of",
     lambda p: write_reg(p, "DOORBELL", CHANNEL=5), AxiResp.SLVERR),
    ("partial-strobe register write",
     lambda p: p.store(REG_BASE + REGMAP["CH_ENABLE"].address(), 1, strb=0b0001),
     AxiResp.SLVERR),
])
def test_bad_accesses_get_their_error_and_a_bus_error_event(name, access, resp):
    async def program(port, hv):
        await write_reg(port, "EV_ENABLE", BUS_ERROR=1)
        before = await read_reg(port, "CH_ENABLE")
        with pytest.raises(BusError) as info:
            await access(port)
        await port.sleep(3)
        events = await read_field(port, "EV_PENDING", "BUS_ERROR")
        return info.value.resp, events, await read_reg(port, "CH_ENABLE") == before

    _, (result, _) = _run(program, _idle)
    assert result == (resp, 1, True)
    assert Event.BUS_ERROR.name == "BUS_ERROR"


def test_exclusives_to_registers_are_plain_and_never_exokay():
    system = RefSystem(IocParams())
    addr = REG_BASE + REGMAP["CH_ENABLE"].address()
    assert system.access(0, addr, write=True, data=3, lock=True) == (AxiResp.OKAY, 0)
    system.tick()
    assert system.access(0, addr, write=False, lock=True) == (AxiResp.OKAY, 3)
    assert system.memory.counters(0).ll == 0
