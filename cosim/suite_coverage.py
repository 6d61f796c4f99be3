"""cocotb suite: stimulus for the coverage bins the other suites do not reach (``make coverage``).

Each test still checks what it provokes (responses, the state afterwards), and the scoreboard
and the AXI checkers watch every cycle, as in every suite.

Run through :mod:`testbench.runner` (``tests/test_cosim.py``, ``make sim``, ``make coverage``).
"""

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge
from cocotbext.axi import AxiBurstType, AxiResp

from ioc_defs.params import REG_BASE, ScFailCause
from ioc_defs.regmap import EPOCH_MASK, REGMAP, Event
from sw_model.scenario import ScenarioConfig
from testbench.live import run_live
from testbench.tb import EXCL, TB

OKAY, EXOKAY, SLVERR, DECERR = AxiResp.OKAY, AxiResp.EXOKAY, AxiResp.SLVERR, AxiResp.DECERR
#: A word of the register window that is no register (a hole: SLVERR).
HOLE = REG_BASE + REGMAP.holes()[-2]
UNMAPPED = 0x8000_0000
#: Heartbeat period and timeout (cycles) of Linux's monitor in the restart-mid-send test: the
#: timeout is shorter than SimpleOS's work, so restarts land at arbitrary points.
TOMB_HB, TOMB_TIMEOUT = 150, 300


def _tb(dut, backpressure=False):
    return TB.from_env(dut, stalls=backpressure)


def _bit(n):
    return 1 << n


async def _op(tb, agent, op, target):
    """One transaction of kind ``op`` (see :data:`testbench.covergroups.OPS`) to ``target``
    (``"shm"``, ``"reg"``, ``"hole"``, ``"unmapped"``, ``"fixed"``); returns its response."""
    m = tb.masters[agent]
    burst = op.endswith("-burst")
    lock = EXCL if op.split("-")[0] in ("ll", "sc") else 0
    write = op.split("-")[0] in ("write", "sc")
    length = 8 if burst else 4
    addr = {"shm": 0x100 + 0x20 * agent, "hole": HOLE, "unmapped": UNMAPPED,
            "fixed": 0x100 + 0x20 * agent,
            # reads: ID, CONFIG; writes: CH_PENDING (W1C of nothing), CH_ENABLE (own copy)
            "reg": REG_BASE + REGMAP["CH_PENDING" if write and burst else
                                     "CH_ENABLE" if write else "ID"].address()}[target]
    kind = AxiBurstType.FIXED if target == "fixed" else AxiBurstType.INCR
    if write:
        r = await m.write(addr, bytes(length), awid=agent, lock=lock, burst=kind)
    else:
        r = await m.read(addr, length, arid=agent, lock=lock, burst=kind)
    return r.resp


def _expected(op, target):
    """SPEC §3.1: the response of ``op`` to ``target``."""
    if target == "unmapped":
        return DECERR
    if target in ("hole", "fixed"):
        return SLVERR
    if target == "shm" and op in ("ll", "sc"):
        return EXOKAY   # sc runs right after its own ll
    return OKAY


OPS = ("read", "read-burst", "write", "write-burst", "ll", "ll-burst", "sc", "sc-burst")
TARGETS = ("shm", "reg", "hole", "unmapped", "fixed")


@cocotb.test()
async def every_operation_to_every_kind_of_target(dut):
    """Every operation (plain/exclusive, read/write, single/burst) to the shared RAM, a
    register, a hole, an unmapped address and as a FIXED burst, from every agent: first alone,
    then all agents issuing it in the same cycle (contending for the access slot). Each gets
    its documented answer."""
    tb = _tb(dut)
    await tb.start()
    agents = range(tb.params.n_agents)

    async def step(agents, op, target):
        if op == "sc" and target == "shm":
            for resp in await _all(tb, agents, "ll", target):
                assert resp == EXOKAY
        for k, resp in zip(agents, await _all(tb, agents, op, target), strict=True):
            assert resp == _expected(op, target), (k, op, target, resp)

    for target in TARGETS:
        for op in OPS:
            for k in agents:
                await step([k], op, target)     # alone
            await step(agents, op, target)      # all at once
    await tb.finish()


async def _all(tb, agents, op, target):
    """``op`` to ``target`` from every agent of ``agents`` at once; their responses."""
    tasks = [cocotb.start_soon(_op(tb, k, op, target)) for k in agents]
    return [await t for t in tasks]


@cocotb.test()
async def every_register_read_and_written_with_and_without_privilege(dut):
    """Every register entry of the map (each element of the arrays), read and written (zero),
    unprivileged and privileged, from a rotating agent: unprivileged writes to privileged
    registers are refused, reads of readable unchecked registers accepted."""
    tb = _tb(dut)
    await tb.start()
    p = tb.params
    k = 0
    for reg, i, _ in REGMAP.instances(p):
        for priv in (False, True):
            agent = k % p.n_agents
            k += 1
            _, rresp = await tb.reg_read(agent, reg.name, i, priv=priv)
            wresp = await tb.reg_write(agent, reg.name, 0, i, priv=priv)
            if reg.readable and reg.check is None:
                assert rresp == OKAY, (reg.name, i, priv)
            if not reg.readable:
                assert rresp == SLVERR, (reg.name, i, priv)
            if (reg.priv_write and not priv) or not reg.writable:
                assert wresp == SLVERR, (reg.name, i, priv)
    await tb.finish()


@cocotb.test()
async def every_request_form_on_every_port(dut):
    """Byte, half-word and word beats in INCR, FIXED and WRAP bursts, a read and a write in
    flight together on every port (so each port alternates its read and write beats): INCR
    bursts of narrow beats write and read back their bytes, FIXED and WRAP bursts get SLVERR and
    write nothing."""
    tb = _tb(dut)
    await tb.start()
    p = tb.params

    async def port(k):
        m = tb.masters[k]
        base = 0x200 + 0x40 * k
        for size in (0, 1, 2):
            for burst in (AxiBurstType.INCR, AxiBurstType.FIXED, AxiBurstType.WRAP):
                length = 4 << size              # four beats (a legal WRAP length)
                data = bytes((k * 16 + size * 4 + i + 1) & 0xFF for i in range(length))
                w = cocotb.start_soon(m.write(base, data, awid=k, size=size, burst=burst))
                r = cocotb.start_soon(m.read(base + 0x20, length, arid=k, size=size,
                                             burst=burst))
                wr, rd = await w, await r
                if burst == AxiBurstType.INCR:
                    assert (wr.resp, rd.resp) == (OKAY, OKAY), (k, size)
                    got = await m.read(base, length, arid=k, size=size)
                    assert got.data == data, (k, size)
                else:
                    assert (wr.resp, rd.resp) == (SLVERR, SLVERR), (k, size, burst)
                await m.write(base, bytes(length), awid=k)
            # a single narrow beat
            assert (await m.write(base + 1, b"\x5a", awid=k, size=0)).resp == OKAY
            assert (await m.read(base + 1, 1, arid=k, size=0)).data == b"\x5a"
            await m.write(base, bytes(4), awid=k)

    tasks = [cocotb.start_soon(port(k)) for k in range(p.n_agents)]
    for t in tasks:
        await t
    await tb.finish()


@cocotb.test()
async def every_channel_rings_every_agent_and_resets(dut):
    """Each channel configured in turn between every agent and the next one: a doorbell from
    the next one sets the channel's pending bit at the agent (and nowhere else), the ack clears
    it; then a CHANNEL_RESET of each channel bumps its epoch."""
    tb = _tb(dut)
    await tb.start()
    p = tb.params
    n = p.n_agents
    for c in range(p.n_channels):
        for k in range(n):
            peer = (k + 1) % n
            cfg = REGMAP["CH_CFG"].compose({"EP_A": k, "EP_B": peer, "ENABLE": 1})
            assert await tb.reg_write(0, "CH_CFG", cfg, c, priv=True) == OKAY
            assert await tb.reg_write(peer, "DOORBELL", c) == OKAY
            assert await tb.reg_read(k, "CH_PENDING") == (_bit(c), OKAY)
            if peer != k:
                assert await tb.reg_read(peer, "CH_PENDING") == (0, OKAY)
            assert await tb.reg_write(k, "CH_PENDING", _bit(c)) == OKAY
    for c in range(p.n_channels):
        epoch, _ = await tb.reg_read(0, "EPOCH", c, priv=True)
        assert await tb.reg_write(0, "CHANNEL_RESET", c, priv=True) == OKAY
        await tb.cycles(2)
        assert await tb.reg_read(0, "EPOCH", c, priv=True) == ((epoch + 1) & EPOCH_MASK, OKAY)
    await tb.finish()


async def _watch(tb, signal, log):
    """Append the cycles in which ``signal`` (a callable on the DUT) is true."""
    while True:
        await RisingEdge(tb.dut.clk)
        await ReadOnly()
        if signal(tb.dut):
            log.append(tb.cycle)


@cocotb.test()
async def doorbell_and_acknowledge_in_the_same_cycle(dut):
    """A doorbell to agent 0 granted in the very cycle agent 0's reset clears its pending bits
    (the reset acts one cycle after its write is granted): the set wins, no doorbell is lost."""
    tb = _tb(dut)
    await tb.start()
    ch = 1
    cfg = REGMAP["CH_CFG"].compose({"EP_A": 0, "EP_B": 1, "ENABLE": 1})
    assert await tb.reg_write(0, "CH_CFG", cfg, ch, priv=True) == OKAY
    collisions = []
    cocotb.start_soon(_watch(tb, lambda d: int(d.mailbox.a0_ch_set.value)
                             & int(d.mailbox.a0_ch_clr.value), collisions))
    for delay in range(6):
        reset = cocotb.start_soon(tb.reg_write(0, "AGENT_CTRL", 1, 0, priv=True))
        await tb.cycles(delay)
        assert await tb.reg_write(1, "DOORBELL", ch) == OKAY
        assert await reset == OKAY
        await tb.cycles(tb.params.agent_rst_cycles + 2)
        if collisions:
            break
        assert await tb.reg_write(0, "CH_PENDING", _bit(ch)) == OKAY
    assert collisions, "the doorbell never met the reset's clear in one cycle"
    value, _ = await tb.reg_read(0, "CH_PENDING")
    assert value & _bit(ch), "the doorbell was lost to a same-cycle clear"
    await tb.finish()


@cocotb.test()
async def event_and_acknowledge_in_the_same_cycle(dut):
    """One port: a refused read (its BUS_ERROR event is raised in its response cycle) and a W1C
    of that event granted in the same cycle, read and write in flight together: the event wins."""
    tb = _tb(dut)
    await tb.start()
    collisions = []
    cocotb.start_soon(_watch(tb, lambda d: int(d.mailbox.a1_ev_set.value)
                             & int(d.mailbox.a1_ev_clr.value), collisions))
    ev_bus = _bit(Event.BUS_ERROR)
    m1 = tb.masters[1]
    for _ in range(8):
        refused = cocotb.start_soon(m1.read(HOLE, 4, arid=1))
        ack = cocotb.start_soon(m1.write(REG_BASE + REGMAP["EV_PENDING"].address(),
                                         ev_bus.to_bytes(4, "little"), awid=1))
        assert (await refused).resp == SLVERR
        assert (await ack).resp == OKAY
        await tb.cycles(2)
        if collisions:
            break
        await tb.cycles(1)
    assert collisions, "the event never met its acknowledge in one cycle"
    value, _ = await tb.reg_read(1, "EV_PENDING")
    assert value & ev_bus, "the event was lost to a same-cycle acknowledge"
    await tb.finish()


async def _sc_cause(tb, agent):
    value, resp = await tb.reg_read(agent, "SC_CAUSE", agent)
    assert resp == OKAY
    return ScFailCause(value)


@cocotb.test()
async def every_llsc_outcome_for_every_agent(dut):
    """For each agent: an SC without LL (NO_RESERVATION), to another granule (ADDRESS_MISMATCH),
    after another agent's store (CONFLICT), after a resv_clear pulse (PREEMPTED), with resv_clear
    high in the very cycle of the LL (it answers, but leaves no reservation) or of the SC
    (PREEMPTED), an exclusive burst (unsupported: fails), and a clean pair (EXOKAY). Every
    failed SC writes nothing and reports its cause in SC_CAUSE."""
    tb = _tb(dut)
    await tb.start()
    p = tb.params
    granule = 1 << p.granule_log2

    async def ll(k, addr):
        return (await tb.masters[k].read(addr, 4, arid=k, lock=EXCL)).resp

    async def sc(k, addr, value=0x55):
        return (await tb.masters[k].write(addr, value.to_bytes(4, "little"), awid=k,
                                          lock=EXCL)).resp

    async def with_clear(k, access):
        dut.resv_clear.value = 1 << k      # high for the whole access: its grant included
        resp = await access
        await RisingEdge(dut.clk)
        dut.resv_clear.value = 0
        return resp

    for k in range(p.n_agents):
        addr = 0x180 + 2 * granule * k
        other = (k + 1) % p.n_agents
        assert await sc(k, addr) == OKAY
        assert await _sc_cause(tb, k) == ScFailCause.NO_RESERVATION
        assert await ll(k, addr) == EXOKAY
        assert await sc(k, addr + granule) == OKAY
        assert await _sc_cause(tb, k) == ScFailCause.ADDRESS_MISMATCH
        assert await ll(k, addr) == EXOKAY
        await tb.masters[other].write(addr, bytes(4), awid=other)
        assert await sc(k, addr) == OKAY
        assert await _sc_cause(tb, k) == ScFailCause.CONFLICT
        assert await ll(k, addr) == EXOKAY
        await tb.resv_clear(k)
        assert await sc(k, addr) == OKAY
        assert await _sc_cause(tb, k) == ScFailCause.PREEMPTED
        assert await with_clear(k, ll(k, addr)) == EXOKAY
        assert await sc(k, addr) == OKAY
        assert await _sc_cause(tb, k) == ScFailCause.PREEMPTED
        assert await ll(k, addr) == EXOKAY
        assert await with_clear(k, sc(k, addr)) == OKAY
        assert await _sc_cause(tb, k) == ScFailCause.PREEMPTED
        assert await ll(k, addr) == EXOKAY
        burst = await tb.masters[k].write(addr, bytes(range(1, 9)), awid=k, lock=EXCL)
        assert burst.resp == OKAY
        assert (await tb.masters[k].read(addr, 8, arid=k)).data == bytes(8), "failed SCs wrote"
        assert await ll(k, addr) == EXOKAY
        assert await sc(k, addr, 0x1234) == EXOKAY
        assert (await tb.masters[other].read(addr, 4, arid=other)).data == \
            (0x1234).to_bytes(4, "little")
    await tb.finish()


@cocotb.test()
async def every_agent_reset(dut):
    """AGENT_CTRL[k].RESET for every agent: agent_rst[k] alone pulses, IN_RESET reads 1 meanwhile
    and 0 after."""
    tb = _tb(dut)
    await tb.start()
    p = tb.params
    for k in range(p.n_agents):
        assert await tb.reg_write(0, "AGENT_CTRL", 1, k, priv=True) == OKAY
        await tb.cycles(1)
        assert int(dut.agent_rst.value) == 1 << k
        assert await tb.reg_read(0, "AGENT_CTRL", k) == (2, OKAY)
        await tb.cycles(p.agent_rst_cycles)
        assert int(dut.agent_rst.value) == 0
        assert await tb.reg_read(0, "AGENT_CTRL", k) == (0, OKAY)
    await tb.finish()


@cocotb.test()
async def watchdog_expiry_and_a_doorbell_to_oneself(dut):
    """Each unattended watchdog expires every period and raises WATCHDOG at its supervisor; a
    channel whose two endpoints are one agent (single-core SPUMONE) rings that agent itself."""
    tb = _tb(dut)
    await tb.start()
    p = tb.params
    sup = p.n_agents - 1
    for w in range(p.n_watchdogs):
        assert await tb.reg_write(0, "WDOG_PERIOD", 20 + w, w, priv=True) == OKAY
        ctrl = REGMAP["WDOG_CTRL"].compose({"ENABLE": 1, "SUPERVISOR": sup, "KICK_MASK": 1})
        assert await tb.reg_write(0, "WDOG_CTRL", ctrl, w, priv=True) == OKAY
        await tb.cycles(50)
        assert await tb.reg_write(0, "WDOG_CTRL", 0, w, priv=True) == OKAY
        value, _ = await tb.reg_read(sup, "EV_PENDING")
        assert value & _bit(Event.WATCHDOG)
        assert (await tb.reg_read(0, "WDOG_EXPIRED"))[0] & _bit(w)
        assert await tb.reg_write(sup, "EV_PENDING", _bit(Event.WATCHDOG)) == OKAY
    cfg = REGMAP["CH_CFG"].compose({"EP_A": 0, "EP_B": 0, "ENABLE": 1})
    assert await tb.reg_write(0, "CH_CFG", cfg, 2, priv=True) == OKAY
    assert await tb.reg_write(0, "DOORBELL", 2) == OKAY
    assert await tb.reg_read(0, "CH_PENDING") == (_bit(2), OKAY)
    await tb.finish()


@cocotb.test()
async def restart_mid_send_leaves_a_tombstone(dut):
    """Linux's monitor, with a heartbeat timeout shorter than SimpleOS's work, restarts it at
    arbitrary points; a restart between reserving a reply slot and publishing it makes the new
    incarnation fill the slot with a tombstone, which Linux skips: still nothing lost silently."""
    tb = _tb(dut)
    kinds = set()
    # Seed 4 is the first whose restarts hit a send in progress (the others follow in case a
    # change of timing moves it).
    for seed in range(4, 12):
        await tb.start()
        config = ScenarioConfig(variant="lockfree", fault="crash", producers=2, messages=4,
                                seed=seed, watchdog_period=4000, hb_period=TOMB_HB,
                                hb_timeout=TOMB_TIMEOUT, preempt_rate=0.3)
        result, _ = await run_live(tb, config)
        assert result.report.ok, result.report
        kinds = {e.kind for e in result.history}
        cocotb.log.info("seed %d: %s, restarts %d, %s", seed, result.report, result.restarts,
                      "tombstone" if "tombstone" in kinds else "no tombstone")
        if "tombstone" in kinds:
            break
    assert "tombstone" in kinds, "no restart hit a send in progress"
    await tb.finish()
