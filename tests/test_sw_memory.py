"""The reference memory's LL/SC behaviour against a table written from SPEC §3.3."""

import pytest

from ioc_defs.axi import AxiResp
from ioc_defs.params import REG_BASE, IocParams, ScFailCause
from ioc_defs.regmap import REGMAP
from sw_model.memory import MonitorCounters, SharedMemory
from sw_model.system import RefSystem

A, B = 0x40, 0x44  # two words in different granules (granule_log2 = 2)

# Each row: a sequence of operations, then what the last SC (by agent 0) returns, agent 0's
# failure cause and the final word at A. Operations: ("ll", agent, addr), ("sc", agent, addr,
# data), ("st", agent, addr, data), ("clr", agent), ("rst", agent).
TABLE = [
    ("LL then SC succeeds",
     [("ll", 0, A), ("sc", 0, A, 7)], True, ScFailCause.NONE, 7),
    ("SC without LL fails, writes nothing",
     [("sc", 0, A, 7)], False, ScFailCause.NO_RESERVATION, 0),
    ("second SC after a successful one fails (SC clears the reservation)",
     [("ll", 0, A), ("sc", 0, A, 7), ("sc", 0, A, 8)], False, ScFailCause.NO_RESERVATION, 7),
    ("SC to another granule fails",
     [("ll", 0, A), ("sc", 0, B, 7)], False, ScFailCause.ADDRESS_MISMATCH, 0),
    ("SC to the other granule also consumes the reservation",
     [("ll", 0, A), ("sc", 0, B, 7), ("sc", 0, A, 8)], False, ScFailCause.NO_RESERVATION, 0),
    ("plain store by another agent to the granule: conflict",
     [("ll", 0, A), ("st", 1, A, 5), ("sc", 0, A, 7)], False, ScFailCause.CONFLICT, 5),
    ("successful SC by another agent to the granule: conflict",
     [("ll", 0, A), ("ll", 1, A), ("sc", 1, A, 5), ("sc", 0, A, 7)],
     False, ScFailCause.CONFLICT, 5),
    ("same value written back by another agent still conflicts (no ABA)",
     [("ll", 0, A), ("st", 1, A, 0), ("sc", 0, A, 7)], False, ScFailCause.CONFLICT, 0),
    ("another agent's write to another granule does not disturb",
     [("ll", 0, A), ("st", 1, B, 5), ("sc", 0, A, 7)], True, ScFailCause.NONE, 7),
    ("own plain store does not clear own reservation",
     [("ll", 0, A), ("st", 0, A, 3), ("sc", 0, A, 7)], True, ScFailCause.NONE, 7),
    ("another agent's failed SC writes nothing and does not disturb",
     [("ll", 0, A), ("sc", 1, A, 5), ("sc", 0, A, 7)], True, ScFailCause.NONE, 7),
    ("another agent's LL does not disturb",
     [("ll", 0, A), ("ll", 1, A), ("sc", 0, A, 7)], True, ScFailCause.NONE, 7),
    ("resv_clear: preempted",
     [("ll", 0, A), ("clr", 0), ("sc", 0, A, 7)], False, ScFailCause.PREEMPTED, 0),
    ("another agent's resv_clear does not disturb",
     [("ll", 0, A), ("clr", 1), ("sc", 0, A, 7)], True, ScFailCause.NONE, 7),
    ("agent reset: preempted",
     [("ll", 0, A), ("rst", 0), ("sc", 0, A, 7)], False, ScFailCause.PREEMPTED, 0),
    ("a new LL after a clear succeeds",
     [("ll", 0, A), ("clr", 0), ("ll", 0, A), ("sc", 0, A, 7)], True, ScFailCause.NONE, 7),
    ("LL moves the reservation",
     [("ll", 0, B), ("ll", 0, A), ("sc", 0, A, 7)], True, ScFailCause.NONE, 7),
    ("clear without a reservation keeps the earlier cause",
     [("sc", 0, A, 7), ("clr", 0), ("sc", 0, A, 7)], False, ScFailCause.NO_RESERVATION, 0),
]


def _run(memory, ops):
    last = None
    for op in ops:
        match op:
            case ("ll", agent, addr):
                assert memory.access(agent, addr, write=False, lock=True)[0] == AxiResp.EXOKAY
            case ("sc", agent, addr, data):
                resp, _ = memory.access(agent, addr, write=True, data=data, lock=True)
                if agent == 0:
                    last = resp == AxiResp.EXOKAY
            case ("st", agent, addr, data):
                assert memory.access(agent, addr, write=True, data=data) == (AxiResp.OKAY, 0)
            case ("clr", agent):
                memory.resv_clear(agent)
            case ("rst", agent):
                memory.agent_reset(agent)
    return last


@pytest.mark.parametrize("ops, ok, cause, word", [row[1:] for row in TABLE],
                         ids=[row[0] for row in TABLE])
def test_llsc_table(ops, ok, cause, word):
    memory = SharedMemory(IocParams())
    assert _run(memory, ops) is ok
    assert memory.cause(0) == cause
    assert memory.peek(A) == word
    assert memory.reservation(0) is None  # an SC always ends the reservation


def test_counters_and_cause_are_kept_per_agent():
    memory = SharedMemory(IocParams(n_agents=3))
    _run(memory, [("ll", 0, A), ("sc", 0, A, 1), ("ll", 1, A), ("st", 2, A, 2),
                  ("sc", 1, A, 3), ("sc", 1, A, 3)])
    assert memory.counters(0) == MonitorCounters(ll=1, sc_ok=1, sc_fail=0)
    assert memory.counters(1) == MonitorCounters(ll=1, sc_ok=0, sc_fail=2)
    assert memory.counters(2) == MonitorCounters(ll=0, sc_ok=0, sc_fail=0)
    assert memory.cause(1) == ScFailCause.NO_RESERVATION  # the last failure wins
    assert memory.cause(2) == ScFailCause.NONE


def test_granule_covers_neighbouring_words():
    memory = SharedMemory(IocParams(granule_log2=3))
    _run(memory, [("ll", 0, 0x40), ("st", 1, 0x44, 9)])
    assert memory.access(0, 0x40, write=True, data=1, lock=True)[0] == AxiResp.OKAY
    assert memory.cause(0) == ScFailCause.CONFLICT
    _run(memory, [("ll", 0, 0x40)])
    assert memory.access(0, 0x44, write=True, data=1, lock=True)[0] == AxiResp.EXOKAY


@pytest.mark.parametrize("size, single, addr", [(1, True, A), (2, False, A), (2, True, A + 2)],
                         ids=["narrow", "burst", "misaligned"])
def test_unsupported_exclusive_is_a_failed_exclusive(size, single, addr):
    memory = SharedMemory(IocParams())
    resp, data = memory.access(0, addr, write=False, lock=True, size=size, single=single)
    assert resp == AxiResp.OKAY and data == 0
    assert memory.reservation(0) is None
    _run(memory, [("ll", 0, A)])
    resp, _ = memory.access(0, addr, write=True, data=5, lock=True, size=size, single=single)
    assert resp == AxiResp.OKAY
    assert memory.peek(A) == 0  # writes nothing
    assert memory.counters(0) == MonitorCounters(ll=1, sc_ok=0, sc_fail=0)


def test_byte_strobes():
    memory = SharedMemory(IocParams())
    memory.access(0, A, write=True, data=0x11223344)
    memory.access(1, A, write=True, data=0xAABBCCDD, strb=0b0101)
    assert memory.peek(A) == 0x11BB33DD


def test_partial_store_by_other_agent_clears_reservation():
    memory = SharedMemory(IocParams())
    _run(memory, [("ll", 0, A)])
    memory.access(1, A + 3, write=True, data=0xFF00_0000, strb=0b1000)
    assert memory.access(0, A, write=True, data=1, lock=True)[0] == AxiResp.OKAY
    assert memory.cause(0) == ScFailCause.CONFLICT


def test_counters_wrap_at_32_bits():
    memory = SharedMemory(IocParams())
    state = list(memory.snapshot())
    state[4] = [0xFFFF_FFFF] + state[4][1:]  # the LL counters
    memory.restore(state)
    _run(memory, [("ll", 0, A)])
    assert memory.counters(0).ll == 0


def test_system_decodes_unmapped_and_register_window():
    system = RefSystem(IocParams())
    assert system.access(0, 0x2000, write=False) == (AxiResp.DECERR, 0)
    assert system.access(0, 0x8000_0000, write=True, data=1) == (AxiResp.DECERR, 0)
    # exclusives to the register window are plain accesses answered OKAY, never EXOKAY
    resp, _ = system.access(0, 0x0001_0000, write=False, lock=True)
    assert resp == AxiResp.OKAY
    assert system.memory.reservation(0) is None


def test_system_mirrors_monitor_statistics_into_the_register_block():
    system = RefSystem(IocParams())
    system.access(1, A, write=True, data=1, lock=True)
    status = system.regblock.monitor[1]
    assert status.cause == ScFailCause.NO_RESERVATION and status.sc_fail_count == 1


def test_validation_messages():
    with pytest.raises(TypeError, match=r"params must be an IocParams, not 4"):
        SharedMemory(4)
    memory = SharedMemory(IocParams())
    with pytest.raises(ValueError, match=r"agent must be an integer in \[0, 2\), not 2"):
        memory.access(2, A, write=False)
    with pytest.raises(ValueError, match=r"address 4096 is outside the shared RAM"):
        memory.access(0, 4096, write=False)


def test_successful_sc_honours_byte_strobes():
    """WSTRB lanes are honoured on shared RAM for store-conditionals too (as in the RTL)."""
    memory = SharedMemory(IocParams())
    memory.access(0, A, write=True, data=0x11223344)
    memory.access(0, A, write=False, lock=True)
    resp, _ = memory.access(0, A, write=True, data=0xAABBCCDD, strb=0b0011, lock=True)
    assert resp == AxiResp.EXOKAY
    assert memory.peek(A) == 0x1122CCDD


def test_agent_rst_clears_the_reservation_in_every_cycle_it_is_high():
    """As the RTL's monitor: an LL made while agent_rst[k] is high leaves no reservation, and an
    SC made then fails as PREEMPTED."""
    system = RefSystem(IocParams())
    reg = REG_BASE + REGMAP["AGENT_CTRL"].address(1)
    system.access(0, reg, write=True, data=1, priv=True)
    system.tick()
    while not system.agent_rst(1):
        system.tick()
    for _ in range(3):
        system.tick()
    assert system.agent_rst(1)
    assert system.access(1, A, write=False, lock=True)[0] == AxiResp.EXOKAY
    system.tick()
    assert system.memory.reservation(1) is None
    assert system.access(1, A, write=True, data=1, lock=True)[0] == AxiResp.OKAY
    assert system.memory.cause(1) == ScFailCause.PREEMPTED
