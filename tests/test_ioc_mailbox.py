"""Unit tests of the register block (:mod:`rtl.ioc_mailbox`) against its reference model.

Every access goes through :class:`Bench`, which drives the RTL ``bus`` port for one cycle, runs the
same access on :class:`sw_model.regblock.RegBlock` and asserts that response, read data, ``irq``
and ``agent_rst`` agree. Directed tests additionally assert the expected values themselves, so a
bug shared by model and RTL still fails.
"""

import random

import pytest
from amaranth.sim import Simulator

from rtl.ioc_mailbox import IocMailbox
from rtl.params import REG_BASE, IocParams, ScFailCause
from rtl.regmap import REGMAP, RESP_OKAY, RESP_SLVERR, Event
from sw_model.regblock import MonitorStatus, RegBlock

OKAY, SLVERR = RESP_OKAY, RESP_SLVERR
WDOG, PEER, BUSERR = (1 << Event.WATCHDOG), (1 << Event.PEER_RESET), (1 << Event.BUS_ERROR)


def addr(name, i=0):
    return REG_BASE + REGMAP[name].address(i)


def cfg_word(a, b, enable=True):
    f = REGMAP["CH_CFG"]
    return f.compose({"EP_A": a, "EP_B": b, "ENABLE": int(enable)})


def wdog_ctrl(enable, supervisor, kick_mask):
    return REGMAP["WDOG_CTRL"].compose(
        {"ENABLE": int(enable), "SUPERVISOR": supervisor, "KICK_MASK": kick_mask})


class Bench:
    """Drives one :class:`IocMailbox` and its :class:`RegBlock` model in lock step."""

    def __init__(self, ctx, dut):
        self.ctx, self.dut = ctx, dut
        self.model = RegBlock(dut.params)
        self.cycles = 0

    def _check_outputs(self):
        ctx, dut, model = self.ctx, self.dut, self.model
        assert ctx.get(dut.irq) == model.irq, f"irq at cycle {self.cycles}"
        assert ctx.get(dut.agent_rst) == model.agent_rst, f"agent_rst at cycle {self.cycles}"

    async def access(self, agent, name_or_addr, i=0, *, write=False, data=0, strb=0b1111, size=2,
                     priv=False, lock=False):
        """One cycle with one access; returns ``(resp, r_data)`` after checking the model."""
        a = addr(name_or_addr, i) if isinstance(name_or_addr, str) else name_or_addr
        ctx, bus = self.ctx, self.dut.bus
        for member, value in (("agent", agent), ("addr", a), ("write", write), ("w_data", data),
                              ("w_strb", strb), ("size", size), ("lock", lock), ("priv", priv)):
            ctx.set(getattr(bus, member), value)
        ctx.set(bus.valid, 1)
        await ctx.tick()
        ctx.set(bus.valid, 0)
        ctx.set(self.dut.bus_error, 0)
        self.cycles += 1
        got = ctx.get(bus.resp), ctx.get(bus.r_data)
        want = self.model.access(agent, a, write, data, strb, size, priv, lock)
        assert got == want, (f"cycle {self.cycles}: agent {agent} {'W' if write else 'R'} "
                             f"{a:#x} data={data:#x} strb={strb:#x} size={size} priv={priv}: "
                             f"RTL {got} model {want} ({self.model.last_refusal})")
        self._check_outputs()
        return got

    async def read(self, agent, name, i=0, **kwargs):
        return await self.access(agent, name, i, **kwargs)

    async def write(self, agent, name, i=0, data=0, **kwargs):
        return await self.access(agent, name, i, write=True, data=data, **kwargs)

    async def read_ok(self, agent, name, i=0, **kwargs):
        resp, data = await self.read(agent, name, i, **kwargs)
        assert resp == OKAY, f"read of {name}[{i}] by agent {agent} refused"
        return data

    async def write_ok(self, agent, name, i=0, data=0, **kwargs):
        resp, _ = await self.write(agent, name, i, data, **kwargs)
        assert resp == OKAY, f"write of {name}[{i}] by agent {agent} refused"

    async def tick(self, n=1):
        """``n`` idle cycles, checking the outputs after each."""
        for _ in range(n):
            self.ctx.set(self.dut.bus.valid, 0)
            await self.ctx.tick()
            self.ctx.set(self.dut.bus_error, 0)
            self.cycles += 1
            self.model.tick()
            self._check_outputs()

    def bus_error(self, mask):
        """Pulse the fabric's ``bus_error`` input during the next cycle."""
        self.ctx.set(self.dut.bus_error, mask)
        self.model.bus_error = mask

    def monitor(self, k, status):
        mon = self.dut.monitor
        for name in ("cause", "ll_count", "sc_ok_count", "sc_fail_count"):
            self.ctx.set(getattr(mon, name)[k], getattr(status, name))
        self.model.monitor[k] = status

    def irq(self):
        return self.ctx.get(self.dut.irq)

    def agent_rst(self):
        return self.ctx.get(self.dut.agent_rst)

    async def connect(self, c, a, b, enable=True):
        await self.write_ok(0, "CH_CFG", c, cfg_word(a, b, enable), priv=True)


def run(params, body):
    dut = IocMailbox(params)
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def testbench(ctx):
        await body(Bench(ctx, dut))
    sim.add_testbench(testbench)
    sim.run()


# -- randomized comparison against the reference model ---------------------------------------------

def _random_data(rng, p, reg):
    na = p.n_agents
    match reg.name:
        case "CH_CFG":
            return cfg_word(rng.randrange(na + (rng.random() < 0.1)),
                            rng.randrange(na + (rng.random() < 0.1)), rng.random() < 0.8)
        case "DOORBELL" | "CHANNEL_RESET":
            if rng.random() < 0.1:
                return rng.getrandbits(32)
            return rng.randrange(p.n_channels + 1)
        case "AGENT_CTRL":
            reset = REGMAP["AGENT_CTRL"].field("RESET").mask
            return rng.getrandbits(32) & ~reset | (reset if rng.random() < 0.3 else 0)
        case "WDOG_PERIOD":
            return rng.randrange(30)
        case "WDOG_CTRL":
            return wdog_ctrl(rng.random() < 0.7, rng.randrange(na + (rng.random() < 0.1)),
                             rng.getrandbits(16))
        case "CH_ENABLE" | "EV_ENABLE":
            return rng.choice([0xFFFF_FFFF, rng.getrandbits(32)])
    return rng.getrandbits(32)


def _random_access(rng, p):
    """``(agent, addr, write, data, strb, size, priv, lock)`` with a mix of good and bad ones."""
    agent = rng.randrange(p.n_agents)
    priv = rng.random() < 0.6
    lock = rng.random() < 0.05
    if rng.random() < 0.03:
        return agent, REG_BASE + rng.randrange(0x1000) & ~3, rng.random() < 0.5, \
            rng.getrandbits(32), 0b1111, 2, priv, lock
    reg = rng.choice(list(REGMAP))
    n = reg.count(p) if reg.count(p) and rng.random() < 0.95 else reg.max_count
    a = REG_BASE + reg.address(rng.randrange(n))
    if reg.readable and reg.writable:
        write = rng.random() < 0.5
    else:
        write = reg.writable != (rng.random() < 0.03)
    size, strb = 2, 0b1111
    roll = rng.random()
    if roll < 0.02:
        size = rng.choice([0, 1, 3])
    elif roll < 0.04:
        strb = rng.randrange(15)
    elif roll < 0.05:
        a += rng.randrange(1, 4)
    return agent, a, write, _random_data(rng, p, reg), strb, size, priv, lock


RANDOM_CONFIGS = [
    (IocParams(n_agents=2), 1, 3000),
    (IocParams(n_agents=4, n_channels=5, n_watchdogs=3, agent_rst_cycles=3), 2, 3000),
    (IocParams(n_agents=1, n_channels=1, n_watchdogs=0, agent_rst_cycles=1), 3, 600),
]


@pytest.mark.parametrize("params,seed,n", RANDOM_CONFIGS, ids=lambda v: str(v))
def test_random_against_model(params, seed, n):
    rng = random.Random(seed)
    seen = {"refused": 0, "irq": 0, "rst": 0}
    accepted = set()

    async def body(bench):
        for _ in range(n):
            roll = rng.random()
            if roll < 0.05:
                bench.bus_error(rng.getrandbits(params.n_agents))
            elif roll < 0.07:
                bench.monitor(rng.randrange(params.n_agents),
                              MonitorStatus(rng.choice(list(ScFailCause)), rng.getrandbits(32),
                                            rng.getrandbits(32), rng.getrandbits(32)))
            if rng.random() < 0.05:
                await bench.tick(rng.randrange(1, 6))
            agent, a, write, data, strb, size, priv, lock = _random_access(rng, params)
            resp, _ = await bench.access(agent, a, write=write, data=data, strb=strb, size=size,
                                         priv=priv, lock=lock)
            seen["refused"] += resp == SLVERR
            seen["irq"] += bench.irq() != 0
            seen["rst"] += bench.agent_rst() != 0
            if resp == OKAY:
                reg, _ = REGMAP.decode(params, a - REG_BASE)
                accepted.add((reg.name, write))
    run(params, body)
    # the stimulus must actually reach the interesting states
    assert seen["refused"] > n // 20
    assert seen["irq"] > n // 20
    assert seen["rst"] > 0
    for reg, _, _ in REGMAP.instances(params):
        for write in (False, True):
            if (reg.writable if write else reg.readable):
                assert (reg.name, write) in accepted, f"{reg.name} never accepted write={write}"

