"""AXI4 interface definitions shared by the front end, the subsystem top and the tests."""

import enum

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .params import ADDR_WIDTH, DATA_WIDTH

__all__ = ["AxiBurst", "AxiResp", "AxiSignature", "AXI_SIGNALS"]


class AxiBurst(enum.IntEnum):
    FIXED = 0
    INCR  = 1
    WRAP  = 2


class AxiResp(enum.IntEnum):
    OKAY   = 0
    EXOKAY = 1
    SLVERR = 2
    DECERR = 3


def _members(id_width, addr_width, data_width):
    strb = data_width // 8
    return {
        # write address channel
        "awid": (Out, id_width), "awaddr": (Out, addr_width), "awlen": (Out, 8),
        "awsize": (Out, 3), "awburst": (Out, 2), "awlock": (Out, 1), "awcache": (Out, 4),
        "awprot": (Out, 3), "awvalid": (Out, 1), "awready": (In, 1),
        # write data channel
        "wdata": (Out, data_width), "wstrb": (Out, strb), "wlast": (Out, 1),
        "wvalid": (Out, 1), "wready": (In, 1),
        # write response channel
        "bid": (In, id_width), "bresp": (In, 2), "bvalid": (In, 1), "bready": (Out, 1),
        # read address channel
        "arid": (Out, id_width), "araddr": (Out, addr_width), "arlen": (Out, 8),
        "arsize": (Out, 3), "arburst": (Out, 2), "arlock": (Out, 1), "arcache": (Out, 4),
        "arprot": (Out, 3), "arvalid": (Out, 1), "arready": (In, 1),
        # read data channel
        "rid": (In, id_width), "rdata": (In, data_width), "rresp": (In, 2), "rlast": (In, 1),
        "rvalid": (In, 1), "rready": (Out, 1),
    }


#: Names of the AXI4 signals every port carries, in declaration order.
AXI_SIGNALS = tuple(_members(1, 1, 8))


class AxiSignature(wiring.Signature):
    """An AXI4 (full) interface, from the manager's point of view.

    Member names are the standard AXI signal names in lower case (``awvalid``, ``rdata``, ...),
    so a port flattened as ``s<k>_axi_<name>`` binds to any standard AXI manager model by prefix.
    ``AxLOCK`` is one bit (AXI4: normal/exclusive); QoS, region and user signals are absent.

    Parameters
    ----------
    id_width : int
        Width of ``AxID``/``xID``.
    addr_width : int
        Width of ``AxADDR``.
    data_width : int
        Width of ``xDATA``; a multiple of 8.
    """

    def __init__(self, *, id_width, addr_width=ADDR_WIDTH, data_width=DATA_WIDTH):
        self._id_width, self._addr_width, self._data_width = id_width, addr_width, data_width
        super().__init__({name: flow(width)
                          for name, (flow, width) in
                          _members(id_width, addr_width, data_width).items()})

    @property
    def id_width(self):
        return self._id_width

    @property
    def addr_width(self):
        return self._addr_width

    @property
    def data_width(self):
        return self._data_width

    def __eq__(self, other):
        return (isinstance(other, AxiSignature) and
                (self.id_width, self.addr_width, self.data_width) ==
                (other.id_width, other.addr_width, other.data_width))

    def __repr__(self):
        return (f"AxiSignature(id_width={self.id_width}, addr_width={self.addr_width}, "
                f"data_width={self.data_width})")
