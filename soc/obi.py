"""The OBI (Open Bus Interface) data port of the CV32E40X, as an Amaranth signature."""

import enum

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Atop", "ObiSignature"]


class Atop(enum.IntEnum):
    """``data_atop_o`` of the RV32A instructions that have a meaning on AXI4 (exclusive access).

    Bit 5 marks an atomic operation; the low bits are the AMO ``funct5``.
    """

    NONE = 0x00
    LR = 0x22
    SC = 0x23


class ObiSignature(wiring.Signature):
    """An OBI 1.2 data port (32-bit), from the manager's (the core's) point of view.

    Members
    -------
    req, gnt : Out(1), In(1)
        Address phase: the request (``addr``, ``we``, ``be``, ``wdata``, ``atop``, ``prot``) is
        transferred in a cycle with both high.
    rvalid, rdata, err, exokay : In(1), In(32), In(1), In(1)
        Response phase: one response per granted request, in order, ``rvalid`` high for one
        cycle at least one cycle after its grant.
    """

    def __init__(self):
        super().__init__({
            "req": Out(1), "gnt": In(1), "addr": Out(32), "we": Out(1), "be": Out(4),
            "wdata": Out(32), "atop": Out(6), "prot": Out(3),
            "rvalid": In(1), "rdata": In(32), "err": In(1), "exokay": In(1),
        })

    def __repr__(self):
        return "ObiSignature()"
