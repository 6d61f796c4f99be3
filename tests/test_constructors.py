# amaranth: UnusedElaboratable=no
"""Constructor validation of every component: precise errors (SPEC §3, STYLE).

Constructors here are expected to raise, hence the linter directive above.
"""

import pytest
from amaranth.hdl import Fragment

from ioc_defs.params import REG_BASE, IocParams, Region
from ioc_defs.regmap import REGMAP
from rtl.arbiter import RoundRobinArbiter
from rtl.axi_frontend import AxiSlaveFrontEnd
from rtl.ioc_mailbox import IocMailbox
from rtl.ll_sc_monitor import LlScMonitor
from rtl.subsystem import IocSubsystem
from sw_model.regblock import RegBlock


@pytest.mark.parametrize("kwargs,exc,message", [
    ({"n_agents": 0}, ValueError, "n_agents must be a positive integer, not 0"),
    ({"n_agents": 17}, ValueError, "n_agents must be at most 16, not 17"),
    ({"n_agents": "2"}, TypeError, "n_agents must be a positive integer, not '2'"),
    ({"n_agents": True}, TypeError, "n_agents must be a positive integer, not True"),
    ({"n_channels": 33}, ValueError, "n_channels must be at most 32, not 33"),
    ({"shm_bytes": 1000}, ValueError,
     "shm_bytes must be a power of two from 64 to 0x10000, not 1000"),
    ({"shm_bytes": 32}, ValueError,
     "shm_bytes must be a power of two from 64 to 0x10000, not 32"),
    ({"shm_bytes": 2 * REG_BASE}, ValueError, "shm_bytes must be at most 65536, not 131072"),
    ({"granule_log2": 1}, ValueError, "granule_log2 must be an integer >= 2, not 1"),
    ({"shm_bytes": 256, "granule_log2": 9}, ValueError, "granule_log2 must be at most 8, not 9"),
    ({"id_width": 0}, ValueError, "id_width must be a positive integer, not 0"),
    ({"n_watchdogs": -1}, ValueError, "n_watchdogs must be an integer >= 0, not -1"),
    ({"agent_rst_cycles": 256}, ValueError, "agent_rst_cycles must be at most 255, not 256"),
    ({"fifo_depth": "4"}, TypeError, "fifo_depth must be an integer >= 0, not '4'"),
    ({"fifo_depth": 512}, ValueError, "fifo_depth must be at most 256, not 512"),
    ({"fifo_depth": 6}, ValueError, "fifo_depth must be 0 or a power of two from 2 to 256, "
                                    "not 6"),
    ({"fifo_depth": 1}, ValueError, "fifo_depth must be 0 or a power of two from 2 to 256, "
                                    "not 1"),
])
def test_bad_parameters_are_rejected_precisely(kwargs, exc, message):
    with pytest.raises(exc) as info:
        IocParams(**kwargs)
    assert str(info.value) == message
    with pytest.raises(exc):
        IocSubsystem(**kwargs)


def test_defaults_and_address_map():
    p = IocParams()
    assert (p.n_agents, p.n_channels, p.shm_bytes, p.granule_log2, p.id_width) == \
        (2, 8, 4096, 2, 4)
    assert p.region(0) == p.region(4095) == Region.SHM
    assert p.region(4096) == p.region(REG_BASE - 1) == Region.NONE
    assert p.region(REG_BASE) == p.region(REG_BASE + 0xFFF) == Region.REG
    assert p.region(REGMAP.base + REGMAP.window) == Region.NONE


def test_subsystem_argument_forms():
    with pytest.raises(TypeError, match="pass either params or keyword parameters, not both"):
        IocSubsystem(IocParams(), n_agents=2)
    with pytest.raises(TypeError, match=r"params must be an IocParams, not \{\}"):
        IocSubsystem({})
    top = IocSubsystem(n_agents=3)
    assert top.params == IocParams(n_agents=3)
    assert [k for k in range(4) if hasattr(top, f"s{k}_axi")] == [0, 1, 2]
    Fragment.get(top, None)


@pytest.mark.parametrize("component", [AxiSlaveFrontEnd, LlScMonitor, IocMailbox, RegBlock])
@pytest.mark.parametrize("bad", [None, 2, {}])
def test_components_take_only_iocparams(component, bad):
    with pytest.raises(TypeError) as info:
        component(bad)
    assert str(info.value) == f"params must be an IocParams, not {bad!r}"


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_arbiter_rejects(bad):
    with pytest.raises(TypeError) as info:
        RoundRobinArbiter(bad)
    assert str(info.value) == f"n must be a positive integer, not {bad!r}"
