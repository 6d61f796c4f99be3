"""cocotb suite: AXI ports, shared RAM, arbitration and the LL/SC monitor through real AXI masters.

Run through :mod:`testbench.runner` (``tests/test_cosim.py`` or ``make sim``).
"""

import itertools
import random

import cocotb
from cocotbext.axi import AxiBurstType, AxiResp

from ioc_defs.params import REG_BASE
from ioc_defs.regmap import REGMAP
from testbench.tb import EXCL, TB

BP = {"backpressure": [False, True]}


def _tb(dut, backpressure=False):
    return TB.from_env(dut, stalls=backpressure)


async def _ll(tb, agent, addr):
    resp = await tb.masters[agent].read(addr, 4, arid=agent, lock=EXCL)
    return int.from_bytes(resp.data, "little"), resp.resp


async def _sc(tb, agent, addr, value):
    resp = await tb.masters[agent].write(addr, value.to_bytes(4, "little"), awid=agent, lock=EXCL)
    return resp.resp


async def _load(tb, agent, addr):
    return int.from_bytes((await tb.masters[agent].read(addr, 4)).data, "little")


async def _store(tb, agent, addr, value):
    await tb.masters[agent].write(addr, value.to_bytes(4, "little"))


@cocotb.test()
@cocotb.parametrize(**BP)
async def llsc_success(dut, backpressure):
    """movli/movco with nothing in between: LL and SC answer EXOKAY and the SC writes."""
    tb = _tb(dut, backpressure)
    await tb.start()
    await _store(tb, 0, 0x40, 41)
    value, resp = await _ll(tb, 0, 0x40)
    assert (value, resp) == (41, AxiResp.EXOKAY)
    assert await _sc(tb, 0, 0x40, value + 1) == AxiResp.EXOKAY
    assert await _load(tb, 1, 0x40) == 42
    await tb.finish()


@cocotb.test()
@cocotb.parametrize(**BP)
async def llsc_fails_after_other_agents_write(dut, backpressure):
    """Another agent's plain store to the reserved word makes the SC fail and write nothing,
    even when it stores the very value the LL read (ABA)."""
    tb = _tb(dut, backpressure)
    await tb.start()
    await _store(tb, 0, 0x80, 7)
    assert (await _ll(tb, 0, 0x80)) == (7, AxiResp.EXOKAY)
    await _store(tb, 1, 0x80, 7)
    assert await _sc(tb, 0, 0x80, 8) == AxiResp.OKAY
    assert await _load(tb, 0, 0x80) == 7
    await tb.finish()


@cocotb.test()
@cocotb.parametrize(**BP)
async def llsc_fails_after_resv_clear(dut, backpressure):
    """An interrupt taken between movli and movco (resv_clear pulse) makes the SC fail."""
    tb = _tb(dut, backpressure)
    await tb.start()
    await _ll(tb, 1, 0x100)
    await tb.resv_clear(1)
    assert await _sc(tb, 1, 0x100, 5) == AxiResp.OKAY
    assert await _load(tb, 1, 0x100) == 0
    # Another agent's clear does not touch this agent's reservation.
    await _ll(tb, 1, 0x100)
    await tb.resv_clear(0)
    assert await _sc(tb, 1, 0x100, 5) == AxiResp.EXOKAY
    assert await _load(tb, 0, 0x100) == 5
    await tb.finish()


@cocotb.test()
@cocotb.parametrize(**BP)
async def llsc_fails_after_second_ll_elsewhere(dut, backpressure):
    """A second LL moves the reservation: the SC to the first address fails, to the second
    succeeds."""
    tb = _tb(dut, backpressure)
    await tb.start()
    await _ll(tb, 0, 0x200)
    await _ll(tb, 0, 0x204)
    assert await _sc(tb, 0, 0x200, 1) == AxiResp.OKAY
    assert await _load(tb, 0, 0x200) == 0
    await _ll(tb, 0, 0x200)
    await _ll(tb, 0, 0x204)
    assert await _sc(tb, 0, 0x204, 2) == AxiResp.EXOKAY
    assert await _load(tb, 0, 0x204) == 2
    await tb.finish()


@cocotb.test()
async def own_store_keeps_reservation(dut):
    """An agent's own plain store between its LL and SC does not clear its reservation."""
    tb = _tb(dut)
    await tb.start()
    await _ll(tb, 0, 0x300)
    await _store(tb, 0, 0x300, 9)
    assert await _sc(tb, 0, 0x300, 10) == AxiResp.EXOKAY
    assert await _load(tb, 0, 0x300) == 10
    await tb.finish()


@cocotb.test()
@cocotb.parametrize(**BP)
async def bursts_with_strobes(dut, backpressure):
    """INCR bursts of every length up to 64 beats, at unaligned starts (partial strobes),
    against a byte-array model."""
    tb = _tb(dut, backpressure)
    await tb.start()
    p = tb.params
    model = bytearray(p.shm_bytes)
    rng = tb.rng
    for _ in range(40):
        agent = rng.randrange(p.n_agents)
        length = rng.randint(1, min(256, p.shm_bytes // 4))
        addr = rng.randrange(0, p.shm_bytes - length)
        data = bytes(rng.randrange(256) for _ in range(length))
        resp = await tb.masters[agent].write(addr, data, awid=agent)
        assert resp.resp == AxiResp.OKAY
        model[addr:addr + length] = data
        start = rng.randrange(0, p.shm_bytes - 64)
        got = await tb.masters[rng.randrange(p.n_agents)].read(start, 64)
        assert got.resp == AxiResp.OKAY
        assert got.data == bytes(model[start:start + 64])
    whole = await tb.masters[0].read(0, p.shm_bytes)
    assert whole.data == bytes(model)
    await tb.finish()


@cocotb.test()
@cocotb.parametrize(**BP)
async def unmapped_and_bad_bursts(dut, backpressure):
    """Unmapped addresses get DECERR; bursts leaving the shared RAM get DECERR and write
    nothing; FIXED and WRAP bursts get SLVERR and write nothing."""
    tb = _tb(dut, backpressure)
    await tb.start()
    p = tb.params
    m = tb.masters[0]
    for addr in (p.shm_bytes, REG_BASE - 4, REGMAP.base + REGMAP.window, 0x8000_0000, 0xFFFF_FFFC):
        assert (await m.read(addr, 4)).resp == AxiResp.DECERR
        assert (await m.write(addr, b"\x01\x02\x03\x04")).resp == AxiResp.DECERR
    if p.shm_bytes < 4096:
        # 8 beats starting 4 words before the end of the RAM: one burst (the manager splits
        # bursts only at 4 KiB boundaries), refused whole.
        crossing = p.shm_bytes - 16
        assert (await m.write(crossing, bytes(range(1, 33)))).resp == AxiResp.DECERR
        assert (await m.read(crossing, 16)).data == bytes(16)
        assert (await m.read(crossing, 32)).resp == AxiResp.DECERR
    for burst in (AxiBurstType.FIXED, AxiBurstType.WRAP):
        assert (await m.write(0x40, bytes(range(1, 17)), burst=burst)).resp == AxiResp.SLVERR
        assert (await m.read(0x40, 16, burst=burst)).resp == AxiResp.SLVERR
    assert (await m.read(0x40, 16)).data == bytes(16)
    await tb.finish()


@cocotb.test()
@cocotb.parametrize(**BP)
async def atomic_increments_under_contention(dut, backpressure):
    """Every agent increments one shared counter with movli/movco retry loops while storing to
    a private area; no increment is lost and the private data is intact."""
    tb = _tb(dut, backpressure)
    await tb.start()
    p = tb.params
    per_agent = 25
    counter = 0x10
    failures = [0] * p.n_agents
    areas = [p.shm_bytes // 2 + agent * 0x40 for agent in range(p.n_agents)]

    async def worker(agent):
        area = areas[agent]
        for i in range(per_agent):
            while True:
                value, resp = await _ll(tb, agent, counter)
                assert resp == AxiResp.EXOKAY
                await _store(tb, agent, area + 4 * (i % 16), (agent << 16) | i)
                if await _sc(tb, agent, counter, value + 1) == AxiResp.EXOKAY:
                    break
                failures[agent] += 1

    workers = [cocotb.start_soon(worker(k)) for k in range(p.n_agents)]
    for w in workers:
        await w
    assert await _load(tb, 0, counter) == per_agent * p.n_agents
    for agent in range(p.n_agents):
        for i in range(16):
            want = (agent << 16) | max(j for j in range(per_agent) if j % 16 == i)
            assert await _load(tb, 0, areas[agent] + 4 * i) == want
    cocotb.log.info("SC failures per agent under contention: %s", failures)
    if p.n_agents > 1:
        assert sum(failures) > 0, "contention never made an SC fail: the test is not contending"
    await tb.finish()


@cocotb.test()
async def random_traffic_all_agents(dut):
    """All agents at once: random single and burst reads/writes to private areas and reads of a
    shared area, each checked against a memory model."""
    tb = _tb(dut, backpressure=True)
    await tb.start()
    p = tb.params
    model = bytearray(p.shm_bytes)
    span = p.shm_bytes // p.n_agents

    async def agent_traffic(agent, rng):
        lo = agent * span
        for _ in range(60):
            length = rng.choice([1, 2, 3, 4, 4, 4, 8, 13, 32])
            addr = rng.randrange(lo, lo + span - length)
            if rng.random() < 0.5:
                data = bytes(rng.randrange(256) for _ in range(length))
                assert (await tb.masters[agent].write(addr, data, awid=agent)).resp == \
                    AxiResp.OKAY
                model[addr:addr + length] = data
            else:
                got = await tb.masters[agent].read(addr, length, arid=agent)
                assert got.data == bytes(model[addr:addr + length]), \
                    f"agent {agent} read {addr:#x}+{length}"

    tasks = [cocotb.start_soon(agent_traffic(k, random.Random(tb.rng.random())))
             for k in range(p.n_agents)]
    for t in tasks:
        await t
    assert (await tb.masters[0].read(0, p.shm_bytes)).data == bytes(model)
    await tb.finish()


@cocotb.test()
async def cycle_exact_latencies(dut):
    """Uncontended: R valid exactly 5 cycles after the AR handshake, B 5 cycles after the W
    handshake (issue, grant, X, E, answer), exclusives exactly as fast as plain accesses,
    bursts one beat per cycle."""
    tb = _tb(dut)
    await tb.start()
    log = []
    cocotb.start_soon(tb.watch_handshakes(0, ("ar", "r", "aw", "w", "b", "rvalid"), log))

    async def measure(coro, start, end):
        log.clear()
        await coro
        first = {}
        for cycle, ch in log:
            first.setdefault(ch, cycle)
        return first[end] - first[start]

    m = tb.masters[0]
    read_plain = await measure(m.read(0x40, 4, arid=0), "ar", "rvalid")
    read_excl = await measure(m.read(0x40, 4, arid=0, lock=EXCL), "ar", "rvalid")
    write_plain = await measure(m.write(0x40, bytes(4), awid=0), "w", "b")
    write_excl = await measure(m.write(0x40, bytes(4), awid=0, lock=EXCL), "w", "b")
    assert (read_plain, read_excl) == (5, 5)
    assert (write_plain, write_excl) == (5, 5)

    log.clear()
    await m.read(0x100, 4 * 16, arid=0)
    beats = [cycle for cycle, ch in log if ch == "r"]
    assert beats == list(range(beats[0], beats[0] + 16))
    await tb.finish()


@cocotb.test()
async def scoreboard_detects_a_divergence(dut):
    """Negative control: a word corrupted in the reference model only is reported as a mismatch
    at the first read of it, in the target's answer and in the R beat at the pins, and nowhere
    else."""
    tb = _tb(dut)
    await tb.start()
    await _store(tb, 0, 0x20, 5)
    tb.scoreboard.memory.load_image(0x20, (6).to_bytes(4, "little"))
    assert tb.scoreboard.mismatches == []
    assert await _load(tb, 1, 0x20) == 5
    await tb.cycles(2)
    assert len(tb.scoreboard.mismatches) == 2, tb.scoreboard.mismatches
    assert "answer (0, 5), model (0, 6)" in tb.scoreboard.mismatches[0]
    assert "agent 1: R (resp, data, last, id) (0, 5, 1, " in tb.scoreboard.mismatches[1]
    assert "predicted (0, 6, 1, " in tb.scoreboard.mismatches[1]
    tb.scoreboard.stop()


@cocotb.test()
async def scoreboard_checks_the_round_robin_order(dut):
    """Negative control of the arbitration check: with the scoreboard's model replaced by a
    fixed-priority one (the lowest agent first), two agents' contending reads are reported as
    grants out of the round-robin order; with the true model the same traffic agrees."""
    tb = _tb(dut)
    await tb.start()
    words = [cocotb.start_soon(tb.masters[k].read(0x40 * k, 64, arid=k)) for k in (0, 1)]
    for task in words:
        await task
    assert tb.scoreboard.mismatches == []
    tb.scoreboard.arbiter.grant = lambda requests: (requests & -requests).bit_length() - 1 \
        if requests else None
    words = [cocotb.start_soon(tb.masters[k].read(0x40 * k, 64, arid=k)) for k in (0, 1)]
    for task in words:
        await task
    assert any("the round-robin order granted agent" in m for m in tb.scoreboard.mismatches), \
        tb.scoreboard.mismatches[:3]
    tb.scoreboard.stop()


@cocotb.test()
async def store_conditional_honours_strobes(dut):
    """A two-byte movco (WSTRB 0b0011) writes only its lanes; the scoreboard's model agrees."""
    tb = _tb(dut)
    await tb.start()
    await _store(tb, 0, 0x60, 0x11223344)
    await _ll(tb, 0, 0x60)
    resp = await tb.masters[0].write(0x60, b"\xdd\xcc", awid=0, lock=EXCL)
    assert resp.resp == AxiResp.EXOKAY
    assert await _load(tb, 1, 0x60) == 0x1122CCDD
    await tb.finish()


@cocotb.test()
async def injected_idle_and_backpressure_generators(dut):
    """Idle and back-pressure generators plugged in from outside (as in cocotbext-axi) reach the
    ports: with them, R beats wait for RREADY; without them again, none does; the data arrives
    intact either way and the scoreboard agrees."""
    tb = TB.from_env(dut)
    await tb.start()
    log = []
    cocotb.start_soon(tb.watch_handshakes(0, ("r", "rvalid"), log))
    data = bytes(range(64))
    for stalls in (True, False):
        tb.set_idle_generator((lambda: itertools.cycle([True, True, False])) if stalls else None)
        tb.set_backpressure_generator((lambda: itertools.cycle([True, False])) if stalls else None)
        log.clear()
        await tb.masters[0].write(0x40, data)
        assert (await tb.masters[0].read(0x40, len(data))).data == data
        beats = sum(ch == "r" for _, ch in log)
        valid = sum(ch == "rvalid" for _, ch in log)
        assert beats == len(data) // 4
        assert (valid > beats) if stalls else (valid == beats), (stalls, valid, beats)
    await tb.finish()

