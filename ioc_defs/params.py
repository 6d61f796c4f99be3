"""Parameters and address map of the IOC subsystem: the one source of truth for both.

Everything that needs a parameter or an address (the gateware, ``sw_model``, ``cosim``, the
FPGA flow) takes it from here.  This module is pure Python so that software models can import
it without pulling in the HDL.
"""

import enum
from dataclasses import dataclass

__all__ = [
    "DATA_WIDTH", "ADDR_WIDTH", "SHM_BASE", "REG_BASE", "REG_SIZE", "TOP_NAME",
    "Region", "ScFailCause", "IocParams", "PROGRESS_WINDOW", "DEFAULT_WINDOW",
]

#: Name of the subsystem's top-level module in the generated Verilog.
TOP_NAME = "ioc_subsystem"

#: Data bus width in bits (SH-4A is a 32-bit machine).
DATA_WIDTH = 32
#: AXI address width in bits.
ADDR_WIDTH = 32
#: Base address of the shared RAM; it spans ``[SHM_BASE, SHM_BASE + shm_bytes)``.
SHM_BASE = 0x0000_0000
#: Base address of the register block (IOC mailbox + IPI controller + monitor status).
REG_BASE = 0x0001_0000
#: Size of the register window in bytes.
REG_SIZE = 0x1000
#: The LL/SC forward-progress window (``resv_hold_cycles``) of the SoC, the bench and the
#: 4-agent regression configuration: with 2 agents it covers an SC issued up to 25 cycles
#: after its LL's answer (W - n - 5; README "Forward progress").
PROGRESS_WINDOW = 32
#: The default window (``IocParams().resv_hold_cycles``): on, and small enough for the default
#: configuration to keep the ECP5 floor; with 2 agents it covers an SC issued up to 9 cycles
#: after its LL's answer.
DEFAULT_WINDOW = 16


class Region(enum.IntEnum):
    """Which target an address decodes to."""
    NONE = 0  # unmapped: DECERR
    SHM  = 1  # shared RAM
    REG  = 2  # register block


def _check_int(name, value, *, minimum=1, maximum=None):
    what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be {what}, not {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be {what}, not {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, not {value!r}")


@dataclass(frozen=True)
class IocParams:
    """Configuration of one IOC subsystem instance.

    Parameters
    ----------
    n_agents : int
        Number of agents (CPU cores), one AXI4 slave port each. 1 to 16.
    n_channels : int
        Number of IOC channels (mailbox doorbells and descriptor-table entries). 1 to 32.
    shm_bytes : int
        Size of the shared RAM in bytes: a power of two from 64 to ``REG_BASE``.
    granule_log2 : int
        log2 of the reservation granule in bytes: 2 (one 32-bit word) up to ``log2(shm_bytes)``.
    id_width : int
        AXI ID width of every port, 1 to 16.
    n_watchdogs : int
        Number of watchdog timers in the register block, 0 to 8.
    agent_rst_cycles : int
        How many cycles ``agent_rst[k]`` stays high after a guest reset request, 1 to 255.
    resv_hold_cycles : int
        LL/SC forward-progress window, 0 (off) to 255: for this many cycles after an LL that
        is granted a *hold*, other agents' writes to its granule wait, so that the agent's SC
        within the window succeeds (SPEC §3.3, README "Forward progress"). 0 gives the plain
        monitor, under which an agent can fail every SC. The default, :data:`DEFAULT_WINDOW`,
        is on; it is below :data:`PROGRESS_WINDOW` because with that the default
        configuration misses the ECP5 floor (README "Forward progress").
    fifo_depth : int
        Depth in 32-bit words of each hardware message FIFO (one per channel and direction,
        SPEC 3.5): 0 (no FIFOs, the default: the default configuration keeps its area and
        Fmax) or a power of two from 2 to 256.

    Raises
    ------
    TypeError
        If a parameter is not an integer.
    ValueError
        If a parameter is out of range.
    """
    n_agents: int = 2
    n_channels: int = 8
    shm_bytes: int = 4096
    granule_log2: int = 2
    id_width: int = 4
    n_watchdogs: int = 2
    agent_rst_cycles: int = 16
    resv_hold_cycles: int = DEFAULT_WINDOW
    fifo_depth: int = 0

    def __post_init__(self):
        _check_int("n_agents", self.n_agents, maximum=16)
        _check_int("n_channels", self.n_channels, maximum=32)
        _check_int("shm_bytes", self.shm_bytes, maximum=REG_BASE)
        if self.shm_bytes & (self.shm_bytes - 1) or self.shm_bytes < 64:
            raise ValueError(f"shm_bytes must be a power of two from 64 to {REG_BASE:#x}, "
                             f"not {self.shm_bytes!r}")
        _check_int("granule_log2", self.granule_log2, minimum=2,
                      maximum=self.shm_bytes.bit_length() - 1)
        _check_int("id_width", self.id_width, maximum=16)
        _check_int("n_watchdogs", self.n_watchdogs, minimum=0, maximum=8)
        _check_int("agent_rst_cycles", self.agent_rst_cycles, maximum=255)
        _check_int("resv_hold_cycles", self.resv_hold_cycles, minimum=0, maximum=255)
        _check_int("fifo_depth", self.fifo_depth, minimum=0, maximum=256)
        if self.fifo_depth & (self.fifo_depth - 1) or self.fifo_depth == 1:
            raise ValueError(f"fifo_depth must be 0 or a power of two from 2 to 256, "
                             f"not {self.fifo_depth!r}")

    @property
    def shm_words(self):
        """Depth of the shared RAM in 32-bit words."""
        return self.shm_bytes // (DATA_WIDTH // 8)

    @property
    def n_fifos(self):
        """Number of hardware message FIFOs: two per channel (A to B, B to A), or none."""
        return 2 * self.n_channels if self.fifo_depth else 0

    @property
    def agent_bits(self):
        """Width of an agent index (at least 1)."""
        return max(1, (self.n_agents - 1).bit_length())

    @property
    def grant_wait_bound(self):
        """Most cycles a request waits for its grant (SPEC §3.2): ``n_agents - 1`` of
        round-robin arbitration; with forward-progress holds, a write to a held granule waits
        for up to ``n_agents - 1`` holds (the one it met, then one of each agent that wanted a
        hold before it began to wait; each the LL's cycle and the window) and the arbitration
        around them (proven, and reached by a cover, by the ``ll_sc_holds`` proof groups for 2
        and 3 agents)."""
        n, window = self.n_agents, self.resv_hold_cycles
        return n - 1 if window == 0 else (n - 1) * (window + n + 1) + 2

    def region(self, addr):
        """Decode a byte address to a :class:`Region` (the software view of the RTL decoder)."""
        if SHM_BASE <= addr < SHM_BASE + self.shm_bytes:
            return Region.SHM
        if REG_BASE <= addr < REG_BASE + REG_SIZE:
            return Region.REG
        return Region.NONE

    def name(self):
        """A short, file-name-safe tag for build directories."""
        return (f"a{self.n_agents}c{self.n_channels}m{self.shm_bytes}g{self.granule_log2}"
                f"i{self.id_width}w{self.n_watchdogs}"
                + (f"h{self.resv_hold_cycles}" if self.resv_hold_cycles else "")
                + (f"f{self.fifo_depth}" if self.fifo_depth else ""))


class ScFailCause(enum.IntEnum):
    """Why an agent's last store-conditional (``movco.l`` / exclusive write) failed."""
    NONE             = 0  # no SC has failed since reset
    NO_RESERVATION   = 1  # no LL since the last SC (or since reset)
    ADDRESS_MISMATCH = 2  # the reservation is on another granule
    CONFLICT         = 3  # another agent wrote the reserved granule
    PREEMPTED        = 4  # resv_clear (interrupt/exception/vCPU switch), agent reset, or an
    #                       unsupported exclusive write (burst, narrow, misaligned) by the agent
