"""How an AXI burst on a port's address channel is served (SPEC §3.1), decoded from the pins.

The reference for what a front end must make of a burst: refused as a whole (DECERR: a beat
outside the address map or the burst leaving its region; SLVERR: a burst type other than INCR,
or ``AxSIZE`` wider than the bus), or split into beats for the shared access slot, each with
its address, region and whether it has the supported exclusive form (a single aligned 32-bit
beat with AxLOCK: an LL/SC in shared RAM; the register window ignores AxLOCK; an exclusive
burst or narrow beat is no LL/SC anywhere). Written from the SPEC, not from
the RTL: the bad-input fuzz oracle and the scoreboard's pin-level prediction use it.
"""

from dataclasses import dataclass

from rtl.axi import AxiBurst, AxiResp
from rtl.params import IocParams, Region

__all__ = ["Beat", "burst_region", "beat_addresses", "decode_burst"]

_WORD = 2  # AxSIZE of a 32-bit beat


@dataclass(frozen=True)
class Beat:
    """One beat of an accepted burst, as the shared access slot must see it."""
    addr: int
    region: Region
    write: bool
    size: int
    lock: bool
    excl: bool
    priv: bool


def beat_addresses(addr, length, size):
    """Byte address of each of the ``length + 1`` beats of an INCR burst (AXI: the first at
    ``addr``, the next ones aligned to ``2**size``)."""
    n = 1 << size
    aligned = addr & ~(n - 1)
    return [addr] + [aligned + n * i for i in range(1, length + 1)]


def burst_region(params, addr, length, size, burst):
    """The region every beat of the burst lies in, or ``Region.NONE`` (DECERR). A burst wider
    than the bus, and a FIXED or WRAP burst (every beat at its address, or within an aligned
    container no larger than a region's alignment) are judged by their first beat; an INCR
    burst by its first and last beats."""
    first = params.region(addr)
    if size > _WORD or burst != AxiBurst.INCR:
        return first
    last = (addr & ~((1 << size) - 1)) + (length << size)
    return first if params.region(last) == first else Region.NONE


def decode_burst(params, *, write, addr, length, size, burst, lock, prot):
    """``(error, beats)``: the error that answers every beat of a refused burst
    (``AxiResp.DECERR`` / ``SLVERR``), or ``None`` and the list of :class:`Beat` an accepted one
    is performed as."""
    if not isinstance(params, IocParams):
        raise TypeError(f"params must be an IocParams, not {params!r}")
    region = burst_region(params, addr, length, size, burst)
    if region == Region.NONE:
        return AxiResp.DECERR, []
    if burst != AxiBurst.INCR or size > _WORD:
        return AxiResp.SLVERR, []
    excl = bool(lock) and length == 0 and size == _WORD and addr % 4 == 0
    return None, [Beat(a, region, bool(write), size, bool(lock), excl, bool(prot & 1))
                  for a in beat_addresses(addr, length, size)]
