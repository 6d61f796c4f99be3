"""The link of a cocotb testbench: one agent's :class:`sw_model.link.Link` onto the RTL.

:class:`CocotbLink` performs each read or write as a transaction of the agent's cocotbext-axi
master. Guest code reaches it through :class:`sw_model.link.BusCpuPort` (every agent at once,
meeting at the RTL's arbiter, as CPUs do) or through :class:`sw_model.sched.Runner` on a
:class:`testbench.live.RtlSystem` (one operation at a time system-wide, to replay or choose
interleavings). :class:`testbench.amaranth_link.AmaranthLink` is the same link on amaranth's
simulator, :class:`host.link.BridgeLink` on the board.
"""

from cocotb.triggers import RisingEdge

from ioc_defs.axi import ERROR_RESPONSES
from ioc_defs.axi import AxiResp as Resp
from testbench.tb import EXCL, PRIV

__all__ = ["CocotbLink"]


class CocotbLink:
    """The link of agent ``agent`` of a cocotb testbench ``tb``.

    Members
    -------
    transactions : int
        AXI transactions performed.
    """

    def __init__(self, tb, agent):
        self.tb, self.agent = tb, agent
        self._master = tb.masters[agent]
        self.transactions = 0

    @property
    def now(self):
        return self.tb.cycle

    async def read(self, addr, *, excl=False, priv=False):
        r = await self._master.read(addr, 4, arid=self.agent, prot=PRIV if priv else 0,
                                    lock=EXCL if excl else 0)
        self.transactions += 1
        return int.from_bytes(r.data, "little"), Resp(int(r.resp))

    async def write(self, addr, word, strb=0xF, *, excl=False, priv=False):
        """One write per run of contiguous enabled byte lanes (an AXI manager model writes byte
        ranges; a full-word store is one transaction). Stops at the first error response and
        returns it, else the last response."""
        data = (word & 0xFFFF_FFFF).to_bytes(4, "little")
        prot, lock = PRIV if priv else 0, EXCL if excl else 0
        resp, lane = Resp.OKAY, 0
        while lane < 4:
            if not strb >> lane & 1:
                lane += 1
                continue
            end = lane
            while end < 4 and strb >> end & 1:
                end += 1
            r = await self._master.write(addr + lane, data[lane:end], awid=self.agent, prot=prot,
                                         lock=lock)
            self.transactions += 1
            resp = Resp(int(r.resp))
            if resp in ERROR_RESPONSES:
                break
            lane = end
        return resp

    async def tick(self, n=1):
        for _ in range(n):
            await RisingEdge(self.tb.dut.clk)

    async def clear(self):
        await self.tb.resv_clear(self.agent)

    def irq(self):
        return bool(int(self.tb.dut.irq.value) >> self.agent & 1)
