"""cocotb suite: a guest reset swept across every cycle of a doorbell, an LL/SC pair and a burst.

The reset is the one a hypervisor gives a guest: a privileged ``AGENT_CTRL[t].RESET`` write by
agent 0, which pulses ``agent_rst[t]`` and clears agent ``t``'s reservation and interrupt state.
(The global ``rst`` resets every agent's state at once, so "the other agents are untouched" has
no meaning for it; it is exercised by every test's start.) For each operation of the target
agent ``t``, the reset write is issued at every relative delay such that ``agent_rst[t]`` rises
in every cycle from before the operation starts to after it completes (the landing offsets are
measured, and their coverage asserted). After each landing:

* the operation was answered, the AXI checkers stay clean and the scoreboard agrees cycle by
  cycle (so an SC fails exactly when the reset cleared its reservation in time);
* the other agents' state is untouched: their reservations (their SC still succeeds), their
  channel and event enables, the doorbell pending at the peer, the RAM they own;
* the subsystem recovers: the target's next LL/SC pair succeeds and its doorbell works.

Environment: ``IOC_RESET_MARGIN`` (extra offsets swept on each side, default 2).
Run through :mod:`testbench.runner` (``tests/test_verify.py`` or ``make verify``).
"""

import os

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge
from cocotbext.axi import AxiResp

from ioc_defs.regmap import REGMAP, Event
from testbench.tb import EXCL, TB

OKAY, EXOKAY = AxiResp.OKAY, AxiResp.EXOKAY
CHANNEL = 0


def _word(agent):
    """A word each agent owns (reservations, LL/SC)."""
    return 0x100 + 0x40 * agent


def _burst_area(agent):
    return 0x200 + 0x40 * agent


def _owned_area(agent):
    """RAM an agent owns and nobody else writes (fits the smallest RAM, 1 KiB, 16 agents)."""
    return 0x300 + 0x20 * agent


class _Sweep:
    def __init__(self, tb):
        self.tb = tb
        p = tb.params
        self.target, self.peer = p.n_agents - 1, 0
        self.others = [k for k in range(p.n_agents) if k != self.target]
        self.rises = []
        self.grants = []  # (cycle, agent) of every access the arbiter granted
        cocotb.start_soon(self._watch())

    async def _watch(self):
        tb, bit = self.tb, 1 << self.target
        was = 0
        while True:
            await RisingEdge(tb.dut.clk)
            await ReadOnly()
            if int(tb.dut.x_access__valid.value):
                self.grants.append((tb.cycle, int(tb.dut.x_access__agent.value)))
            now = int(tb.dut.agent_rst.value)
            if now & ~bit:
                raise AssertionError(f"agent_rst of another agent rose: {now:#x}")
            if now & bit and not was & bit:
                self.rises.append(tb.cycle)
            was = now

    async def in_reset(self):
        while int(self.tb.dut.agent_rst.value) >> self.target & 1:
            await RisingEdge(self.tb.dut.clk)

    # -- the operations of the target agent: each returns (start cycle, end cycle, outcome) ----

    async def doorbell(self):
        tb, t = self.tb, self.target
        start = tb.cycle
        resp = await tb.reg_write(t, "DOORBELL", CHANNEL)
        return start, tb.cycle, resp

    async def llsc(self):
        tb, t = self.tb, self.target
        m = tb.masters[t]
        start = tb.cycle
        ll = await m.read(_word(t), 4, arid=t, lock=EXCL)
        sc = await m.write(_word(t), (tb.cycle & 0xFFFF).to_bytes(4, "little"), awid=t,
                           lock=EXCL)
        assert ll.resp == EXOKAY
        return start, tb.cycle, sc.resp

    async def burst(self):
        tb, t = self.tb, self.target
        m = tb.masters[t]
        data = bytes((tb.cycle + i) & 0xFF for i in range(32))
        start = tb.cycle
        w = await m.write(_burst_area(t), data, awid=t)
        r = await m.read(_burst_area(t), 32, arid=t)
        assert r.data == data, "the burst's data did not survive the reset"
        return start, tb.cycle, max(w.resp, r.resp)

    async def reset_target(self):
        assert await self.tb.reg_write(self.peer, "AGENT_CTRL", REGMAP["AGENT_CTRL"].compose(
            {"RESET": 1}), self.target, priv=True) == OKAY

    # -- state of the other agents ---------------------------------------------------------------

    async def prepare(self):
        """Each other agent holds a reservation; the target's channel is enabled again."""
        tb = self.tb
        for k in self.others:
            assert (await tb.masters[k].read(_word(k), 4, arid=k, lock=EXCL)).resp == EXOKAY
        assert await tb.reg_write(self.target, "CH_ENABLE", 1 << CHANNEL) == OKAY

    async def others_state(self):
        tb = self.tb
        return [(await tb.reg_read(k, "CH_ENABLE"), await tb.reg_read(k, "EV_ENABLE"))
                for k in self.others]

    async def check_others(self, enables, doorbell):
        tb = self.tb
        assert await self.others_state() == enables, "another agent's enables changed"
        pending, _ = await tb.reg_read(self.peer, "CH_PENDING")
        assert bool(pending >> CHANNEL & 1) == doorbell, "the peer's pending doorbell changed"
        if doorbell:
            assert await tb.reg_write(self.peer, "CH_PENDING", 1 << CHANNEL) == OKAY
        events, _ = await tb.reg_read(self.peer, "EV_PENDING")
        assert events >> Event.PEER_RESET & 1, "the peer got no PEER_RESET event"
        assert await tb.reg_write(self.peer, "EV_PENDING", events) == OKAY
        for k in self.others:
            value = (0xA5A5_0000 | tb.cycle & 0xFFFF).to_bytes(4, "little")
            sc = await tb.masters[k].write(_word(k), value, awid=k, lock=EXCL)
            assert sc.resp == EXOKAY, f"agent {k} lost its reservation to agent " \
                                      f"{self.target}'s reset"
            assert (await tb.masters[k].read(_word(k), 4, arid=k)).data == value

    async def check_recovered(self):
        tb, t = self.tb, self.target
        assert await tb.reg_write(t, "CH_ENABLE", 1 << CHANNEL) == OKAY
        _, _, sc = await self.llsc()
        assert sc == EXOKAY, "the target's LL/SC pair fails after its reset"
        assert await tb.reg_write(t, "DOORBELL", CHANNEL) == OKAY
        pending, _ = await tb.reg_read(self.peer, "CH_PENDING")
        assert pending >> CHANNEL & 1
        assert await tb.reg_write(self.peer, "CH_PENDING", 1 << CHANNEL) == OKAY


@cocotb.test()
@cocotb.parametrize(backpressure=[False, True])
async def reset_swept_across_operations(dut, backpressure):
    """AGENT_CTRL reset of the target landing at every cycle of a doorbell, an LL/SC pair and
    a burst: the other agents untouched, the subsystem recovers."""
    margin = int(os.environ.get("IOC_RESET_MARGIN", "2"))
    tb = TB.from_env(dut, stalls=backpressure)
    await tb.start()
    p = tb.params
    sweep = _Sweep(tb)
    t, peer = sweep.target, sweep.peer
    cfg = REGMAP["CH_CFG"].compose({"EP_A": peer, "EP_B": t, "ENABLE": 1})
    assert await tb.reg_write(0, "CH_CFG", cfg, CHANNEL, priv=True) == OKAY
    for k in sweep.others:
        assert await tb.reg_write(k, "CH_ENABLE", 1 << CHANNEL) == OKAY
        assert await tb.reg_write(k, "EV_ENABLE", 1 << Event.WATCHDOG) == OKAY
    owned = {k: bytes((k * 31 + i) & 0xFF for i in range(32)) for k in sweep.others}
    for k, data in owned.items():
        await tb.masters[k].write(_owned_area(k), data, awid=k)

    # Calibrate: cycles from issuing the reset write to the rise of agent_rst, and the length
    # of each operation undisturbed.
    issue = tb.cycle
    await sweep.reset_target()
    await tb.cycles(2)
    latency = sweep.rises[-1] - issue
    # The reset write's grant to the rise of agent_rst: the reset cannot land at the offset
    # whose grant would share the one access slot with the operation's own access.
    grant_to_rise = sweep.rises[-1] - max(c for c, k in sweep.grants if k == peer
                                          and c < sweep.rises[-1])
    await sweep.in_reset()
    results = {}
    for name in ("doorbell", "llsc", "burst"):
        op = getattr(sweep, name)
        await sweep.prepare()
        start, end, _ = await op()
        length = end - start
        if name == "doorbell":
            assert await tb.reg_write(peer, "CH_PENDING", 1 << CHANNEL) == OKAY
        for k in sweep.others:  # release the reservations prepare() took
            await tb.masters[k].write(_word(k), bytes(4), awid=k, lock=EXCL)
        landed, outcomes, blocked = set(), {}, set()

        async def land(delay, name=name, op=op, landed=landed, outcomes=outcomes,
                       blocked=blocked):
            """One operation with the reset issued ``delay`` cycles after it started (before,
            if negative); returns the landing offset of agent_rst's rise."""
            await sweep.prepare()
            enables = await sweep.others_state()
            await RisingEdge(dut.clk)
            if delay < 0:
                rst_task = cocotb.start_soon(sweep.reset_target())
                await tb.cycles(-delay)
                op_task = cocotb.start_soon(op())
            else:
                op_task = cocotb.start_soon(op())
                await tb.cycles(delay)
                rst_task = cocotb.start_soon(sweep.reset_target())
            start, end, outcome = await op_task
            await rst_task
            await tb.cycles(2)
            await sweep.in_reset()
            offset = sweep.rises[-1] - start
            landed.add(offset)
            outcomes[offset] = AxiResp(outcome).name
            blocked.update(c - start + grant_to_rise for c, k in sweep.grants
                           if k == t and start <= c <= end)
            await sweep.check_others(enables, doorbell=name == "doorbell")
            await sweep.check_recovered()

        # The landing offset is about delay + latency; contention and back-pressure move it,
        # so missing offsets are aimed at again.
        for delay in range(-latency - margin, length - latency + margin + 1):
            await land(delay)
        covered = set(range(-margin, length + margin + 1))
        for _ in range(8):
            for offset in sorted(covered - landed):
                for nudge in (0, -1, 1, -2, 2):
                    if offset not in landed:
                        await land(offset - latency + nudge)
        # An offset may stay out of reach only if the reset write would have had to be
        # granted in the very cycle of one of the operation's own accesses.
        missing = covered - landed
        assert missing <= blocked, f"{name}: offsets {sorted(missing - blocked)} not swept"
        results[name] = {"cycles": length, "offsets": len(landed),
                         "unreachable": sorted(missing),
                         "min_offset": min(landed), "max_offset": max(landed),
                         "outcomes": dict(sorted(outcomes.items()))}
        cocotb.log.info("reset sweep %s: %d-cycle operation, reset landed at offsets %d..%d: %s",
                      name, length, min(landed), max(landed), outcomes)
    assert "OKAY" in results["llsc"]["outcomes"].values(), "no SC was preempted by the reset"
    assert "EXOKAY" in results["llsc"]["outcomes"].values()
    for k, data in owned.items():
        assert (await tb.masters[k].read(_owned_area(k), 32, arid=k)).data == data, \
            f"RAM owned by agent {k} changed"
    tb.record(reset=True, backpressure=backpressure, latency=latency, target=t,
              agents=p.n_agents, operations=results)
    await tb.finish()
