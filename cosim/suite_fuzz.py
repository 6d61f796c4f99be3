"""cocotb suite: bad-input fuzzing through raw AXI bursts (:mod:`testbench.fuzz`).

Every agent fires random illegal and unprivileged bursts, mixed with legal traffic in its own
part of the RAM, all at once (so they contend). Each beat's response must be the one the oracle
derives from the address map, the front end's rules and the register block's reference model;
an error beat carries no data; every burst is answered within a bound (no hang); the AXI
checkers and the cycle-exact scoreboard run throughout. At the end every protected register,
every channel epoch and the protected half of the RAM read back as set up, and no agent was
ever reset.

Environment: ``IOC_FUZZ_ACCESSES`` (fuzz bursts, legal traffic not counted; default 1000).
Run through :mod:`testbench.runner` (``tests/test_verify.py`` or ``make verify``).
"""

import os
import random
from collections import Counter

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge

from ioc_defs.axi import AxiBurst, AxiResp
from ioc_defs.params import REG_BASE
from ioc_defs.regmap import REGMAP
from sw_model.regblock import RegBlock
from testbench.fuzz import (
    check_beats,
    draw,
    expected,
    protected_ram,
    protected_setup,
    ram_pattern,
)
from testbench.tb import TB


def _protected_registers(params):
    """Every register only a privileged write may change, plus the channel epochs."""
    return [(reg.name, i) for reg in REGMAP
            if (reg.priv_write and reg.readable) or reg.name == "EPOCH"
            for i in range(reg.count(params))]


@cocotb.test()
@cocotb.parametrize(backpressure=[False, True])
async def fuzz_bad_inputs(dut, backpressure):
    """Random illegal/unprivileged bursts from every agent: documented responses, no data on
    errors, no hang, no protected state changed."""
    n = int(os.environ.get("IOC_FUZZ_ACCESSES", "1000"))
    tb = TB.from_env(dut, stalls=backpressure, raw=True)
    await tb.start()
    p = tb.params
    rng = random.Random(tb.rng.random())
    regs = RegBlock(p)
    for name, index, value in protected_setup(p, rng):
        assert await tb.reg_write(0, name, value, index, priv=True) == AxiResp.OKAY
        regs.access(0, REG_BASE + REGMAP[name].address(index), True, value, priv=True)
    lo, hi = protected_ram(p)
    await tb.masters[0].write(lo, ram_pattern(p))
    protected = _protected_registers(p)

    async def snapshot():
        return [await tb.reg_read(0, name, i, priv=True) for name, i in protected]

    before = await snapshot()
    model = [(regs.access(0, REG_BASE + REGMAP[name].address(i), False, priv=True)[1],
              AxiResp.OKAY) for name, i in protected]
    assert before == model, "the set-up state differs from the reference model's"

    resets = []

    async def watch_resets():
        while True:
            await RisingEdge(dut.clk)
            await ReadOnly()
            if int(dut.agent_rst.value):
                resets.append(tb.cycle)
    cocotb.start_soon(watch_resets())

    responses = Counter()
    counted = Counter()
    wrong, latencies = [], []

    async def fuzz(agent, quota):
        master = tb.masters[agent]
        done = 0
        while done < quota:
            t = draw(rng, p, agent, regs)
            allowed = expected(p, regs, agent, t)
            if t.category == "bad_exclusive":
                # The agent only ever takes reservations in its scratch area: an exclusive
                # write to the protected RAM must fail, whatever its form.
                allowed = [{AxiResp.OKAY}] if t.write else allowed
            kw = dict(size=t.size, burst=t.burst, lock=t.lock, prot=t.prot, id=agent)
            if t.write:
                r = await master.write_burst(t.addr, t.beats, length=t.length, **kw)
                got = [(0, r.resp)]
            else:
                r = await master.read_burst(t.addr, t.length, **kw)
                got = r.beats
            latencies.append((r.cycles, t.length + 1))
            for _, resp in got:
                responses[t.category, AxiResp(resp).name] += 1
            wrong.extend(f"agent {agent} {t}: {problem}" for problem in check_beats(allowed, got))
            if t.category != "legal":
                done += 1
                counted[t.category] += 1

    quota = -(-n // p.n_agents)
    for task in [cocotb.start_soon(fuzz(k, quota)) for k in range(p.n_agents)]:
        await task
    assert not wrong, f"{len(wrong)} wrong responses, first: {wrong[:3]}"
    after = await snapshot()
    changed = [(reg, b, a) for reg, b, a in zip(protected, before, after, strict=True) if a != b]
    assert not changed, f"protected registers changed: {changed}"
    assert (await tb.masters[0].read(lo, hi - lo)).data == ram_pattern(p), \
        "the protected RAM changed"
    assert resets == [], f"agent_rst pulsed at cycles {resets[:5]}"
    fuzzed = sum(counted.values())
    assert fuzzed >= n
    worst = max(c / b for c, b in latencies)
    tb.record(fuzz=True, backpressure=backpressure, accesses=fuzzed,
              legal=sum(v for (c, _), v in responses.items() if c == "legal"),
              categories=dict(counted),
              responses={f"{c}:{r}": v for (c, r), v in sorted(responses.items())},
              max_cycles=max(c for c, _ in latencies), max_cycles_per_beat=round(worst, 2),
              protected_registers=len(protected), protected_ram_bytes=hi - lo,
              sim_cycles=tb.cycle)
    cocotb.log.info("fuzz: %d bursts (%s), responses %s, slowest answer %d cycles", fuzzed,
                  dict(counted), dict(responses), max(c for c, _ in latencies))
    await tb.finish()


@cocotb.test()
async def non_incr_bursts_at_a_region_end_get_slverr(dut):
    """Regression: a FIXED or WRAP burst whose beats all lie in a region (though an INCR burst
    of that length would leave it) is a wrong burst type (SLVERR), not unmapped (DECERR)."""
    tb = TB.from_env(dut, raw=True)
    await tb.start()
    m, shm = tb.masters[0], tb.params.shm_bytes
    for addr, burst, length in ((shm - 8, AxiBurst.FIXED, 10), (shm - 20, AxiBurst.WRAP, 7),
                                (REG_BASE + REGMAP.holes()[-2], AxiBurst.FIXED, 3)):
        r = await m.read_burst(addr, length, burst=burst)
        assert [resp for _, resp in r.beats] == [AxiResp.SLVERR] * (length + 1), (addr, burst)
        w = await m.write_burst(addr, [(0xFFFF_FFFF, 0xF)] * (length + 1), burst=burst)
        assert w.resp == AxiResp.SLVERR, (addr, burst)
    assert (await m.read(shm - 32, 32)).data == bytes(32), "a refused burst wrote the RAM"
    await tb.finish()
