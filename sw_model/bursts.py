"""How an AXI burst on a port's address channel is served (SPEC §3.1), decoded from the pins.

The reference for what a front end must make of a burst: refused as a whole (DECERR: a beat
outside the address map or the burst leaving its region; SLVERR: a burst type other than INCR,
or ``AxSIZE`` wider than the bus), or split into beats for the shared access slot, each with
its address, region and whether it has the supported exclusive form (a single aligned 32-bit
beat with AxLOCK: an LL/SC in shared RAM; the register window ignores AxLOCK; an exclusive
burst or narrow beat is no LL/SC anywhere). The rules are those of :mod:`ioc_defs.axi`; the
bad-input fuzz oracle and the scoreboard's pin-level prediction use this decoding.
"""

from dataclasses import dataclass

from ioc_defs.axi import burst_error, burst_last, exclusive_supported
from ioc_defs.params import IocParams, Region

__all__ = ["Beat", "beat_addresses", "decode_burst"]


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


def decode_burst(params, *, write, addr, length, size, burst, lock, prot):
    """``(error, beats)``: the error that answers every beat of a refused burst
    (``AxiResp.DECERR`` / ``SLVERR``, :func:`ioc_defs.axi.burst_error`), or ``None`` and the
    list of :class:`Beat` an accepted one is performed as."""
    if not isinstance(params, IocParams):
        raise TypeError(f"params must be an IocParams, not {params!r}")
    region = params.region(addr)
    error = burst_error(region, params.region(burst_last(addr, length, size, burst)), burst,
                        size)
    if error is not None:
        return error, []
    excl = bool(lock) and bool(exclusive_supported(length == 0, size, addr))
    return None, [Beat(a, region, bool(write), size, bool(lock), excl, bool(prot & 1))
                  for a in beat_addresses(addr, length, size)]
