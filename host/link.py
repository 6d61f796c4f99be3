"""The board as a backend: one :class:`sw_model.link.Link` per agent over the UART bridge.

:class:`BridgeLink` performs each read and write of its agent as one bridge request (exclusive
for ``movli``/``movco``, ``AxPROT[0]`` for privileged ports, the byte strobes as WSTRB), so the
guest, hypervisor and protocol code of ``sw_model`` runs on the board through
:class:`sw_model.link.BusCpuPort` exactly as it runs on the reference model and the RTL::

    with SerialTransport("/dev/ttyUSB1") as serial:
        client = BridgeClient(serial)
        producer = BusCpuPort(BridgeLink(client, agent=0))
        await VARIANTS["lockfree"].enqueue(producer, ring, words)

Time on the board is the hardware's: :meth:`BridgeLink.tick` waits until the register block's
free-running cycle counter has advanced, and :attr:`~BridgeLink.now` and
:meth:`~BridgeLink.irq` are what the last :meth:`~BridgeLink.sync` (done by every tick) read
from ``CYCLE_LO`` and ``IRQ_STATUS``. The bridge carries one request at a time: the agents'
code takes turns on the serial line, and meets at the subsystem's arbiter in that order.
"""

from ioc_defs.params import REG_BASE
from ioc_defs.regmap import REGMAP

__all__ = ["BridgeLink"]

_CYCLE_LO = REG_BASE + REGMAP["CYCLE_LO"].address()
_IRQ_STATUS = REG_BASE + REGMAP["IRQ_STATUS"].address()
_CYCLE_MASK = REGMAP["CYCLE_LO"].field("COUNT").mask


class BridgeLink:
    """The link of agent ``agent`` on a board driven through ``client``.

    Parameters
    ----------
    client : host.bridge.BridgeClient
        The bridge client (on a :class:`~host.bridge.SerialTransport` or, in simulation, a
        :class:`~host.bridge.SimTransport`).
    agent : int
        The agent port to drive.

    Members
    -------
    transactions : int
        Bridge requests made for reads and writes.

    Raises
    ------
    TypeError
        If ``agent`` is not a non-negative integer.
    """

    def __init__(self, client, agent):
        if not isinstance(agent, int) or isinstance(agent, bool) or agent < 0:
            raise TypeError(f"agent must be a non-negative integer, not {agent!r}")
        self._client, self.agent = client, agent
        self.transactions = 0
        self._now, self._irq = 0, 0

    @property
    def now(self):
        """The hardware's cycle counter (low word) as of the last :meth:`sync`."""
        return self._now

    async def read(self, addr, *, excl=False, priv=False):
        [(resp, data)] = await self._client.read(addr, agent=self.agent, priv=priv, lock=excl)
        self.transactions += 1
        return data, resp

    async def write(self, addr, word, strb=0xF, *, excl=False, priv=False):
        result = await self._client.write(addr, [word & 0xFFFF_FFFF], agent=self.agent,
                                          strb=strb, priv=priv, lock=excl)
        self.transactions += 1
        return result.resp

    async def sync(self):
        """Read the cycle counter and the irq levels (two reads the guest code does not see)."""
        [(_, cycle)] = await self._client.read(_CYCLE_LO, agent=self.agent)
        [(_, irq)] = await self._client.read(_IRQ_STATUS, agent=self.agent)
        self._now, self._irq = cycle, irq

    async def tick(self, n=1):
        start = self._now
        await self.sync()
        while (self._now - start) & _CYCLE_MASK < n:
            await self.sync()

    async def clear(self):
        await self._client.clear(self.agent)

    def irq(self):
        """The level of ``irq[agent]`` as of the last :meth:`sync`."""
        return bool(self._irq >> self.agent & 1)
