"""cocotb suite: the IOC mailbox + IPI controller through real AXI masters (SPEC §3.4).

Run through :mod:`testbench.runner` (``tests/test_cosim.py`` or ``make sim``).
"""

import random

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge
from cocotbext.axi import AxiResp

from ioc_defs.params import REG_BASE
from ioc_defs.regmap import EPOCH_MASK, ID_MAGIC, REGMAP, Event
from testbench.tb import EXCL, TB

OKAY, SLVERR = AxiResp.OKAY, AxiResp.SLVERR


async def _setup_channel(tb, channel, a, b):
    """Privileged set-up of ``channel`` between agents ``a`` and ``b``, enabled."""
    cfg = REGMAP["CH_CFG"].compose({"EP_A": a, "EP_B": b, "ENABLE": 1})
    assert await tb.reg_write(0, "CH_CFG", cfg, channel, priv=True) == OKAY
    for agent in {a, b}:
        assert await tb.reg_write(agent, "CH_ENABLE", 1 << channel) == OKAY


def _bit(n):
    return 1 << n


@cocotb.test()
async def doorbell_raises_irq_and_is_observed_until_acked(dut):
    """Agent 0 rings channel 2: irq[1] rises in the cycle of the doorbell's B handshake; agent 0
    sees TX pending until agent 1 acks (W1C), which drops irq[1] in the cycle of the ack's B
    handshake."""
    tb = TB.from_env(dut)
    await tb.start()
    await _setup_channel(tb, 2, 0, 1)
    assert int(dut.irq.value) == 0
    b_log, irq_log = [], []
    cocotb.start_soon(tb.watch_handshakes(0, ("b",), b_log))
    cocotb.start_soon(tb.watch_handshakes(1, ("b",), b_log))

    async def watch_irq():
        while True:
            await RisingEdge(dut.clk)
            await ReadOnly()
            irq_log.append((tb.cycle, int(dut.irq.value)))
    cocotb.start_soon(watch_irq())

    assert await tb.reg_write(0, "DOORBELL", 2) == OKAY
    await tb.cycles(2)
    rise = next(c for c, v in irq_log if v & 0b10)
    assert rise == b_log[-1][0], "irq[1] must rise in the cycle the doorbell write completes"
    assert int(dut.irq.value) == 0b10
    assert await tb.reg_read(0, "TX_PENDING") == (_bit(2), OKAY)
    assert await tb.reg_read(1, "CH_STATUS") == (_bit(2), OKAY)
    assert await tb.reg_read(0, "CH_PENDING") == (0, OKAY), "the sender is not interrupted"

    b_log.clear()
    assert await tb.reg_write(1, "CH_PENDING", _bit(2)) == OKAY
    await tb.cycles(2)
    fall = next(c for c, v in irq_log if c >= b_log[-1][0] - 1 and not v & 0b10)
    assert fall == b_log[-1][0], "the ack must drop irq[1] in the cycle the ack completes"
    assert await tb.reg_read(0, "TX_PENDING") == (0, OKAY)
    await tb.finish()


@cocotb.test()
@cocotb.parametrize(backpressure=[False, True])
async def bad_inputs_get_slverr_change_nothing_and_raise_bus_error(dut, backpressure):
    """Each documented bad access: SLVERR, no state change, BUS_ERROR event at the offender."""
    tb = TB.from_env(dut, stalls=backpressure)
    await tb.start()
    await _setup_channel(tb, 1, 0, 1)
    ev_bus = _bit(Event.BUS_ERROR)
    m1 = tb.masters[1]
    cfg_before = await tb.reg_read(0, "CH_CFG", 1)

    cases = [
        ("unprivileged write to CH_CFG", tb.reg_write(1, "CH_CFG", 0, 1)),
        ("unprivileged AGENT_CTRL reset", tb.reg_write(1, "AGENT_CTRL", 1, 0)),
        ("unprivileged CHANNEL_RESET", tb.reg_write(1, "CHANNEL_RESET", 1)),
        ("doorbell on a foreign channel", tb.reg_write(1, "DOORBELL", 0)),
        ("doorbell beyond n_channels", tb.reg_write(1, "DOORBELL", tb.params.n_channels)),
        ("read of write-only DOORBELL", tb.reg_read(1, "DOORBELL")),
        ("write to read-only ID", tb.reg_write(1, "ID", 0)),
        ("partial-strobe write", m1.write(REG_BASE + REGMAP["CH_ENABLE"].address(), b"\xff\xff",
                                          awid=1)),
        ("narrow (16-bit) read", m1.read(REG_BASE + REGMAP["ID"].address(), 2, arid=1, size=1)),
        ("narrow (16-bit) write", m1.write(REG_BASE + REGMAP["CH_ENABLE"].address(), b"\x01\x00",
                                           awid=1, size=1)),
        ("misaligned read", m1.read(REG_BASE + REGMAP["ID"].address() + 1, 1, arid=1)),
        ("hole in the window", m1.read(REG_BASE + REGMAP.holes()[-1], 4, arid=1)),
    ]
    for what, access in cases:
        assert await tb.reg_write(1, "EV_PENDING", ev_bus) == OKAY
        result = await access
        if hasattr(result, "resp"):     # a cocotbext-axi response
            resp = result.resp
        elif isinstance(result, tuple):  # (value, resp) of TB.reg_read
            resp = result[1]
        else:                            # the resp of TB.reg_write
            resp = result
        assert resp == SLVERR, what
        value, _ = await tb.reg_read(1, "EV_PENDING")
        assert value & ev_bus, f"{what}: no BUS_ERROR event"
        assert await tb.reg_read(0, "CH_CFG", 1) == cfg_before, what
        assert await tb.reg_read(0, "CH_PENDING") == (0, OKAY), what
        assert int(dut.agent_rst.value) == 0, what

    # Banking: agent 1 cannot ack agent 0's pending bits, it only sees its own copy.
    assert await tb.reg_write(1, "DOORBELL", 1) == OKAY
    assert await tb.reg_write(1, "CH_PENDING", _bit(1)) == OKAY
    assert await tb.reg_read(0, "CH_PENDING") == (_bit(1), OKAY)
    await tb.finish()


@cocotb.test()
@cocotb.parametrize(backpressure=[False, True])
async def exclusives_to_registers_are_plain_and_okay(dut, backpressure):
    """AXI: a region without exclusive support ignores AxLOCK: performed, answered OKAY."""
    tb = TB.from_env(dut, stalls=backpressure)
    await tb.start()
    m0 = tb.masters[0]
    rd = await m0.read(REG_BASE + REGMAP["ID"].address(), 4, arid=0, lock=EXCL)
    assert rd.resp == OKAY
    assert REGMAP["ID"].field("MAGIC").get(int.from_bytes(rd.data, "little")) == ID_MAGIC
    addr = REG_BASE + REGMAP["CH_ENABLE"].address()
    wr = await m0.write(addr, (0b101).to_bytes(4, "little"), awid=0, lock=EXCL)
    assert wr.resp == OKAY
    assert await tb.reg_read(0, "CH_ENABLE") == (0b101, OKAY)
    # No reservation came of the exclusive read: an SC to shared RAM right after fails.
    sc = await m0.write(0x0, b"\x01\x00\x00\x00", awid=0, lock=EXCL)
    assert sc.resp == OKAY
    assert (await m0.read(0x0, 4, arid=0)).data == bytes(4)
    await tb.finish()


@cocotb.test()
@cocotb.parametrize(backpressure=[False, True])
async def agent_reset_pulses_and_bumps_epochs(dut, backpressure):
    """AGENT_CTRL[1].RESET: agent_rst[1] high for exactly agent_rst_cycles cycles, agent 1's
    reservation gone, epochs of its channels bumped, PEER_RESET at the peer."""
    tb = TB.from_env(dut, stalls=backpressure)
    await tb.start()
    p = tb.params
    await _setup_channel(tb, 3, 0, 1)
    epoch0, _ = await tb.reg_read(0, "EPOCH", 3)
    await tb.masters[1].read(0x80, 4, arid=1, lock=EXCL)   # movli by agent 1
    high = []

    async def watch():
        while True:
            await RisingEdge(dut.clk)
            await ReadOnly()
            high.append(int(dut.agent_rst.value))
    cocotb.start_soon(watch())
    assert await tb.reg_write(0, "AGENT_CTRL", 1, 1, priv=True) == OKAY
    await tb.cycles(p.agent_rst_cycles + 4)
    assert high.count(0b10) == p.agent_rst_cycles and 0b01 not in high
    assert await tb.reg_read(0, "EPOCH", 3) == ((epoch0 + 1) & EPOCH_MASK, OKAY)
    value, _ = await tb.reg_read(0, "EV_PENDING")
    assert value & _bit(Event.PEER_RESET)
    wr = await tb.masters[1].write(0x80, b"\x01\x00\x00\x00", awid=1, lock=EXCL)
    assert wr.resp == OKAY, "the reset must have cleared agent 1's reservation"
    await tb.finish()


@cocotb.test()
@cocotb.parametrize(backpressure=[False, True])
async def unprivileged_fuzz_never_changes_protected_state(dut, backpressure):
    """Thousands of random unprivileged register accesses from every agent, legal and not: every
    privileged register reads back unchanged and no agent is reset."""
    tb = TB.from_env(dut, stalls=backpressure)
    await tb.start()
    p = tb.params
    rng = random.Random(tb.rng.random())
    await _setup_channel(tb, 0, 0, p.n_agents - 1)
    for w in range(p.n_watchdogs):
        assert await tb.reg_write(0, "WDOG_PERIOD", 1000 + w, w, priv=True) == OKAY
    protected = [(reg.name, i) for reg in REGMAP if reg.priv_write and reg.readable
                 for i in range(reg.count(p))]

    async def snapshot():
        return [await tb.reg_read(0, name, i, priv=True) for name, i in protected]

    before = await snapshot()
    resets = []

    async def watch():
        while True:
            await RisingEdge(dut.clk)
            await ReadOnly()
            if int(dut.agent_rst.value):
                resets.append(tb.cycle)
    cocotb.start_soon(watch())

    offsets = sorted({reg.address(i) for reg in REGMAP for i in range(reg.max_count)})
    counts = {"OKAY": 0, "SLVERR": 0}

    async def fuzz(agent, n):
        for _ in range(n):
            off = rng.choice(offsets) if rng.random() < 0.9 else rng.randrange(0, REGMAP.window, 4)
            if rng.random() < 0.5:
                r = await tb.masters[agent].read(REG_BASE + off, 4, arid=agent)
            else:
                r = await tb.masters[agent].write(REG_BASE + off,
                                                  rng.getrandbits(32).to_bytes(4, "little"),
                                                  awid=agent)
            counts[AxiResp(r.resp).name] += 1

    per_agent = 3000 // p.n_agents
    for task in [cocotb.start_soon(fuzz(k, per_agent)) for k in range(p.n_agents)]:
        await task
    assert await snapshot() == before
    assert resets == []
    assert sum(counts.values()) == per_agent * p.n_agents
    assert counts["OKAY"] > 100 and counts["SLVERR"] > 100, counts
    cocotb.log.info("fuzz responses: %s", counts)
    await tb.finish()


@cocotb.test()
@cocotb.parametrize(backpressure=[False, True])
async def message_fifos_carry_words_in_order_and_refuse_full_and_empty(dut, backpressure):
    """SPEC 3.5 through the AXI masters. Without FIFOs (``fifo_depth=0``) their registers are
    holes. With them: every sender streams words into its channel's FIFO while its peer
    drains it, all agents at once; each word arrives once, in order; a send to a full and a
    receive from an empty FIFO get SLVERR and set the sticky FIFO_ERROR bit; the receive
    threshold raises irq; an exclusive receive is a plain one (OKAY); CHANNEL_RESET flushes
    and reports the words dropped."""
    tb = TB.from_env(dut, stalls=backpressure)
    await tb.start()
    p = tb.params
    depth_log2 = REGMAP["CONFIG"].field("FIFO_DEPTH_LOG2")
    config, resp = await tb.reg_read(0, "CONFIG")
    assert resp == OKAY and depth_log2.get(config) == max(p.fifo_depth.bit_length() - 1, 0)
    if not p.fifo_depth:
        for name in ("FIFO_DATA", "FIFO_STATUS", "FIFO_ERROR"):
            assert (await tb.reg_read(0, name, priv=True))[1] == SLVERR
        assert await tb.reg_write(0, "FIFO_DATA", 1) == SLVERR
        await tb.finish()
        return
    status = REGMAP["FIFO_STATUS"]
    # channel c between agents 2c and 2c+1 (the last with itself if n_agents is odd)
    pairs = [(a, min(a + 1, p.n_agents - 1)) for a in range(0, p.n_agents, 2)]
    for c, (a, b) in enumerate(pairs):
        await _setup_channel(tb, c, a, b)
        assert await tb.reg_write(b, "FIFO_RX_ENABLE", _bit(c)) == OKAY

    # the first word raises the receiver's irq (receive threshold 0), and fills up to full
    a, b = pairs[0]
    for n in range(p.fifo_depth):
        assert await tb.reg_write(a, "FIFO_DATA", 0x100 + n, 0) == OKAY
        assert int(dut.irq.value) & _bit(b)
    assert await tb.reg_write(a, "FIFO_DATA", 0xDEAD, 0) == SLVERR
    assert await tb.reg_read(a, "FIFO_ERROR") == (_bit(0), OKAY)
    word, resp = await tb.reg_read(a, "FIFO_STATUS", 0)
    assert resp == OKAY and status.field("FULL").get(word) and \
        status.field("LEVEL").get(word) == p.fifo_depth
    r = await tb.masters[b].read(REG_BASE + REGMAP["FIFO_DATA"].address(0), 4, arid=b,
                                 lock=EXCL)
    assert (r.resp, int.from_bytes(r.data, "little")) == (OKAY, 0x100)
    for n in range(1, p.fifo_depth):
        assert await tb.reg_read(b, "FIFO_DATA", 0) == (0x100 + n, OKAY)
    assert await tb.reg_read(b, "FIFO_DATA", 0) == (0, SLVERR)
    assert await tb.reg_read(b, "FIFO_ERROR") == (_bit(0), OKAY)

    # every pair streams at once, both directions, with back-pressure from full FIFOs
    n_words = 40
    received = {}

    async def sender(agent, f):
        n = 0
        while n < n_words:
            if await tb.reg_write(agent, "FIFO_DATA", f << 16 | n, f) == OKAY:
                n += 1

    async def receiver(agent, f):
        got = received.setdefault(f, [])
        while len(got) < n_words:
            word, resp = await tb.reg_read(agent, "FIFO_DATA", f)
            if resp == OKAY:
                got.append(word)
    tasks = []
    for c, (x, y) in enumerate(pairs):
        tasks += [cocotb.start_soon(sender(x, 2 * c)), cocotb.start_soon(receiver(y, 2 * c)),
                  cocotb.start_soon(sender(y, 2 * c + 1)),
                  cocotb.start_soon(receiver(x, 2 * c + 1))]
    for task in tasks:
        await task
    for f, got in received.items():
        assert got == [f << 16 | n for n in range(n_words)], f

    # CHANNEL_RESET flushes and counts what it dropped
    for n in range(3):
        assert await tb.reg_write(a, "FIFO_DATA", n, 0) == OKAY
    epoch, _ = await tb.reg_read(a, "EPOCH", 0)
    assert await tb.reg_write(0, "CHANNEL_RESET", 0, priv=True) == OKAY
    word, resp = await tb.reg_read(a, "FIFO_STATUS", 0)
    assert resp == OKAY and status.field("LEVEL").get(word) == 0
    assert status.field("DROPPED").get(word) == 3
    assert await tb.reg_read(a, "EPOCH", 0) == ((epoch + 1) & EPOCH_MASK, OKAY)
    await tb.finish()
