"""Names of the subsystem's internal signals that testbenches, coverage, waveforms and formal
properties observe: the gateware (:mod:`rtl`) names its signals from here, and every observer
finds them from here, so a rename cannot silently leave an observer behind.

The names are as they appear in the generated Verilog, grouped by the scope they live in: the
subsystem's top level, the register block and its message FIFOs (instance :data:`MAILBOX`,
:class:`rtl.ioc_mailbox.IocMailbox`), the LL/SC monitor and its forward-progress holds
(:data:`MONITOR`, :class:`rtl.ll_sc_monitor.LlScMonitor`), the round-robin arbiter
(:data:`ARBITER`) and an AXI front end (:func:`frontend`). A name is unique in its scope; seen
from an enclosing design, :func:`scoped` qualifies it with the instance name (``frontend0.rd``).

Not listed here: the *ports* of those components (their signature members, e.g. the monitor's
``valid``, ``sc_ok``, ``clear``, ``hold``, ``blocked``, ``resv_valid``, the arbiter's
``requests`` and ``grant``, the register block's ``bus``, a front end's ``req``). They are the
components' public interfaces, named and documented by each component's signature; an observer
reaches them through the component object where it has one, else as
``scoped(instance, member)`` (a nested member's path joined by ``__``: ``req__valid``).
"""

__all__ = [
    # the top level
    "ACCESS", "ACCESS_FIELDS", "ACCESS_REGION", "ANSWER_DATA", "ANSWER_RESP", "BUS_ERROR",
    "ARBITER", "MONITOR", "MAILBOX", "SHM_WRITE_PORT", "access", "frontend", "scoped",
    "shm_write_port",
    # the register block
    "agent_state", "channel_epoch", "channel_endpoint", "CHANNEL_ON", "stage_e", "FORM_OK",
    "register_select", "register_hit", "AGENT_RESET", "AGENT_RESET_TARGET",
    "AGENT_RESET_CHANNELS", "CHANNEL_RESET", "CHANNEL_RESET_CHANNEL", "EPOCH_BUMP",
    "watchdog", "WATCHDOG_EXPIRES", "WATCHDOG_EXPIRED", "CYCLE", "CYCLE_LO_WRAPS",
    "fifo_state", "fifo_bits",
    # the LL/SC monitor and its holds
    "reservation_granule", "reservation_lost", "HOLD_TAKE", "WANT", "WAITING", "hold_state",
    "hold_over",
    # the arbiter
    "ARBITER_LAST",
    # an AXI front end
    "PREFER_WRITE", "AR_IN", "AW_IN", "READ_BURST", "WRITE_BURST", "READ_ACTIVE",
    "WRITE_ACTIVE", "WRITE_WAITING", "READ_ISSUE", "WRITE_ISSUE", "READ_DUE", "WRITE_DUE",
    "WBUF_COUNT", "WBUF_FULL", "B_HOLD", "REQ_Q", "REQ_Q_SHARED", "REQ_Q_LOCAL", "DUE_VALID",
    "due", "answer_queue", "ANSWER_QUEUE_COUNT", "READ_CREDITS", "ARRIVING", "BURST_RESP",
]

# -- the subsystem's top level (:class:`rtl.subsystem.IocSubsystem`) ---------------------------

#: Path of the granted access in the pipeline's stage X, where the shared RAM and the LL/SC
#: monitor perform it (an ``AccessSignature`` instance): ``x_access__<field>``. The register
#: block performs it one cycle later, in stage E.
ACCESS = "x_access"
#: Fields of the granted access, as the testbenches read them.
ACCESS_FIELDS = ("valid", "agent", "addr", "write", "w_data", "w_strb", "size", "lock", "excl",
                 "priv")
#: The region the granted access decodes to (a ``Region``).
ACCESS_REGION = "x_access_region"
#: The target's answer to the access that was in stage X two cycles before.
ANSWER_DATA = "answer_data"
ANSWER_RESP = "answer_resp"
#: Front-end error pulses, one bit per agent.
BUS_ERROR = "bus_error"
#: Instance names of the round-robin arbiter, the LL/SC monitor and the register block.
ARBITER = "arbiter"
MONITOR = "monitor"
MAILBOX = "mailbox"


#: The shared RAM's write port (a ``WritePort`` of ``amaranth.lib.memory``): its members are
#: ``wr_port__addr``, ``wr_port__data``, ``wr_port__en`` (one enable bit per byte).
SHM_WRITE_PORT = "wr_port"


def access(field):
    """Name of one field of the granted access."""
    return f"{ACCESS}__{field}"


def frontend(agent):
    """Instance name of agent ``agent``'s AXI front end."""
    return f"frontend{agent}"


def scoped(instance, name):
    """Name ``name`` (of a signal inside submodule ``instance``) as seen from the design that
    contains the instance."""
    return f"{instance}.{name}"


def shm_write_port(member):
    """Name of member ``member`` (``addr``, ``data``, ``en``) of the shared RAM's write port."""
    return f"{SHM_WRITE_PORT}__{member}"


# -- the register block (:data:`MAILBOX`) ------------------------------------------------------

def agent_state(agent, what):
    """Name of agent ``agent``'s banked state ``what`` in the register block (``ch_pending``,
    ``ch_enable``, ``ev_pending``, ``ev_enable``, ``in_reset``, ``rst_cnt``, the set/clear
    pulses ``ch_set``, ``ch_clr``, ``ev_set``, ``ev_clr``, ``fifo_<bank>``)."""
    return f"a{agent}_{what}"


def channel_epoch(channel):
    """Name of channel ``channel``'s epoch counter in the register block."""
    return f"ch{channel}_epoch"


def channel_endpoint(channel, side):
    """Name of channel ``channel``'s endpoint ``side`` (``"a"`` or ``"b"``: ``CH_CFG.EP_A``,
    ``CH_CFG.EP_B``)."""
    return f"ch{channel}_ep_{side}"


#: Every channel's ``CH_CFG.ENABLE``, one bit per channel.
CHANNEL_ON = "ch_on"


def stage_e(field):
    """Name of field ``field`` (``valid``, ``agent``, ``write``, ``w_data``, ``priv``) of the
    access in the register block's stage E, registered from its ``bus``."""
    return f"e_{field}"


#: The access in stage E is well formed (a word, aligned, all byte strobes on a write).
FORM_OK = "form_ok_q"


def register_select(reg):
    """Name of the registered select of register (or register array) ``reg`` (a name of
    :data:`ioc_defs.regmap.REGMAP`, e.g. ``"DOORBELL"``) for the access in stage E."""
    return f"sel_{reg.lower()}_q"


def register_hit(reg, index):
    """Name of the registered select of entry ``index`` of register array ``reg``."""
    return f"hit_{reg.lower()}_{index}_q"


#: ``AGENT_CTRL.RESET`` written (latched: it acts at the end of the response cycle), and the
#: agent it resets.
AGENT_RESET = "agent_reset_q"
AGENT_RESET_TARGET = "agent_reset_target_q"
#: The channels of the agent being reset that are enabled, one bit per channel.
AGENT_RESET_CHANNELS = "ar_hit"
#: ``CHANNEL_RESET`` written (latched as an agent reset is), and the channel it resets.
CHANNEL_RESET = "channel_reset_q"
CHANNEL_RESET_CHANNEL = "channel_reset_channel_q"
#: The channels whose epoch is bumped at the end of this cycle (which flushes their FIFOs).
EPOCH_BUMP = "epoch_bump"


def watchdog(index, what):
    """Name of watchdog ``index``'s state ``what`` (``period``, ``enable``, ``supervisor``,
    ``kick_mask``, ``count``)."""
    return f"wd{index}_{what}"


#: The watchdogs that expire at the end of this cycle, and the sticky ``WDOG_EXPIRED`` bits.
WATCHDOG_EXPIRES = "wd_exp_set"
WATCHDOG_EXPIRED = "wd_expired"
#: The 64-bit cycle counter, and the flag that carries into its high half.
CYCLE = "cycle"
CYCLE_LO_WRAPS = "cycle_lo_wraps"


def fifo_state(fifo, what):
    """Name of message FIFO ``fifo``'s state ``what`` (``wr_ptr``, ``rd_ptr``, ``level``,
    ``dropped``, ``send_threshold``, ``recv_threshold``)."""
    return f"fifo{fifo}_{what}"


def fifo_bits(what):
    """Name of the message FIFOs' ``what``, one bit per FIFO: the state ``empty``, ``full``;
    the caller's checks ``is_sender``, ``is_receiver``, ``push_ok``, ``may_receive``,
    ``pop_ok``; the effects of the access in E ``push``, ``pop``, ``error``, ``tx_event``,
    ``rx_event``; and ``forward`` (one bit: the receive in X reads one word further)."""
    return f"fifo_{what}"


# -- the LL/SC monitor (:data:`MONITOR`) and its forward-progress holds ------------------------

def reservation_granule(agent):
    """Name of agent ``agent``'s reservation granule in the LL/SC monitor."""
    return f"resv{agent}_granule"


def reservation_lost(agent):
    """Name of the cause of the loss of agent ``agent``'s reservation (an ``ScFailCause``)."""
    return f"resv{agent}_lost"


#: The agents whose LL takes a hold at the end of this cycle.
HOLD_TAKE = "hold_take"
#: The agents that want a hold (an LL of theirs was refused one).
WANT = "want"
#: The agents whose write waits for a hold (it was blocked and is not yet granted).
WAITING = "waiting"


#: Agent *i*'s state in the holds, by what :func:`hold_state` is asked for.
_HOLD_STATE = {
    "ll": "hold_ll{}",                   # the LL now at the monitor is i's and may take a hold
    "held_by_other": "held_by_other{}",  # another agent holds the granule of that LL
    "hold_left": "hold{}_left",          # cycles i's hold has left after this one
    "want_left": "want{}_left",          # cycles i's want of a hold has left after this one
}


def hold_state(agent, what):
    """Name of agent ``agent``'s state ``what`` in the holds: ``ll`` (the LL now at the
    monitor is the agent's and may take a hold), ``held_by_other`` (another agent holds that
    LL's granule), ``hold_left`` and ``want_left`` (the cycles the agent's hold and its want
    of a hold have left after this one)."""
    return _HOLD_STATE[what].format(agent)


def hold_over(agent, writer):
    """Name of: agent ``agent``'s LL may take a hold over agent ``writer``'s waiting write."""
    return f"hold{agent}_over{writer}"


# -- the round-robin arbiter (:data:`ARBITER`) ---------------------------------------------------

#: The index of the last grant (the round starts after it).
ARBITER_LAST = "last"


# -- an AXI front end (:func:`frontend`) --------------------------------------------------------

#: A front end's turn when its read and write both want the slot (1: the write's).
PREFER_WRITE = "prefer_write"
#: The AR and AW channels' addresses decoded as bursts (a ``burst`` layout).
AR_IN = "ar_in"
AW_IN = "aw_in"
#: The read and the write burst being issued (a ``burst`` layout), and whether each has beats
#: left to issue; a write whose last beat was issued and whose answer is not yet back.
READ_BURST = "rd"
WRITE_BURST = "wr"
READ_ACTIVE = "rd_active"
WRITE_ACTIVE = "wr_active"
WRITE_WAITING = "wr_waiting"
#: A read / a write beat issued to the request register this cycle.
READ_ISSUE = "r_issue"
WRITE_ISSUE = "w_issue"
#: The answer arriving this cycle is a read's / a write's.
READ_DUE = "r_due"
WRITE_DUE = "w_due"
#: The W beat buffer: its occupancy and full flag; a B response held for the manager.
WBUF_COUNT = "wbuf_count"
WBUF_FULL = "wbuf_full"
B_HOLD = "b_hold"
#: The request register (a ``beat`` layout) and what it holds: a beat for the shared slot, or
#: one the front end answers itself.
REQ_Q = "req_q"
REQ_Q_SHARED = "req_q_shared"
REQ_Q_LOCAL = "req_q_local"
#: Which in-flight slots (one per cycle of the answer latency) hold a beat's tag.
DUE_VALID = "due_valid"


def due(slot):
    """Name of the tag (a ``tag`` layout) of the beat in in-flight slot ``slot``: one slot per
    cycle of the answer latency, holding a tag as :data:`DUE_VALID` says."""
    return f"due{slot}"


def answer_queue(entry):
    """Name of entry ``entry`` of the read-answer queue (an ``answer`` layout), where the
    answers to reads wait for the manager's RREADY."""
    return f"rq{entry}"


#: The read-answer queue's occupancy, and the credits of reads that may still be issued.
ANSWER_QUEUE_COUNT = "rq_count"
READ_CREDITS = "r_credits"
#: The answer arriving this cycle (an ``answer`` layout); the response of the write burst.
ARRIVING = "arriving"
BURST_RESP = "burst_resp"
