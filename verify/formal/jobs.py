"""The proof jobs: which DUT, which properties, which parameters, depths and seeded bugs.

Parameters are deliberately small (the properties are written for any configuration; the
proofs are of these ones), and stated in the report.
"""

import functools
from dataclasses import dataclass

from ioc_defs.params import IocParams

from . import arbiter, axi, llsc, mailbox, msgfifo, progress, subsystem
from .core import FormalTop

__all__ = ["Group", "GROUPS", "group"]


@dataclass(frozen=True)
class Group:
    """A property module on one DUT configuration, with the runs that establish it.

    ``prove_depth`` is the k of the k-induction (also the depth of its base case, so a seeded
    bug must show within it), or the bound of a bounded proof (``mode="bmc"``: every trace of
    that many cycles); ``cover_depth`` the bound of the cover search. A proof that takes
    minutes has ``prove_in_ci`` False: ``make formal`` runs it, ``make test``
    (``tests/test_formal.py``) runs only the group's cover and seeded bugs.
    """
    name: str
    what: str
    params: IocParams
    properties: object          # (dut, probe) -> property module
    make_dut: object            # (params, bug=None) -> DUT
    bugs: tuple                 # seeded bugs this group's proof must catch
    prove_depth: int
    cover_depth: int
    shown: tuple = ("n_agents", "shm_bytes", "granule_log2")   # parameters that matter here
    mode: str = "prove"         # "prove" (k-induction) or "bmc" (bounded)
    prove_in_ci: bool = True    # ``make test`` runs the proof too (False: ``make formal`` only)

    def top(self, bug=None):
        return FormalTop(self.make_dut(self.params, bug), self.properties)

    def describe_params(self):
        return ", ".join(f"{k}={getattr(self.params, k)}" for k in self.shown)


# the plain monitor's rules (no holds: they are the ll_sc_holds groups')
_LLSC2 = IocParams(n_agents=2, shm_bytes=64, granule_log2=2, resv_hold_cycles=0)
_LLSC3 = IocParams(n_agents=3, shm_bytes=64, granule_log2=3, resv_hold_cycles=0)
_MBOX = IocParams(n_agents=2, n_channels=2, shm_bytes=64, n_watchdogs=1, agent_rst_cycles=2)
_MBOX3 = IocParams(n_agents=3, n_channels=3, shm_bytes=64, n_watchdogs=1, agent_rst_cycles=2)
# with a window, so that the front end flags the writes the holds withhold (shm_write)
_AXI = IocParams(n_agents=2, shm_bytes=64, id_width=2, resv_hold_cycles=1)
_ARB2 = IocParams(n_agents=2)
_ARB3 = IocParams(n_agents=3)
_TOP = IocParams(n_agents=2, n_channels=2, shm_bytes=64, n_watchdogs=1, agent_rst_cycles=2,
                 id_width=1, resv_hold_cycles=2)
_HOLD2 = IocParams(n_agents=2, shm_bytes=64, granule_log2=4, resv_hold_cycles=4)
_HOLD3 = IocParams(n_agents=3, shm_bytes=64, granule_log2=4, resv_hold_cycles=5)
# 2 agents in loops up to 3 idle cycles apart (W - n - 1)
_PROG2 = IocParams(n_agents=2, shm_bytes=64, granule_log2=4, resv_hold_cycles=6)
_HOLD_SHOWN = ("n_agents", "shm_bytes", "granule_log2", "resv_hold_cycles")
_MBOX_SHOWN = ("n_agents", "n_channels", "n_watchdogs", "agent_rst_cycles")
_FIFO = IocParams(n_agents=2, n_channels=1, shm_bytes=64, n_watchdogs=0, agent_rst_cycles=2,
                  fifo_depth=2)
_FIFO_SHOWN = ("n_agents", "n_channels", "fifo_depth")
_AXI_SHOWN = ("id_width", "shm_bytes", "resv_hold_cycles")

GROUPS = (
    Group("ll_sc_monitor", "LL/SC monitor: ghost proof (SC succeeds iff LL and nothing since) "
          "and every rule of SPEC 3.3", _LLSC2, llsc.LlScProperties, llsc.make_dut,
          tuple(llsc.BUGS), prove_depth=4, cover_depth=12),
    Group("ll_sc_monitor_3agents", "LL/SC monitor, 3 agents, 8-byte granule", _LLSC3,
          llsc.LlScProperties, llsc.make_dut, ("store_does_not_conflict",),
          prove_depth=4, cover_depth=12),
    Group("ll_sc_holds", "LL/SC forward-progress holds with the arbiter (free agents, any "
          "clears): every request granted within grant_wait_bound cycles; one holder per "
          "granule; no write to a held granule granted", _HOLD2, progress.HoldProperties,
          progress.make_dut, ("hold_never_released", "hold_renewed_unfairly"),
          prove_depth=12, cover_depth=16, shown=_HOLD_SHOWN),
    Group("ll_sc_holds_3agents", "LL/SC forward-progress holds, 3 agents", _HOLD3,
          progress.HoldProperties, progress.make_dut, ("hold_never_released",),
          prove_depth=24, cover_depth=28, shown=_HOLD_SHOWN),
    Group("ll_sc_progress", "LL/SC forward progress: agents in LL->SC loops with gaps the "
          "window covers never fail more than n-1 SCs in a row", _PROG2,
          progress.ProgressProperties,
          progress.make_dut, ("hold_renewed_unfairly", "holds_off"),
          prove_depth=30, cover_depth=16, shown=_HOLD_SHOWN),
    Group("ll_sc_progress_3agents", "LL/SC forward progress, 3 agents: never more than n-1 "
          "failed SCs in a row", _HOLD3, progress.ProgressProperties, progress.make_dut,
          ("waiting_write_refuses_oldest",), prove_depth=36, cover_depth=20,
          shown=_HOLD_SHOWN, prove_in_ci=False),
    Group("subsystem", "Top level around the monitor: LL/SC/store fed as SPEC 3.1 says, "
          "clear = resv_clear | agent_rst | unsupported exclusive write, a failed SC writes "
          "nothing and gets OKAY", _TOP,
          subsystem.SubsystemProperties, subsystem.make_dut, tuple(subsystem.BUGS),
          prove_depth=10, cover_depth=14, shown=("n_agents", "n_channels", "shm_bytes")),
    Group("arbiter", "Round-robin arbiter: one-hot grants to requesters, work conserving, a "
          "held request waits at most n-1 cycles (the AXI bounded-response assumption)", _ARB2,
          arbiter.ArbiterProperties, arbiter.make_dut, tuple(arbiter.BUGS),
          prove_depth=4, cover_depth=8, shown=("n_agents",)),
    Group("arbiter_3agents", "Round-robin arbiter, 3 agents (index register not full)", _ARB3,
          arbiter.ArbiterProperties, arbiter.make_dut, tuple(arbiter.BUGS),
          prove_depth=4, cover_depth=8, shown=("n_agents",)),
    Group("ioc_mailbox", "IPI controller: no lost doorbell, irq = OR(status), W1C, privilege "
          "and endpoint checks, exact watchdog expiry, CHANNEL_RESET raises PEER_RESET, every "
          "register word's answer (refusal, read data, stored fields) from the map",
          _MBOX, mailbox.MailboxProperties, mailbox.make_dut,
          tuple(mailbox.BUGS), prove_depth=6, cover_depth=9, shown=_MBOX_SHOWN),
    Group("ioc_mailbox_3agents", "IPI controller, 3 agents, 3 channels", _MBOX3,
          mailbox.MailboxProperties, mailbox.make_dut, ("doorbell_from_anyone",),
          prove_depth=6, cover_depth=9, shown=_MBOX_SHOWN),
    Group("msg_fifo", "Message FIFOs against a bus-level ghost: level = sent - received - "
          "dropped, exact DROPPED, empty/full, OKAY exactly for accepted sends and receives "
          "(refused ones change nothing), sticky errors and thresholds exact, irq = OR(status)",
          _FIFO, msgfifo.FifoProperties, msgfifo.make_dut,
          ("receive_keeps_word", "send_when_full", "flush_not_counted",
           "agent_reset_keeps_words", "send_threshold_late", "error_on_any_refusal"),
          prove_depth=10, cover_depth=10, shown=_FIFO_SHOWN),
    Group("msg_fifo_data", "Message FIFO words: a followed word is received once, in its "
          "place, intact, unless a flush dropped it (bounded: the words are in block RAM)",
          _FIFO, msgfifo.FifoDataProperties, msgfifo.make_dut,
          ("no_read_forwarding", "receive_keeps_word"), prove_depth=14, cover_depth=14,
          shown=_FIFO_SHOWN, mode="bmc"),
    Group("axi_frontend", "AXI front end: one answer per request, in order, right ID/LAST; "
          "handshake rules; each beat's address, size, exclusive flag and region; reads and "
          "writes alternate", _AXI,
          axi.AxiFrontEndProperties, axi.make_dut,
          ("b_payload_changes", "r_data_not_held", "early_rlast", "b_before_last_w",
           "exclusive_burst_is_llsc", "narrow_steps_by_word", "writes_always_first"),
          prove_depth=8, cover_depth=16, shown=_AXI_SHOWN),
    Group("axi_frontend_bounded", "AXI front end, grant within n_agents-1 cycles (the "
          "round-robin bound): VALID within a bound whatever READY does", _AXI,
          functools.partial(axi.AxiFrontEndProperties, grant_wait=_AXI.n_agents - 1),
          axi.make_dut, ("rvalid_waits_for_rready",), prove_depth=14, cover_depth=18,
          shown=_AXI_SHOWN, prove_in_ci=False),
)


def group(name):
    for g in GROUPS:
        if g.name == name:
            return g
    raise KeyError(f"no proof group {name!r}; known: {', '.join(g.name for g in GROUPS)}")
