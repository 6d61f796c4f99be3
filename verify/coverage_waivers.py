"""Coverage holes that are waived, each with the reason it cannot (or need not) be hit.

A waiver names a cover item of :mod:`testbench.covergroups` and an ``fnmatch`` pattern on its bin
labels (cross bins read ``"<op> x <resp> x <agent> x <contention>"``,
``"<register> x <access> x <privilege>"``). ``make coverage`` lists every waived hole with its
reason, fails on a hole no waiver explains, and reports a waiver whose bins were hit anyway
(the waiver is then wrong and must go).
"""

from dataclasses import dataclass

__all__ = ["Waiver", "WAIVERS"]


@dataclass(frozen=True)
class Waiver:
    item: str
    bins: str
    reason: str


_TXN = "ioc.txn.cross"
_AXI = "ioc.axi.cross"

WAIVERS = (
    Waiver(_TXN, "read* x EXOKAY x *",
           "EXOKAY answers only an exclusive access (SPEC §3.1, checked by the AXI checker)."),
    Waiver(_TXN, "write* x EXOKAY x *",
           "EXOKAY answers only an exclusive access (SPEC §3.1, checked by the AXI checker)."),
    Waiver(_TXN, "*-burst x EXOKAY x *",
           "An exclusive burst is an unsupported exclusive: it fails (OKAY), never EXOKAY "
           "(SPEC §3.1)."),
    Waiver(_TXN, "* x DECERR x * x contended",
           "DECERR is decided by the front end when the address is accepted; such a "
           "transaction never requests the shared access slot, so it cannot contend for it."),
    Waiver(_AXI, "wider x *",
           "cocotbext-axi's AxiMaster refuses an AxSIZE wider than the 32-bit bus, so no cosim "
           "test can issue one; the front end's SLVERR for it is tested at unit level "
           "(tests/test_axi_frontend.py::test_error_bursts_never_reach_the_slot, 64-bit beats)."),
)
