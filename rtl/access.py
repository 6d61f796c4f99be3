"""Internal interfaces of the subsystem: granted accesses and LL/SC monitor status.

The AXI front ends turn bursts into single-word *accesses*; the arbiter grants one per cycle and
the granted access flows down a fixed pipeline (:class:`rtl.subsystem.IocSubsystem` documents
each stage) to the target its address decodes to (shared RAM or register block). Targets never
stall: every access is answered exactly :data:`ANSWER_LATENCY` cycles after its grant, which is
what lets each front end match answers to its requests without tags.
"""

from amaranth.hdl import Mux
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ioc_defs.params import DATA_WIDTH, REG_BASE, REG_SIZE, SHM_BASE, Region, ScFailCause

__all__ = ["AccessSignature", "RequestSignature", "MonitorStatusSignature", "COUNTER_WIDTH",
           "ANSWER_LATENCY", "HANDSHAKE_TO_ANSWER", "offset_bits", "absolute"]

#: Width of the LL/SC event counters (they wrap around).
COUNTER_WIDTH = 32

#: Cycles from a request's grant to its answer: the grant cycle loads the access register (X),
#: X performs shared-RAM accesses and decodes register ones, E performs register accesses and
#: registers the RAM's read data, and the answer is presented in the cycle after E.
ANSWER_LATENCY = 3

#: Cycles from an AR handshake (a write: the later of its AW and W handshakes) to R (B) valid,
#: with no contention and no back-pressure: the front end issues the beat into its request
#: register in the next cycle, it is granted in the one after, then ANSWER_LATENCY.
HANDSHAKE_TO_ANSWER = ANSWER_LATENCY + 2


def offset_bits(params):
    """Address bits of a beat within its region, all the targets use: pipeline registers keep
    these and the region, not the 32-bit address (whose other bits are known from the region)."""
    return max((params.shm_bytes - 1).bit_length(), (REG_SIZE - 1).bit_length())


def absolute(region, offset):
    """The 32-bit address of the beat at ``offset`` in ``region`` (an expression)."""
    return Mux(region == Region.REG, REG_BASE, SHM_BASE) | offset


def _beat_members(addr_width):
    """The members that describe one beat and its answer (shared by both signatures below)."""
    return {
        "addr": Out(addr_width), "write": Out(1),
        "w_data": Out(DATA_WIDTH), "w_strb": Out(DATA_WIDTH // 8),
        "size": Out(3), "lock": Out(1), "excl": Out(1), "priv": Out(1),
        "r_data": In(DATA_WIDTH), "resp": In(2),
    }


class AccessSignature(wiring.Signature):
    """One granted access per cycle, from the arbiter's side.

    Members
    -------
    valid : Out(1)
        An access is performed this cycle. All other ``Out`` members are valid only while it
        is high.
    agent : Out(agent_bits)
        Index of the port (agent) the access came from; software cannot forge it.
    addr : Out(addr_width)
        Byte address of this beat (absolute, not relative to the target).
    write : Out(1)
        1 for a write beat, 0 for a read beat.
    w_data, w_strb : Out(32), Out(4)
        Write data and byte strobes (``write`` only).
    size : Out(3)
        ``AxSIZE`` of the burst the beat belongs to (2 = 32 bits).
    lock : Out(1)
        ``AxLOCK``: the manager asked for an exclusive access.
    excl : Out(1)
        The exclusive is of the supported form: single beat, 32 bits, aligned. Implies ``lock``.
    priv : Out(1)
        ``AxPROT[0]``: privileged (hypervisor) access.
    r_data, resp : In(32), In(2)
        Read data and AXI response code; the target documents in which cycle they are valid.
    """

    def __init__(self, *, agent_bits, addr_width):
        self._agent_bits, self._addr_width = agent_bits, addr_width
        super().__init__({"valid": Out(1), "agent": Out(agent_bits), **_beat_members(addr_width)})

    def __eq__(self, other):
        return (isinstance(other, AccessSignature) and
                (self._agent_bits, self._addr_width) == (other._agent_bits, other._addr_width))

    def __repr__(self):
        return f"AccessSignature(agent_bits={self._agent_bits}, addr_width={self._addr_width})"


class RequestSignature(wiring.Signature):
    """A front end's request for the shared access slot, from the front end's side.

    Members
    -------
    valid : Out(1)
        The front end has a beat to perform; driven from a register, like the payload, which
        is stable until ``grant``.
    grant : In(1)
        Combinational: the beat is taken this cycle (loaded into the subsystem's access
        register); a later beat may be presented in the next cycle.
    region : Out(Region)
        Which target the beat decodes to (``SHM`` or ``REG``; unmapped beats are answered by
        the front end itself and never requested).
    addr, write, w_data, w_strb, size, lock, excl, priv : Out
        As in :class:`AccessSignature`.
    shm_write : Out(1)
        The beat can change the shared RAM: a plain or supported exclusive write to it (what
        the forward-progress holds withhold). Registered with the payload, so that the grant
        stage does not decode it; always 0 in a subsystem without holds (``resv_hold_cycles``
        = 0), where nothing reads it.
    r_data, resp : In(32), In(2)
        The answer, exactly :data:`ANSWER_LATENCY` cycles after the ``grant`` cycle.
    """

    def __init__(self, *, addr_width):
        self._addr_width = addr_width
        super().__init__({"valid": Out(1), "grant": In(1), "region": Out(Region),
                          "shm_write": Out(1), **_beat_members(addr_width)})

    def __eq__(self, other):
        return isinstance(other, RequestSignature) and self._addr_width == other._addr_width

    def __repr__(self):
        return f"RequestSignature(addr_width={self._addr_width})"


class MonitorStatusSignature(wiring.Signature):
    """Per-agent LL/SC statistics, from the monitor's side (read by the register block).

    Members
    -------
    cause : Out(ScFailCause).array(n_agents)
        Cause of the agent's most recent SC failure (``NONE`` if none since reset).
    ll_count, sc_ok_count, sc_fail_count : Out(32).array(n_agents)
        Wrapping counts of LLs, successful SCs and failed SCs since reset.
    """

    def __init__(self, *, n_agents):
        self._n_agents = n_agents
        super().__init__({
            "cause": Out(ScFailCause).array(n_agents),
            "ll_count": Out(COUNTER_WIDTH).array(n_agents),
            "sc_ok_count": Out(COUNTER_WIDTH).array(n_agents),
            "sc_fail_count": Out(COUNTER_WIDTH).array(n_agents),
        })

    def __eq__(self, other):
        return isinstance(other, MonitorStatusSignature) and self._n_agents == other._n_agents

    def __repr__(self):
        return f"MonitorStatusSignature(n_agents={self._n_agents})"
