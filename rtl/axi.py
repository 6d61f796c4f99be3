"""The AXI4 interface signature of the front end, the subsystem top and the FPGA bridge.

The signals and their encodings are layer-0 facts (:mod:`ioc_defs.axi`); this module only turns
the signal table into an Amaranth :class:`~amaranth.lib.wiring.Signature`.
"""

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ioc_defs.axi import axi_members
from ioc_defs.params import ADDR_WIDTH, DATA_WIDTH

__all__ = ["AxiSignature"]


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
        super().__init__({name: (Out if manager else In)(width)
                          for name, (manager, width) in
                          axi_members(id_width, addr_width, data_width).items()})

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
