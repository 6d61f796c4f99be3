"""The subsystem's pipeline (:class:`rtl.subsystem.IocSubsystem`): hazards between neighbouring
accesses give what the serial machine gives, one access per cycle, and a reset in any pipeline
state leaves no stale answer.

Two agents whose requests arrive in the same cycle are granted in consecutive cycles (round
robin, agent 0 first after reset), so the second access is in X while the first is in E: the
tightest spacing two accesses can have. Each test asserts that spacing, then the answer.
"""

import pytest
from amaranth.hdl import ClockDomain, Fragment, Module
from simutil import simulate

from ioc_defs import probes
from ioc_defs.axi import AxiResp
from ioc_defs.params import REG_BASE, IocParams
from ioc_defs.regmap import REGMAP
from rtl.subsystem import IocSubsystem
from testbench.amaranth_axi import AxiManagerModel, AxiRead, AxiWrite
from verify.formal.core import Probe

P = IocParams(n_agents=2, n_channels=4)


def _reg(name, i=0):
    return REG_BASE + REGMAP[name].address(i)


def run_agents(scripts, *, params=P, limit=200, name):
    """Run one transaction list per agent, all starting in the first cycle after reset;
    returns the managers and the (cycle, agent) of every access in X."""
    dut = IocSubsystem(params)
    managers = [AxiManagerModel(dut.axi_port(k), w_first=False) for k in range(params.n_agents)]
    for manager, script in zip(managers, scripts, strict=True):
        for txn in script:
            (manager.write if isinstance(txn, AxiWrite) else manager.read)(txn)
    in_x = []
    x_valid = x_agent = None

    async def testbench(ctx):
        for cycle in range(limit):
            if all(mgr.idle for mgr in managers):
                return
            for mgr in managers:
                mgr.drive(ctx)
            for mgr in managers:
                mgr.sample(ctx)
            if ctx.get(x_valid):
                in_x.append((cycle, ctx.get(x_agent)))
            await ctx.tick()
            for mgr in managers:
                mgr.commit()
        raise AssertionError(f"transactions pending after {limit} cycles")

    # the probed signals belong to this elaboration, so it is the one simulated
    fragment = Fragment.get(dut, None)
    probe = Probe(fragment)
    x_valid, x_agent = probe[probes.access("valid")], probe[probes.access("agent")]
    simulate(fragment, testbench, name=name)
    return managers, in_x


def _consecutive(in_x, first, second):
    """The cycles of ``first``'s and ``second``'s accesses in X are neighbours."""
    cycles = {agent: cycle for cycle, agent in in_x}
    assert cycles[second] - cycles[first] == 1, in_x


def test_register_write_then_read_by_another_agent():
    """Agent 0 configures channel 1 (privileged); agent 1 reads CH_CFG[1] in the next cycle."""
    cfg = REGMAP["CH_CFG"].compose({"EP_A": 0, "EP_B": 1, "ENABLE": 1})
    read = AxiRead(_reg("CH_CFG", 1))
    _, in_x = run_agents([[AxiWrite(_reg("CH_CFG", 1), [cfg], prot=1)], [read]],
                         name="pipeline_reg_hazard")
    _consecutive(in_x, 0, 1)
    assert read.answers[0][:2] == (cfg, AxiResp.OKAY)


def test_doorbell_then_peer_status_read():
    """A doorbell of agent 0 on channel 1, and agent 1's CH_PENDING read one cycle behind it,
    sees the bit (the channel is set up first, while both agents read shared RAM)."""
    cfg = REGMAP["CH_CFG"].compose({"EP_A": 0, "EP_B": 1, "ENABLE": 1})
    read = AxiRead(_reg("CH_PENDING"))
    _, in_x = run_agents(
        [[AxiWrite(_reg("CH_CFG", 1), [cfg], prot=1), AxiRead(0x0, 6),
          AxiWrite(_reg("DOORBELL"), [1])],
         [AxiRead(0x0, 6), AxiRead(0x0), read]],
        name="pipeline_doorbell_hazard")
    last0 = max(c for c, a in in_x if a == 0)
    last1 = max(c for c, a in in_x if a == 1)
    assert last1 - last0 == 1, in_x
    assert read.answers[0][:2] == (0b10, AxiResp.OKAY)


@pytest.mark.parametrize("excl", [False, True])
def test_write_then_read_of_the_word_by_another_agent(excl):
    """An SC (or a plain store) of agent 0, and agent 1's plain read of the word in the next
    cycle, which returns the new word."""
    prelude = [AxiRead(0x40, lock=1)] if excl else []
    write = AxiWrite(0x40, [0x1234_5678], lock=int(excl))
    read = AxiRead(0x40)
    _, in_x = run_agents([prelude + [write], [AxiRead(0x80) for _ in prelude] + [read]],
                         name=f"pipeline_shm_hazard_{excl}")
    last0 = max(c for c, a in in_x if a == 0)
    last1 = max(c for c, a in in_x if a == 1)
    assert last1 - last0 == 1, in_x
    assert write.resp == (AxiResp.EXOKAY if excl else AxiResp.OKAY)
    assert read.answers[0][:2] == (0x1234_5678, AxiResp.OKAY)


@pytest.mark.parametrize("same_word", [True, False])
def test_ll_then_sc_in_the_next_cycle(same_word):
    """An LL and the same agent's SC in the next cycle (the SC's granule compare was made
    while the LL was in X: the LL's reservation is forwarded to it)."""
    ll = AxiRead(0x40, lock=1)
    sc = AxiWrite(0x40 if same_word else 0x44, [7], lock=1)
    managers, in_x = run_agents([[ll, sc], []], name=f"pipeline_llsc_{same_word}")
    assert [c for c, a in in_x][1] - [c for c, a in in_x][0] == 1, in_x
    assert ll.answers[0][1] == AxiResp.EXOKAY
    assert sc.resp == (AxiResp.EXOKAY if same_word else AxiResp.OKAY)


def test_one_access_per_cycle_under_contention():
    """Four agents streaming 8-beat bursts: an access in X in every cycle from the first grant
    to the last."""
    p = IocParams(n_agents=4, shm_bytes=1024)
    scripts = [[AxiRead(0x100 * k, 8), AxiWrite(0x100 * k + 0x40, list(range(8)))]
               for k in range(4)]
    _, in_x = run_agents(scripts, params=p, name="pipeline_full")
    cycles = [c for c, _ in in_x]
    assert len(cycles) == 4 * 16
    assert cycles == list(range(cycles[0], cycles[0] + len(cycles)))


@pytest.mark.parametrize("delay", range(9))
@pytest.mark.parametrize("write", [False, True])
def test_reset_in_any_pipeline_state_leaves_no_stale_answer(delay, write):
    """``rst`` for one cycle ``delay`` cycles after the AR (or AW+W) handshake of a 4-beat
    burst: every stage from the request register to the answer is hit by some ``delay``.
    After the reset no R or B appears until a new request, and a new read gets its own
    answer."""
    dut = IocSubsystem(P)
    port = dut.axi_port(0)
    top = Module()
    top.submodules.dut = dut
    top.domains.sync = sync = ClockDomain()

    def address(ctx, ch, addr, length):
        """Present an INCR burst of 32-bit beats on address channel ``ch``."""
        for name, value in (("addr", addr), ("len", length - 1), ("size", 2), ("burst", 1),
                            ("valid", 1)):
            ctx.set(getattr(port, ch + name), value)

    async def testbench(ctx):
        await ctx.tick()
        if write:
            address(ctx, "aw", 0x20, 4)
            ctx.set(port.wdata, 0xAA)
            ctx.set(port.wstrb, 0xF)
            ctx.set(port.wvalid, 1)
        else:
            address(ctx, "ar", 0x20, 4)
        ctx.set(port.rready, 0)
        ctx.set(port.bready, 0)
        await ctx.tick()
        ctx.set(port.awvalid, 0)
        ctx.set(port.arvalid, 0)
        ctx.set(port.wvalid, 0)
        for _ in range(delay):
            await ctx.tick()
        ctx.set(sync.rst, 1)
        await ctx.tick()
        ctx.set(sync.rst, 0)
        ctx.set(port.rready, 1)
        ctx.set(port.bready, 1)
        for _ in range(20):
            assert not ctx.get(port.rvalid) and not ctx.get(port.bvalid)
            await ctx.tick()
        address(ctx, "ar", 0x104, 1)  # a word never written: zero
        await ctx.tick()
        ctx.set(port.arvalid, 0)
        answers = []
        for _ in range(10):
            if ctx.get(port.rvalid):
                answers.append((ctx.get(port.rdata), ctx.get(port.rresp), ctx.get(port.rlast)))
            await ctx.tick()
        assert answers == [(0, AxiResp.OKAY, 1)]

    simulate(top, testbench, name=f"pipeline_reset_{write}_{delay}")
