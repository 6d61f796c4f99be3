"""AXI4 encodings and the subsystem's bus rules, as plain data and functions.

The gateware (:mod:`rtl.axi`, :mod:`rtl.axi_frontend`), the reference model, the fuzz oracle and
the coverage monitor all take these facts from here. The rule functions use only ``==``, ``&``
and ``|`` on their arguments, so they accept Python integers and Amaranth values alike.
"""

import enum

from .params import DATA_WIDTH, Region

__all__ = ["AxiBurst", "AxiResp", "WORD_BYTES", "WORD_SIZE", "ERROR_RESPONSES",
           "AXI_SIGNALS", "axi_members", "exclusive_supported", "monitor_op", "burst_malformed",
           "burst_last", "burst_error", "write_response", "write_responses"]


class AxiBurst(enum.IntEnum):
    FIXED = 0
    INCR  = 1
    WRAP  = 2


class AxiResp(enum.IntEnum):
    OKAY   = 0
    EXOKAY = 1
    SLVERR = 2
    DECERR = 3


#: Bytes in one data beat (one SH-4A word).
WORD_BYTES = DATA_WIDTH // 8
#: ``AxSIZE`` of a full-width (32-bit) beat: log2 of :data:`WORD_BYTES`.
WORD_SIZE = WORD_BYTES.bit_length() - 1
#: Responses that mean the access was not performed (a CPU takes a bus error).
ERROR_RESPONSES = frozenset((AxiResp.SLVERR, AxiResp.DECERR))


def axi_members(id_width, addr_width, data_width):
    """The AXI4 signals of one port: ``{name: (driven by the manager, width)}``, in the order
    of the specification's channels."""
    strb = data_width // 8
    m, s = True, False
    return {
        # write address channel
        "awid": (m, id_width), "awaddr": (m, addr_width), "awlen": (m, 8),
        "awsize": (m, 3), "awburst": (m, 2), "awlock": (m, 1), "awcache": (m, 4),
        "awprot": (m, 3), "awvalid": (m, 1), "awready": (s, 1),
        # write data channel
        "wdata": (m, data_width), "wstrb": (m, strb), "wlast": (m, 1),
        "wvalid": (m, 1), "wready": (s, 1),
        # write response channel
        "bid": (s, id_width), "bresp": (s, 2), "bvalid": (s, 1), "bready": (m, 1),
        # read address channel
        "arid": (m, id_width), "araddr": (m, addr_width), "arlen": (m, 8),
        "arsize": (m, 3), "arburst": (m, 2), "arlock": (m, 1), "arcache": (m, 4),
        "arprot": (m, 3), "arvalid": (m, 1), "arready": (s, 1),
        # read data channel
        "rid": (s, id_width), "rdata": (s, data_width), "rresp": (s, 2), "rlast": (s, 1),
        "rvalid": (s, 1), "rready": (m, 1),
    }


#: Names of the AXI4 signals every port carries, in declaration order.
AXI_SIGNALS = tuple(axi_members(1, 1, 8))


def exclusive_supported(single, size, addr):
    """Whether an exclusive access to shared RAM is a real LL/SC (SPEC §3.1): a single-beat
    burst (``single``: ``AxLEN == 0``) of one full-width, aligned word. Any other exclusive is
    answered OKAY, sets no reservation and, if a write, writes nothing."""
    return single & (size == WORD_SIZE) & (addr % WORD_BYTES == 0)


def monitor_op(write, lock, excl):
    """What a granted beat to shared RAM is to the LL/SC monitor (SPEC §3.3), from its direction,
    ``AxLOCK`` and ``excl`` (``AxLOCK`` and :func:`exclusive_supported`): the flags ``(ll, sc,
    store, clear)``, at most one set. An LL is a supported exclusive read, an SC a supported
    exclusive write, a store a plain write; an unsupported exclusive write writes nothing and
    clears its agent's reservation (a clear pulse); a read that is no LL leaves the monitor
    alone."""
    read, plain, unsupported = write == 0, lock == 0, excl == 0
    return read & excl, write & excl, write & plain, write & lock & unsupported


def burst_malformed(burst, size):
    """Whether a burst is refused with SLVERR as a whole (SPEC §3.1): a burst type other than
    INCR, or beats wider than the bus. Such a burst is judged by its first beat only: DECERR
    still wins when that beat is unmapped."""
    return (burst != AxiBurst.INCR) | (size > WORD_SIZE)


def burst_last(addr, length, size, burst):
    """The byte address whose region decides, with the first beat's, whether a burst stays in
    one region: an INCR burst's last beat; the first beat itself for a malformed burst (FIXED
    and WRAP stay within an aligned container, and a too-wide beat is refused anyway)."""
    if burst_malformed(burst, size):
        return addr
    return (addr & ~((1 << size) - 1)) + (length << size)


def burst_error(first_region, last_region, burst, size):
    """The error response a burst gets as a whole, or ``None`` if its beats are performed:
    DECERR if its first beat is unmapped or it leaves that beat's region (see
    :func:`burst_last`), else SLVERR if it is :func:`burst_malformed`."""
    if first_region == Region.NONE or last_region != first_region:
        return AxiResp.DECERR
    if burst_malformed(burst, size):
        return AxiResp.SLVERR
    return None


def write_response(beats):
    """The B response of a performed write burst whose beats were answered ``beats``, in
    order: the first error among them, else the last beat's answer (SPEC §3.1)."""
    if not beats:
        raise ValueError("a write burst has at least one beat")
    return next((resp for resp in beats if resp in ERROR_RESPONSES), beats[-1])


def write_responses(beats):
    """Every B response :func:`write_response` can give when beat i may be answered with any
    response of the set ``beats[i]`` (a fold over the possible first errors, so a long burst
    costs no more than its length)."""
    if not beats:
        raise ValueError("a write burst has at least one beat")
    # the possible (first error so far, last answer); the last matters only while no error
    states = {(None, None)}
    for allowed in beats:
        states = {(error, None) if error is not None else
                  (resp, None) if resp in ERROR_RESPONSES else (None, resp)
                  for error, _ in states for resp in allowed}
    return {error if error is not None else last for error, last in states}
