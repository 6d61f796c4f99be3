"""The byte protocol of the UART-to-AXI4 bridge: the constants both ends share.

The protocol is documented in :mod:`rtl.fpga.uart_axi` (the gateware end); the host end is
:mod:`host.bridge`.
"""

import enum

__all__ = ["REQ_SYNC", "REPLY_SYNC", "BridgeOp", "BridgeStatus"]

#: First byte of every request.
REQ_SYNC = 0xA5
#: First byte of every reply.
REPLY_SYNC = 0x5A


class BridgeOp(enum.IntEnum):
    """The OP field of a request (bits 1:0)."""
    READ = 0
    WRITE = 1
    CLEAR = 2


class BridgeStatus(enum.IntEnum):
    """Second byte of every reply."""
    OK = 0          # performed; the AXI response is in the rest of the reply
    ABORTED = 1     # write data cut off; the missing beats were sent with WSTRB = 0
    BAD_HEADER = 2  # invalid OP, a reserved bit set, or ID too wide; nothing was done
    BAD_AGENT = 3   # no such agent port; nothing was done
    TRUNCATED = 4   # framing error or timeout inside the header; nothing was done
