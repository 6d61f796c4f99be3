"""Formal properties (verify/formal): in simulation, proven by SymbiYosys, and caught bugs.

The property modules are ordinary Amaranth; the first tests run them in ``amaranth.sim`` next to
random stimulus, so a violated ``Assert`` fails a simulation too. The ``formal`` tests run the
SymbiYosys jobs of :mod:`verify.formal.jobs`: every proof must pass, every cover must be
reached, and every seeded bug must make its proof fail with a counterexample.
"""

import random

import pytest
from amaranth.hdl import Fragment, Module, Signal
from simutil import simulate

from ioc_defs.params import REG_BASE, IocParams
from testbench.amaranth_axi import (
    AxiManagerModel,
    AxiRead,
    AxiWrite,
    SlotModel,
    manager_testbench,
)
from verify.formal.axi import AxiFrontEndProperties
from verify.formal.axi import make_dut as make_axi
from verify.formal.core import FormalTop, Probe
from verify.formal.jobs import GROUPS, group
from verify.formal.llsc import LlScProperties
from verify.formal.llsc import make_dut as make_llsc
from verify.formal.msgfifo import FifoDataProperties, FifoProperties
from verify.formal.msgfifo import make_dut as make_fifo
from verify.formal.run import runs_of, verdict

P_SIM = IocParams(n_agents=3, shm_bytes=64, granule_log2=3)


def _drive_llsc(top, seed, cycles=600):
    """Dense random monitor traffic on a few granules, with random clears and resets."""
    dut = top.dut
    rng = random.Random(seed)

    async def testbench(ctx):
        for _ in range(cycles):
            kind = rng.choice(["ll", "sc", "store", "read", None])
            ctx.set(dut.valid, kind is not None)
            ctx.set(dut.agent, rng.randrange(P_SIM.n_agents))
            ctx.set(dut.addr, rng.choice([0x0, 0x4, 0x8, 0x20]))
            for k in ("ll", "sc", "store"):
                ctx.set(getattr(dut, k), kind == k)
            ctx.set(dut.clear, rng.getrandbits(P_SIM.n_agents) if rng.random() < 0.1 else 0)
            granule = ctx.get(dut.addr) >> P_SIM.granule_log2
            ctx.set(dut.same_granule, sum((ctx.get(dut.resv_granule[i]) == granule) << i
                                          for i in range(P_SIM.n_agents)))
            await ctx.tick()
    return testbench


def test_llsc_properties_hold_in_simulation():
    top = FormalTop(make_llsc(P_SIM), LlScProperties)
    simulate(top, _drive_llsc(top, seed=1), name="formal_llsc_props_sim")


@pytest.mark.parametrize("bug", ["store_does_not_conflict", "clear_loses_to_sc"])
def test_llsc_properties_fail_a_simulation_of_a_bug(bug):
    top = FormalTop(make_llsc(P_SIM, bug), LlScProperties)
    with pytest.raises(AssertionError, match="Assertion violated"):
        simulate(top, _drive_llsc(top, seed=1), name=f"formal_llsc_props_sim_{bug}")


def _axi_traffic(top, *, busy, seed, n=40):
    """Random reads and writes of every size and length, to shared RAM, registers and
    unmapped space, with a randomly granting slot; runs until every answer is in."""
    rng = random.Random(seed)
    # The proof assumes write data does not lead its address (a restriction of its manager
    # model; the front end's own tests send W first too).
    manager = AxiManagerModel(top.dut.axi, busy=busy, seed=seed, w_first=False)
    slot = SlotModel(top.dut, grant_p=0.6, seed=seed + 1)
    for i in range(n):
        beats = rng.randint(1, 6)
        addr = rng.choice([0, 0x10, REG_BASE, 0x2000_0000]) + 4 * rng.randrange(4)
        size = rng.choice([0, 1, 2, 2, 3])
        if rng.random() < 0.5:
            manager.write(AxiWrite(addr, [rng.getrandbits(32) for _ in range(beats)],
                                   size=size, id=i % 4))
        else:
            manager.read(AxiRead(addr, beats, size=size, id=i % 4))

    return manager_testbench(manager, slot, 5000)


#: the AXI proofs' configuration (with a window: the front end flags shm_write)
AXI_SIM = group("axi_frontend").params


@pytest.mark.parametrize("busy", [0.0, 0.4])
def test_axi_properties_hold_in_simulation(busy):
    """With ``busy`` the manager model pauses its sources and sinks at random: the property
    module also checks the manager's side (VALID held until READY), so it checks the model."""
    top = FormalTop(make_axi(AXI_SIM), AxiFrontEndProperties)
    simulate(top, _axi_traffic(top, busy=busy, seed=5), name=f"formal_axi_props_sim_{busy}")


def test_axi_properties_fail_a_simulation_of_a_bug():
    top = FormalTop(make_axi(AXI_SIM, "early_rlast"), AxiFrontEndProperties)
    with pytest.raises(AssertionError, match="Assertion violated: R: RLAST"):
        simulate(top, _axi_traffic(top, busy=0.0, seed=5), name="formal_axi_props_sim_bug")


FIFO_SIM = IocParams(n_agents=2, n_channels=2, n_watchdogs=0, agent_rst_cycles=2, fifo_depth=2)


def _fifo_traffic(top, seed, cycles=3000):
    """Dense random traffic on the FIFO registers (sends, receives, status, thresholds, error
    and pending bits), channel set-ups and resets, from both agents, one access per cycle,
    often the same access several cycles in a row."""
    from ioc_defs.regmap import REGMAP
    bus, rng = top.dut.bus, random.Random(seed)
    names = ["FIFO_DATA"] * 16 + ["FIFO_STATUS", "FIFO_THRESH", "FIFO_ERROR", "FIFO_TX_PENDING",
                                 "FIFO_RX_PENDING", "FIFO_TX_ENABLE", "FIFO_RX_ENABLE",
                                 "CH_CFG", "CHANNEL_RESET", "AGENT_CTRL"]
    cfg = REGMAP["CH_CFG"]

    async def testbench(ctx):
        for _ in range(cycles):
            if rng.random() < 0.4:  # the same access again: back-to-back sends and receives
                await ctx.tick()
                continue
            name = rng.choice(names)
            reg = REGMAP[name]
            index = rng.randrange(reg.count(FIFO_SIM))
            data = rng.choice([rng.getrandbits(32), 0, 1, 0xFFFF_FFFF])
            if name == "CH_CFG":
                data = cfg.compose({"EP_A": rng.randrange(2), "EP_B": rng.randrange(2),
                                    "ENABLE": int(rng.random() < 0.9)})
            elif name in ("CHANNEL_RESET", "AGENT_CTRL", "FIFO_THRESH"):
                data = rng.randrange(2) if rng.random() < 0.9 else data
            write = reg.writable and (not reg.readable or rng.random() < 0.5)
            rare = rng.random() < 0.1
            for member, value in (("valid", rng.random() < 0.9), ("agent", rng.randrange(2)),
                                  ("addr", REG_BASE + reg.address(index)), ("write", write),
                                  ("w_data", data), ("w_strb", 0b0111 if rare else 0b1111),
                                  ("size", 2), ("priv", rng.random() < 0.3),
                                  ("lock", rng.random() < 0.3)):
                ctx.set(getattr(bus, member), value)
            await ctx.tick()
    return testbench


@pytest.mark.parametrize("properties", [FifoProperties, FifoDataProperties],
                         ids=["control", "data"])
def test_fifo_properties_hold_in_simulation(properties):
    top = FormalTop(make_fifo(FIFO_SIM), properties)
    simulate(top, _fifo_traffic(top, seed=3), name=f"formal_fifo_props_sim_{properties.__name__}")


@pytest.mark.parametrize("properties, bug", [(FifoProperties, "send_when_full"),
                                             (FifoDataProperties, "no_read_forwarding")])
def test_fifo_properties_fail_a_simulation_of_a_bug(properties, bug):
    top = FormalTop(make_fifo(FIFO_SIM, bug), properties)
    with pytest.raises(AssertionError, match="Assertion violated"):
        simulate(top, _fifo_traffic(top, seed=3), name=f"formal_fifo_props_sim_{bug}")


# -- the SymbiYosys runs ---------------------------------------------------------------------

# the proofs that take minutes are ``make formal``'s only
RUNS = [r for r in runs_of() if r.kind != "prove" or r.group.prove_in_ci]


@pytest.mark.formal
@pytest.mark.parametrize("run", RUNS, ids=[r.name for r in RUNS])
def test_formal_run(run, tmp_path):
    """Proofs close by k-induction, every cover is reached, every seeded bug is caught with a
    counterexample trace."""
    result, props = run.execute(tmp_path)
    ok, why = verdict(run, result)
    assert ok, (f"{run.name}: {why}; failed {result.failed}, unreached {result.unreached}; "
                f"log {tmp_path / (run.name + '.log')}")
    if run.kind == "cover":
        assert props.count("cover") > 0
    if run.kind == "bug":
        assert all(name in {n for _, n, _ in props.entries} for name in result.failed)


def test_every_group_has_a_seeded_bug_and_every_bug_a_group():
    from verify.formal import arbiter, axi, llsc, mailbox, msgfifo, progress, subsystem
    for g in GROUPS:
        assert g.bugs, g.name
    seeded = {b for g in GROUPS for b in g.bugs}
    modules = (llsc, mailbox, axi, arbiter, subsystem, msgfifo, progress)
    assert seeded == {b for module in modules for b in module.BUGS}


def test_probe_finds_a_signal_by_its_name_or_path_and_refuses_ambiguity():
    """A name two instances share is refused alone and found with its instance's path; a
    missing name is an error, not a silent mismatch."""
    def counter():
        m = Module()
        x = Signal(4, name="x")
        m.d.sync += x.eq(x + 1)
        return m, x

    top = Module()
    (top.submodules.a, xa), (top.submodules.b, xb) = counter(), counter()
    probe = Probe(Fragment.get(top, None))
    assert probe["a.x"] is xa and probe["b.x"] is xb
    with pytest.raises(KeyError, match="more than one signal is named 'x'"):
        probe["x"]
    with pytest.raises(KeyError, match="no signal named 'y'"):
        probe["y"]
