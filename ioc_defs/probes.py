"""Names of the subsystem's internal signals that testbenches, coverage, waveforms and formal
properties observe: the gateware (:mod:`rtl.subsystem`) names its signals from here, and every
observer finds them from here, so a rename cannot silently leave an observer behind.

The names are as they appear in the generated Verilog (top-level scope).
"""

__all__ = ["ACCESS", "ACCESS_FIELDS", "ACCESS_REGION", "ANSWER_DATA", "ANSWER_RESP",
           "BUS_ERROR", "ARBITER", "MONITOR", "MAILBOX", "PREFER_WRITE", "access", "frontend",
           "agent_state", "channel_epoch", "reservation_granule"]

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


def access(field):
    """Name of one field of the granted access."""
    return f"{ACCESS}__{field}"


def frontend(agent):
    """Instance name of agent ``agent``'s AXI front end."""
    return f"frontend{agent}"


# -- state inside those scopes, as the waveform view and the coverage monitor show it ----------

#: A front end's turn when its read and write both want the slot (1: the write's).
PREFER_WRITE = "prefer_write"


def agent_state(agent, what):
    """Name of agent ``agent``'s banked state ``what`` in the register block (``ch_pending``,
    ``ch_enable``, ``ev_pending``, ``ev_enable``, ``in_reset``, ``rst_cnt``, the set/clear
    pulses ``ch_set``, ``ch_clr``, ``ev_set``, ``ev_clr``, ``fifo_<bank>``)."""
    return f"a{agent}_{what}"


def channel_epoch(channel):
    """Name of channel ``channel``'s epoch counter in the register block."""
    return f"ch{channel}_epoch"


def reservation_granule(agent):
    """Name of agent ``agent``'s reservation granule in the LL/SC monitor."""
    return f"resv{agent}_granule"
