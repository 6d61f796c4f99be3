"""Register map of the IOC mailbox + IPI controller: the one source of truth.

Every register of the 4 KiB window at :data:`~ioc_defs.params.REG_BASE` is declared once below, as
data (in the spirit of amaranth-soc): name, offset, fields with their access (:class:`Access`),
privileged-write flag, banking, array count and stride, reset value, description and the
register-specific check (:class:`Check`) that can refuse an access.  The gateware decoder
(:mod:`rtl.ioc_mailbox`), the reference model (:mod:`sw_model.regblock`), the Markdown table, the
C header and the JSON (:mod:`rtl.regmap_gen`) are all derived from :data:`REGMAP`.

Offsets never depend on the parameters: arrays are sized for the maxima (32 channels, 16 agents,
8 watchdogs); entries at or beyond the configured count are holes (SLVERR).

This module is pure Python (no Amaranth import) so that software models can use it.
"""

import enum
from dataclasses import dataclass

from .axi import AxiResp
from .params import REG_BASE, REG_SIZE, IocParams

__all__ = [
    "RESP_OKAY", "RESP_SLVERR", "ID_MAGIC", "VERSION_MAJOR", "VERSION_MINOR", "EPOCH_WIDTH",
    "EPOCH_MASK", "FIFO_LEVEL_WIDTH", "FIFO_THRESHOLD_WIDTH", "FIFO_DROPPED_WIDTH",
    "Access", "Check", "Event", "ArrayOf", "Field", "Register", "BadAccess", "RegisterMap",
    "REGMAP", "BAD_ACCESSES", "configuration_fields",
]

#: The two AXI response codes the register block gives (it never answers EXOKAY or DECERR),
#: as plain integers (the values are :class:`~ioc_defs.axi.AxiResp`'s).
RESP_OKAY = int(AxiResp.OKAY)
RESP_SLVERR = int(AxiResp.SLVERR)

#: Constant identification of the block (``ID.MAGIC``) and its register-map version.
ID_MAGIC = 0x10C5
VERSION_MAJOR = 1
VERSION_MINOR = 2

#: Width of a channel epoch (it wraps around).
EPOCH_WIDTH = 16
#: Mask of a channel epoch: epochs count modulo ``EPOCH_MASK + 1``.
EPOCH_MASK = (1 << EPOCH_WIDTH) - 1


class Access(enum.Enum):
    """How software accesses a field."""
    R    = "R"     # read-only; writes to a register with only R fields are refused
    RW   = "RW"    # read/write
    RW1C = "RW1C"  # read; writing 1 clears the bit, writing 0 leaves it
    W    = "W"     # write-only pulse: a write of 1 acts once; reads as 0

    @property
    def readable(self):
        return self is not Access.W

    @property
    def writable(self):
        return self is not Access.R


class Check(enum.Enum):
    """Register-specific conditions under which an otherwise well-formed access is refused."""
    DOORBELL_ENDPOINT = ("The channel must be enabled and the caller one of its endpoints "
                         "(privilege does not help: the hypervisor rings from its own agent).")
    EPOCH_READER = "Unprivileged reads are allowed only to an endpoint of the channel."
    KICK_PERMITTED = ("The caller's bit must be set in the watchdog's KICK_MASK, or the access "
                      "must be privileged.")
    FIFO_DATA = ("The FIFO's channel must be enabled; a write (send) must come from the FIFO's "
                 "sender (endpoint A for A to B, B for B to A) and find it not full, a read "
                 "(receive) from its receiver and find it not empty (privilege does not help). "
                 "A refused write to a full or read from an empty FIFO by the right endpoint "
                 "also sets the caller's FIFO_ERROR bit of the channel.")
    FIFO_READER = ("Unprivileged reads are allowed only to an endpoint of the FIFO's channel.")

    @property
    def desc(self):
        return self.value


class Event(enum.IntEnum):
    """Bit positions of the per-agent events in ``EV_PENDING`` / ``EV_ENABLE`` / ``EV_STATUS``."""
    WATCHDOG   = 0  # a watchdog this agent supervises expired
    PEER_RESET = 1  # the epoch of a channel this agent is an endpoint of changed
    BUS_ERROR  = 2  # this agent got SLVERR from the register block, or an error from the fabric


class ArrayOf(enum.Enum):
    """What a register array is indexed by: ``(parameter name, maximum count)``."""
    CHANNELS  = ("n_channels", 32)
    AGENTS    = ("n_agents", 16)
    WATCHDOGS = ("n_watchdogs", 8)
    FIFOS     = ("n_fifos", 64)  # FIFO f: channel f // 2, direction f % 2 (0: A to B)

    @property
    def param(self):
        return self.value[0]

    @property
    def max_count(self):
        return self.value[1]

    def count(self, params):
        """Number of implemented entries for a configuration."""
        return getattr(params, self.param)


@dataclass(frozen=True)
class Field:
    """A bit field of a register.

    Parameters
    ----------
    name : str
        Upper-case field name, unique within its register.
    offset, width : int
        Position of the least significant bit and width in bits.
    access : Access
        How software accesses the field.
    desc : str
        One-line description.
    reset : int or None
        Value after reset; ``None`` for a value that is not state (a constant of the
        configuration or a live input).
    limit : str or None
        Name of an :class:`~ioc_defs.params.IocParams` attribute: a write of a value greater than or
        equal to it is refused (SLVERR).
    """
    name: str
    offset: int
    width: int
    access: Access
    desc: str
    reset: int | None = 0
    limit: str | None = None

    @property
    def mask(self):
        """Mask of the field in place."""
        return ((1 << self.width) - 1) << self.offset

    def get(self, word):
        """Extract the field from a 32-bit word."""
        return (word >> self.offset) & ((1 << self.width) - 1)

    def to_dict(self):
        return {"name": self.name, "offset": self.offset, "width": self.width,
                "access": self.access.value, "desc": self.desc, "reset": self.reset,
                "limit": self.limit}

    @classmethod
    def from_dict(cls, d):
        return cls(name=d["name"], offset=d["offset"], width=d["width"],
                   access=Access(d["access"]), desc=d["desc"], reset=d["reset"],
                   limit=d["limit"])


@dataclass(frozen=True)
class Register:
    """A 32-bit register, or an array of them.

    Parameters
    ----------
    name : str
        Upper-case register name, unique in the map.
    offset : int
        Byte offset of the (first) register from ``REG_BASE``.
    desc : str
        Description of what the register does, including its side effects.
    fields : tuple of Field
        The fields; bits not covered are reserved (read 0, writes ignored).
    priv_write : bool
        Only privileged (``AxPROT[0]=1``) writes are accepted.
    banked : bool
        Each agent sees its own copy; the caller's agent index selects it.
    array : ArrayOf or None
        The register is replicated, one per channel, agent or watchdog.
    stride : int
        Byte distance between array entries.
    check : Check or None
        A register-specific condition for accepting an access.
    requires : str or None
        Name of an :class:`~ioc_defs.params.IocParams` attribute: the register exists only in
        configurations where it is non-zero (else its words are holes).
    """
    name: str
    offset: int
    desc: str
    fields: tuple
    priv_write: bool = False
    banked: bool = False
    array: ArrayOf | None = None
    stride: int = 0
    check: Check | None = None
    requires: str | None = None

    @property
    def readable(self):
        return any(f.access.readable for f in self.fields)

    @property
    def writable(self):
        return any(f.access.writable for f in self.fields)

    @property
    def access(self):
        """Summary of the register's access for tables (``R``, ``W``, ``RW``, ``RW1C``, ...)."""
        kinds = []
        for f in self.fields:
            if f.access.value not in kinds:
                kinds.append(f.access.value)
        return "/".join(kinds)

    @property
    def reset(self):
        """Reset value of the whole word, or ``None`` if any field is not state."""
        if any(f.reset is None for f in self.fields):
            return None
        return sum(f.reset << f.offset for f in self.fields)

    @property
    def max_count(self):
        return 1 if self.array is None else self.array.max_count

    def count(self, params):
        """Number of implemented entries in a configuration."""
        if self.requires is not None and not getattr(params, self.requires):
            return 0
        return 1 if self.array is None else self.array.count(params)

    @property
    def index_bits(self):
        """``(lo, hi)``: an array entry's index is bits ``[lo, hi)`` of its byte offset."""
        lo = self.stride.bit_length() - 1
        return lo, lo + (self.max_count - 1).bit_length()

    def address(self, index=0):
        """Byte offset of entry ``index`` from ``REG_BASE``."""
        if not 0 <= index < self.max_count:
            raise IndexError(f"{self.name} has no entry {index}")
        return self.offset + index * self.stride

    def field(self, name):
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name}")

    def compose(self, values):
        """Build a 32-bit word from ``{field name: value}`` (missing fields read as 0)."""
        word = 0
        for f in self.fields:
            word |= (values.get(f.name, 0) & ((1 << f.width) - 1)) << f.offset
        return word

    def to_dict(self):
        return {"name": self.name, "offset": self.offset, "desc": self.desc,
                "fields": [f.to_dict() for f in self.fields], "priv_write": self.priv_write,
                "banked": self.banked, "array": None if self.array is None else self.array.name,
                "stride": self.stride, "check": None if self.check is None else self.check.name,
                "requires": self.requires}

    @classmethod
    def from_dict(cls, d):
        return cls(name=d["name"], offset=d["offset"], desc=d["desc"],
                   fields=tuple(Field.from_dict(f) for f in d["fields"]),
                   priv_write=d["priv_write"], banked=d["banked"],
                   array=None if d["array"] is None else ArrayOf[d["array"]],
                   stride=d["stride"], check=None if d["check"] is None else Check[d["check"]],
                   requires=d["requires"])


@dataclass(frozen=True)
class BadAccess:
    """One kind of refused access, in the order the checks are documented."""
    name: str
    condition: str


#: Every refused access gets SLVERR with read data 0, changes no state, and raises the
#: ``BUS_ERROR`` event of the agent that made it (at the end of the response cycle). The
#: conditions are independent (the response is the same whichever holds), listed in the order
#: a reader should check them.
BAD_ACCESSES = (
    BadAccess("HOLE", "The word offset is not a register of this configuration: a hole in the "
                      "window, or an array entry at or beyond the configured count."),
    BadAccess("SIZE", "AxSIZE is not 2 (32 bits)."),
    BadAccess("MISALIGNED", "The byte address is not a multiple of 4."),
    BadAccess("STROBE", "A write whose WSTRB is not 0b1111."),
    BadAccess("READ_WRITE_ONLY", "A read of a register with only W (write-pulse) fields."),
    BadAccess("WRITE_READ_ONLY", "A write to a register with only R fields."),
    BadAccess("PRIVILEGE", "An unprivileged (AxPROT[0]=0) write to a privileged register."),
    BadAccess("LIMIT", "A write of a field with a limit, with a value at or above the limit "
                       "(e.g. an agent index >= n_agents)."),
    BadAccess("CHECK", "The register-specific check fails (see the register)."),
)


def _f(name, offset, width, access, desc, **kwargs):
    return Field(name, offset, width, access, desc, **kwargs)


R, RW, RW1C, W = Access.R, Access.RW, Access.RW1C, Access.W
_CH, _AG, _WD, _FF = ArrayOf.CHANNELS, ArrayOf.AGENTS, ArrayOf.WATCHDOGS, ArrayOf.FIFOS
#: Width of the FIFO level, send and receive threshold and dropped-count fields.
FIFO_LEVEL_WIDTH, FIFO_THRESHOLD_WIDTH, FIFO_DROPPED_WIDTH = 9, 8, 16

_EVENT_FIELDS = {
    Event.WATCHDOG: "a watchdog supervised by this agent expired",
    Event.PEER_RESET: "a channel of this agent changed epoch (peer or channel reset)",
    Event.BUS_ERROR: "this agent made an access that got an error response",
}


def _event_fields(access, what, reset=0):
    return tuple(_f(e.name, int(e), 1, access, f"{what}: {d}", reset=reset)
                 for e, d in _EVENT_FIELDS.items())


def _fifo_threshold_registers(kind, offset, what, when, bit):
    """FIFO_<kind>_PENDING, _ENABLE and _STATUS: banked interrupt bits of one threshold kind,
    one bit per channel, as the doorbells' CH_PENDING, CH_ENABLE and CH_STATUS."""
    name = f"FIFO_{kind}"
    return (
        Register(f"{name}_PENDING", offset, f"{what} at the caller: bit c is set when {when} "
                 "(FIFO_THRESH). AGENT_CTRL.RESET of the caller clears it (a set in that cycle "
                 "wins).", (_f("CH", 0, 32, RW1C, bit),), banked=True, requires="fifo_depth"),
        Register(f"{name}_ENABLE", offset + 4, f"Which {name}_PENDING bits raise the caller's "
                 "irq.", (_f("CH", 0, 32, RW, "enable of channel c (bits >= n_channels are not "
                             "stored)"),), banked=True, requires="fifo_depth"),
        Register(f"{name}_STATUS", offset + 8, f"{name}_PENDING & {name}_ENABLE of the "
                 "caller.", (_f("CH", 0, 32, R, f"{bit} and enabled", reset=None),),
                 banked=True, requires="fifo_depth"),
    )


_REGISTERS = (
    # -- identification and configuration --------------------------------------------------------
    Register("ID", 0x000, "Identification: constant magic number and register-map version.", (
        _f("VERSION_MINOR", 0, 8, R, "minor version of the register map", reset=VERSION_MINOR),
        _f("VERSION_MAJOR", 8, 8, R, "major version of the register map", reset=VERSION_MAJOR),
        _f("MAGIC", 16, 16, R, "constant 0x10C5", reset=ID_MAGIC),
    )),
    Register("CONFIG", 0x004, "Configuration of this instance, for discovery.", (
        _f("N_AGENTS", 0, 5, R, "number of agents (ports)", reset=None),
        _f("N_CHANNELS", 8, 6, R, "number of channels", reset=None),
        _f("N_WATCHDOGS", 16, 4, R, "number of watchdogs", reset=None),
        _f("FIFO_DEPTH_LOG2", 20, 4, R, "log2 of the message FIFOs' depth (0: no FIFOs)",
           reset=None),
        _f("GRANULE_LOG2", 24, 5, R, "log2 of the LL/SC reservation granule in bytes",
           reset=None),
    )),
    Register("SHM_SIZE", 0x008, "Size of the shared RAM.", (
        _f("BYTES", 0, 32, R, "shared RAM size in bytes", reset=None),
    )),
    Register("RST_CFG", 0x00C, "Agent reset configuration.", (
        _f("AGENT_RST_CYCLES", 0, 8, R, "cycles agent_rst[k] stays high after AGENT_CTRL.RESET",
           reset=None),
    )),
    Register("LLSC_CFG", 0x04C, "LL/SC forward progress (build-time parameters, SPEC 3.3): the "
             "hold window and the most cycles any access waits for its grant because of it.", (
        _f("HOLD_CYCLES", 0, 8, R, "resv_hold_cycles W: an LL's hold lasts at most W cycles "
           "(0: no holds)", reset=None),
        _f("GRANT_WAIT", 16, 12, R, "grant_wait_bound: n_agents - 1 without holds, "
           "(n_agents - 1) * (W + n_agents + 1) + 2 with them", reset=None),
    )),
    Register("WHOAMI", 0x010, "Who is calling: the caller's agent (port) index and privilege.", (
        _f("AGENT", 0, 4, R, "index of the agent that made this read", reset=None),
        _f("PRIV", 8, 1, R, "1 if this read was privileged (AxPROT[0])", reset=None),
    )),
    Register("IRQ_STATUS", 0x014, "Level of every agent's irq output (bit k = irq[k]).", (
        _f("IRQ", 0, 16, R, "irq[k] of every agent", reset=None),
    )),
    Register("CYCLE_LO", 0x018, "Free-running cycle counter, low word. The counter counts clock "
             "cycles since reset and is never written. For a consistent 64-bit value read "
             "CYCLE_HI, CYCLE_LO, CYCLE_HI and retry if the two high words differ (no latch, "
             "so the sequence is safe against preemption between the reads).", (
        _f("COUNT", 0, 32, R, "bits 31:0 of the cycle count", reset=None),
    )),
    Register("CYCLE_HI", 0x01C, "Free-running cycle counter, high word (see CYCLE_LO).", (
        _f("COUNT", 0, 32, R, "bits 63:32 of the cycle count", reset=None),
    )),
    # -- banked interrupt state ------------------------------------------------------------------
    Register("CH_PENDING", 0x020, "Channel doorbells pending at the caller: bit c is set when "
             "the peer endpoint of channel c rings DOORBELL. A doorbell and a W1C of the same bit "
             "in the same cycle: the doorbell wins.", (
        _f("CH", 0, 32, RW1C, "pending doorbell of channel c (bits >= n_channels read 0)"),
    ), banked=True),
    Register("CH_ENABLE", 0x024, "Which channel doorbells raise the caller's irq.", (
        _f("CH", 0, 32, RW, "enable of channel c (bits >= n_channels are not stored)"),
    ), banked=True),
    Register("CH_STATUS", 0x028, "CH_PENDING & CH_ENABLE of the caller.", (
        _f("CH", 0, 32, R, "channel c is pending and enabled", reset=None),
    ), banked=True),
    Register("TX_PENDING", 0x02C, "Transmit observation: bit c is 1 while the caller is an "
             "endpoint of enabled channel c and the channel is still pending at its peer (the "
             "caller's last doorbell on c has not been acknowledged yet: 0 = TX done).", (
        _f("CH", 0, 32, R, "channel c still pending at the caller's peer", reset=None),
    ), banked=True),
    Register("EV_PENDING", 0x030, "Events pending at the caller. An event and a W1C of the same "
             "bit in the same cycle: the event wins.", _event_fields(RW1C, "pending"),
             banked=True),
    Register("EV_ENABLE", 0x034, "Which events raise the caller's irq.",
             _event_fields(RW, "enable"), banked=True),
    Register("EV_STATUS", 0x038, "EV_PENDING & EV_ENABLE of the caller.",
             _event_fields(R, "pending and enabled", reset=None), banked=True),
    # -- banked message-FIFO interrupt state and errors (configurations with FIFOs) -------------
    *_fifo_threshold_registers("TX", 0x050, "Send thresholds reached", "a receive from a "
                               "FIFO of channel c that the caller sends into takes its level "
                               "from SEND + 1 down to SEND", "send threshold of channel c "
                               "reached"),
    *_fifo_threshold_registers("RX", 0x060, "Receive thresholds passed", "a send into a FIFO "
                               "of channel c that the caller receives from takes its level "
                               "from RECV up to RECV + 1", "receive threshold of channel c "
                               "passed"),
    Register("FIFO_ERROR", 0x06C, "Sticky FIFO errors of the caller: bit c is set when the "
             "caller, as the right endpoint of enabled channel c, wrote to a full FIFO or read "
             "from an empty one of the channel (the access got SLVERR, changed nothing and "
             "raised BUS_ERROR).", (
        _f("CH", 0, 32, RW1C, "a FIFO access of channel c was refused as full or empty"),
    ), banked=True, requires="fifo_depth"),
    # -- channel actions -------------------------------------------------------------------------
    Register("DOORBELL", 0x040, "Ring channel CHANNEL: sets its CH_PENDING bit at the other "
             "endpoint (at the caller itself if both endpoints are the caller).", (
        _f("CHANNEL", 0, 5, W, "channel to ring", limit="n_channels"),
    ), check=Check.DOORBELL_ENDPOINT),
    Register("CHANNEL_RESET", 0x044, "Bump the epoch of channel CHANNEL (enabled or not) and "
             "raise PEER_RESET at both its endpoints (once if they are the same agent); its "
             "message FIFOs are flushed (FIFO_STATUS). Used when "
             "the hypervisor restarts a vCPU in software. The write is latched and acts at the "
             "end of the next cycle (the response cycle).", (
        _f("CHANNEL", 0, 5, W, "channel to reset", limit="n_channels"),
    ), priv_write=True),
    Register("WDOG_EXPIRED", 0x048, "Which watchdogs expired since the bit was last cleared.", (
        _f("WDOG", 0, 8, RW1C, "watchdog w expired (bits >= n_watchdogs read 0)"),
    ), priv_write=True),
    # -- per channel -----------------------------------------------------------------------------
    Register("CH_CFG", 0x100, "Channel configuration: its two endpoint agents (may be equal: "
             "single-core SPUMONE) and enable. Readable by anyone.", (
        _f("EP_A", 0, 4, RW, "endpoint A agent index", limit="n_agents"),
        _f("EP_B", 8, 4, RW, "endpoint B agent index", limit="n_agents"),
        _f("ENABLE", 31, 1, RW, "channel enabled: doorbells accepted"),
    ), priv_write=True, array=_CH, stride=4),
    Register("EPOCH", 0x180, "Channel epoch: incremented (wrapping) by CHANNEL_RESET of the "
             "channel and by AGENT_CTRL.RESET of an endpoint while the channel is enabled.", (
        _f("EPOCH", 0, EPOCH_WIDTH, R, "epoch counter"),
    ), array=_CH, stride=4, check=Check.EPOCH_READER),
    # -- per agent -------------------------------------------------------------------------------
    Register("AGENT_CTRL", 0x200, "Guest lifecycle of agent k. A write of RESET=1 is latched "
             "and acts at the end of the next cycle (the response cycle): it clears agent k's "
             "CH_PENDING, CH_ENABLE, EV_PENDING and EV_ENABLE and its FIFO_* pending, enable and "
             "error bits (a set in that same cycle wins), increments the epoch of every enabled "
             "channel k is an endpoint of (flushing its message FIFOs), raises "
             "PEER_RESET at the other endpoint of each (not at k itself) and drives agent_rst[k] "
             "high for AGENT_RST_CYCLES cycles from the cycle after (a new write restarts the "
             "pulse). The LL/SC monitor clears k's reservation from agent_rst[k].", (
        _f("RESET", 0, 1, W, "1: reset agent k"),
        _f("IN_RESET", 1, 1, R, "agent_rst[k] is high"),
    ), priv_write=True, array=_AG, stride=4),
    # -- per watchdog ----------------------------------------------------------------------------
    Register("WDOG_PERIOD", 0x300, "Watchdog period in cycles. Writing it does not touch "
             "WDOG_COUNT: the new period is used from the next reload.", (
        _f("PERIOD", 0, 32, RW, "cycles from a (re)load to expiry; 0 behaves as 1"),
    ), priv_write=True, array=_WD, stride=0x10),
    Register("WDOG_CTRL", 0x304, "Watchdog control. Setting ENABLE while it is 0 loads "
             "WDOG_COUNT with the period; clearing it stops the count where it is (takes effect "
             "at the end of the write's cycle). While enabled the count decrements every cycle; "
             "in a cycle where it is 1 or 0 the watchdog expires: it raises WATCHDOG at "
             "SUPERVISOR, sets WDOG_EXPIRED.w and reloads the period (it keeps running, so an "
             "unattended watchdog expires every period). Expiry comes PERIOD cycles after a "
             "(re)load.", (
        _f("ENABLE", 0, 1, RW, "the watchdog counts"),
        _f("SUPERVISOR", 4, 4, RW, "agent notified on expiry", limit="n_agents"),
        _f("KICK_MASK", 16, 16, RW, "bit k: agent k may kick (bits >= n_agents not stored)"),
    ), priv_write=True, array=_WD, stride=0x10),
    Register("WDOG_COUNT", 0x308, "Cycles left before the watchdog expires.", (
        _f("COUNT", 0, 32, R, "remaining cycles"),
    ), array=_WD, stride=0x10),
    Register("WDOG_KICK", 0x30C, "Kick: any write reloads WDOG_COUNT with the period (enabled or "
             "not). A kick in the very cycle of an expiry does not prevent it.", (
        _f("KICK", 0, 32, W, "any value"),
    ), array=_WD, stride=0x10, check=Check.KICK_PERMITTED),
    # -- per message FIFO (f = 2 * channel + direction) ---------------------------------------
    Register("FIFO_DATA", 0x800, "Message FIFO f: a write sends the word (it is appended), a "
             "read receives the oldest word (it is removed); both act at the end of the access "
             "cycle. FIFO 2c carries channel c's words from endpoint A to B, FIFO 2c+1 from B "
             "to A. AxLOCK is ignored (an exclusive is a plain send or receive, OKAY).", (
        _f("DATA", 0, 32, RW, "the word sent or received", reset=None),
    ), array=_FF, stride=4, check=Check.FIFO_DATA),
    Register("FIFO_STATUS", 0x900, "Message FIFO f's state. CHANNEL_RESET of its channel and "
             "AGENT_CTRL.RESET of an endpoint of its enabled channel flush it where they bump "
             "the epoch: the words left in it are dropped and added to DROPPED (a send or "
             "receive in the cycle the flush acts is performed before it).", (
        _f("LEVEL", 0, FIFO_LEVEL_WIDTH, R, "words in the FIFO"),
        _f("EMPTY", 12, 1, R, "LEVEL is 0", reset=1),
        _f("FULL", 13, 1, R, "LEVEL is fifo_depth"),
        _f("DROPPED", 16, FIFO_DROPPED_WIDTH, R, "words dropped by flushes since reset (wraps)"),
    ), array=_FF, stride=4, check=Check.FIFO_READER),
    Register("FIFO_THRESH", 0xA00, "Message FIFO f's interrupt thresholds (as a Xilinx "
             "mailbox's SIT/RIT). Readable by anyone.", (
        _f("SEND", 0, FIFO_THRESHOLD_WIDTH, RW, "the sender's FIFO_TX_PENDING bit is set when "
           "a receive takes the level down to SEND", limit="fifo_depth"),
        _f("RECV", 8, FIFO_THRESHOLD_WIDTH, RW, "the receiver's FIFO_RX_PENDING bit is set "
           "when a send takes the level above RECV", limit="fifo_depth"),
    ), priv_write=True, array=_FF, stride=4),
    # -- per agent LL/SC monitor status ----------------------------------------------------------
    Register("SC_CAUSE", 0x400, "Cause of agent k's most recent failed store-conditional "
             "(ScFailCause). Readable by anyone. An unsupported exclusive write to shared RAM "
             "(a burst, a narrow or misaligned beat) fails, writes nothing and clears agent k's "
             "reservation as resv_clear does: the next SC then fails as PREEMPTED.", (
        _f("CAUSE", 0, 3, R, "ScFailCause", reset=None),
    ), array=_AG, stride=0x10),
    Register("LL_COUNT", 0x404, "Number of load-linked accesses by agent k (wraps).", (
        _f("COUNT", 0, 32, R, "LL count", reset=None),
    ), array=_AG, stride=0x10),
    Register("SC_OK_COUNT", 0x408, "Number of successful store-conditionals by agent k (wraps).", (
        _f("COUNT", 0, 32, R, "SC success count", reset=None),
    ), array=_AG, stride=0x10),
    Register("SC_FAIL_COUNT", 0x40C, "Number of failed store-conditionals by agent k (wraps); "
             "unsupported exclusive writes are not counted.", (
        _f("COUNT", 0, 32, R, "SC failure count", reset=None),
    ), array=_AG, stride=0x10),
)


class RegisterMap:
    """An ordered, checked collection of :class:`Register`.

    Parameters
    ----------
    registers : iterable of Register

    Raises
    ------
    ValueError
        If the map is inconsistent: duplicate names, overlapping or misaligned registers,
        registers outside the window, fields outside 32 bits or overlapping each other.
    """

    def __init__(self, registers):
        self._registers = tuple(registers)
        self._by_name = {}
        words = {}
        for reg in self._registers:
            if not isinstance(reg, Register):
                raise TypeError(f"registers must be Register objects, not {reg!r}")
            if reg.name in self._by_name:
                raise ValueError(f"duplicate register name {reg.name}")
            self._by_name[reg.name] = reg
            if reg.array is not None:
                if reg.stride < 4 or reg.stride & (reg.stride - 1):
                    raise ValueError(f"{reg.name}: stride must be a power of two from 4")
                # naturally aligned, so that the entry index is a bit slice of the address
                if reg.offset // reg.stride % reg.max_count:
                    raise ValueError(f"{reg.name}: array is not naturally aligned")
            for i in range(reg.max_count):
                addr = reg.address(i)
                if addr % 4 or not 0 <= addr < REG_SIZE:
                    raise ValueError(f"{reg.name}[{i}] at {addr:#x} is misaligned or outside "
                                     f"the window")
                if addr in words:
                    raise ValueError(f"{reg.name}[{i}] overlaps {words[addr]} at {addr:#x}")
                words[addr] = f"{reg.name}[{i}]"
            used, names = 0, set()
            if not reg.fields:
                raise ValueError(f"{reg.name} has no fields")
            for f in reg.fields:
                if f.name in names:
                    raise ValueError(f"{reg.name}: duplicate field {f.name}")
                names.add(f.name)
                if f.width < 1 or f.offset < 0 or f.offset + f.width > 32:
                    raise ValueError(f"{reg.name}.{f.name} does not fit in 32 bits")
                if used & f.mask:
                    raise ValueError(f"{reg.name}.{f.name} overlaps another field")
                used |= f.mask
                if f.reset is not None and not 0 <= f.reset < (1 << f.width):
                    raise ValueError(f"{reg.name}.{f.name}: reset value does not fit")
        self._words = words

    def __iter__(self):
        return iter(self._registers)

    def __len__(self):
        return len(self._registers)

    def __getitem__(self, name):
        return self._by_name[name]

    def __eq__(self, other):
        return isinstance(other, RegisterMap) and self._registers == other._registers

    def __repr__(self):
        return f"RegisterMap({len(self._registers)} registers)"

    @property
    def base(self):
        """Address of the register window."""
        return REG_BASE

    @property
    def window(self):
        """Size of the register window in bytes."""
        return REG_SIZE

    def holes(self, params=None):
        """Byte offsets of the words in the window that are no register: with ``params``, of
        that configuration (array entries beyond the configured counts included); without,
        those that no configuration implements. Every access to a hole is refused (SLVERR)."""
        if params is None:
            used = set(self._words)
        else:
            used = {addr for _, _, addr in self.instances(params)}
        return [offset for offset in range(0, REG_SIZE, 4) if offset not in used]

    def instances(self, params):
        """``(register, index, byte offset)`` of every implemented word in a configuration."""
        if not isinstance(params, IocParams):
            raise TypeError(f"params must be an IocParams, not {params!r}")
        for reg in self._registers:
            for i in range(reg.count(params)):
                yield reg, i, reg.address(i)

    def decode(self, params, offset):
        """The ``(register, index)`` at byte ``offset`` (any byte of the word), or ``None``."""
        for reg, i, addr in self.instances(params):
            if addr == offset & ~3:
                return reg, i
        return None

    def to_dict(self):
        return {"registers": [r.to_dict() for r in self._registers]}

    @classmethod
    def from_dict(cls, d):
        return cls(Register.from_dict(r) for r in d["registers"])


#: The register map of the IOC mailbox + IPI controller.
REGMAP = RegisterMap(_REGISTERS)


def configuration_fields(params):
    """``{register name: {field name: int}}`` of the registers that read the build-time
    configuration (identification and discovery), for the gateware and the reference model."""
    p = params
    return {
        "ID": {"VERSION_MINOR": VERSION_MINOR, "VERSION_MAJOR": VERSION_MAJOR,
               "MAGIC": ID_MAGIC},
        "CONFIG": {"N_AGENTS": p.n_agents, "N_CHANNELS": p.n_channels,
                   "N_WATCHDOGS": p.n_watchdogs, "GRANULE_LOG2": p.granule_log2,
                   "FIFO_DEPTH_LOG2": max(p.fifo_depth.bit_length() - 1, 0)},
        "SHM_SIZE": {"BYTES": p.shm_bytes},
        "RST_CFG": {"AGENT_RST_CYCLES": p.agent_rst_cycles},
        "LLSC_CFG": {"HOLD_CYCLES": p.resv_hold_cycles, "GRANT_WAIT": p.grant_wait_bound},
    }
