"""The reference model of the whole subsystem: address decoding, shared RAM + LL/SC monitor,
and the register block, at transaction level (one granted beat per cycle)."""

from ioc_defs.axi import WORD_SIZE, AxiResp
from ioc_defs.params import IocParams, Region
from ioc_defs.regmap import RESP_OKAY

from .memory import SharedMemory
from .regblock import MonitorStatus, RegBlock

__all__ = ["RefSystem", "RefLink"]


class RefSystem:
    """Shared RAM with its reservation monitor plus the register block, one beat per cycle.

    Parameters
    ----------
    params : IocParams
        Subsystem configuration.
    regblock : bool
        Model the register block. Without it (pure protocol studies, which run faster) an
        access to the register window raises :class:`RuntimeError`.

    Members
    -------
    memory : SharedMemory
        The shared RAM and its LL/SC monitor.
    regblock : RegBlock or None
        The register block (:mod:`sw_model.regblock`); its ``monitor`` statistics are kept in
        step with :attr:`memory`.
    cycle : int
        Clock cycles simulated so far.

    Raises
    ------
    TypeError
        If ``params`` is not an :class:`IocParams`.
    """

    def __init__(self, params, *, regblock=True):
        if not isinstance(params, IocParams):
            raise TypeError(f"params must be an IocParams, not {params!r}")
        self._params = params
        self.memory = SharedMemory(params)
        self.regblock = RegBlock(params) if regblock else None
        self.cycle = 0
        self._links = {}
        self._reg_generation = 0
        self._cycle_used = False
        self._irq_seen = 0

    @property
    def params(self):
        return self._params

    @property
    def generation(self):
        """Changes whenever state another thread could observe has changed."""
        return self.memory.generation + self._reg_generation

    def access(self, agent, addr, *, write, data=0, strb=0xF, size=WORD_SIZE, lock=False,
               single=True, priv=False):
        """Perform one beat in the current cycle; returns ``(resp, r_data)``.

        Shared RAM: see :meth:`SharedMemory.access`. Register window: AxLOCK is ignored (a plain
        access, answered OKAY or SLVERR by the register block). Elsewhere: DECERR, and the
        agent's bus-error event is raised. Call :meth:`tick` to end the cycle.
        """
        region = self._params.region(addr)
        if region != Region.NONE and self.regblock is None:
            if region == Region.REG:
                raise RuntimeError("this RefSystem models no register block")
            return self.memory.access(agent, addr, write=write, data=data, strb=strb,
                                      size=size, lock=lock, single=single)
        if region == Region.REG:
            self._cycle_used = True
            resp, r_data = self.regblock.access(agent, addr, write, data, strb, size, priv)
            # a write, or a receive from a message FIFO (a read that removes a word)
            if write or resp == RESP_OKAY and self.regblock.fifo_index(addr) is not None:
                self._reg_generation += 1
            return AxiResp(resp), r_data
        if region == Region.SHM:
            resp, r_data = self.memory.access(agent, addr, write=write, data=data, strb=strb,
                                              size=size, lock=lock, single=single)
            if self.agent_rst(agent):
                self.memory.agent_reset(agent)  # the reset wins over an LL in its cycle
            status, counts = self.regblock.monitor[agent], self.memory.counters(agent)
            status.cause = self.memory.cause(agent)
            status.ll_count, status.sc_ok_count = counts.ll, counts.sc_ok
            status.sc_fail_count = counts.sc_fail
            return resp, r_data
        if self.regblock is not None:
            self.regblock.bus_error |= 1 << agent
        return AxiResp.DECERR, 0

    def resv_clear(self, agent):
        """Pulse ``resv_clear[agent]``."""
        self.memory.resv_clear(agent)

    def granted(self, acc, x_clears, bus_error=0):
        """One whole cycle of the RTL's pipeline (the scoreboard's view): ``acc`` is the access
        in stage E (a dict as :class:`testbench.probes.Probes` reads it, or ``None``), which
        the shared RAM and the LL/SC monitor performed one cycle earlier, in stage X, with that
        cycle's reservation clears ``x_clears`` (``resv_clear | agent_rst``, one bit per
        agent); the register block performs it now, seeing the monitor as X left it, with this
        cycle's front-end error pulses ``bus_error``. Returns the expected answer ``(resp,
        r_data)`` or ``None``.

        In the RTL a clear wins over an LL or an SC by the same agent in the same cycle: the LL
        leaves no reservation, the SC fails as PREEMPTED. ``acc["excl"]`` is the front end's
        verdict that the exclusive is of the supported form."""
        mem, reg = self.memory, self.regblock
        is_ll = (acc is not None and acc["region"] == Region.SHM and acc["excl"]
                 and not acc["write"])
        if not is_ll:
            self._clear(x_clears)
        expected = None
        if acc is not None and acc["region"] == Region.SHM:
            expected = mem.access(acc["agent"], acc["addr"], write=acc["write"],
                                  data=acc["data"], strb=acc["strb"], size=acc["size"],
                                  lock=acc["lock"], single=acc["excl"])
        if is_ll:
            self._clear(x_clears)
        for k in range(self._params.n_agents):
            counts = mem.counters(k)
            reg.monitor[k] = MonitorStatus(mem.cause(k), counts.ll, counts.sc_ok, counts.sc_fail)
        reg.bus_error = bus_error
        if acc is None or acc["region"] != Region.REG:
            reg.tick()
        else:
            expected = reg.access(acc["agent"], acc["addr"], acc["write"], acc["data"],
                                  acc["strb"], acc["size"], acc["priv"], acc["lock"])
        return expected

    def _clear(self, clears):
        for k in range(self._params.n_agents):
            if clears >> k & 1:
                self.memory.resv_clear(k)

    def link(self, agent):
        """The :class:`RefLink` of ``agent`` (the backend hook of :class:`sw_model.sched.Runner`
        and of any code written against a :class:`~sw_model.link.Link`)."""
        if not 0 <= agent < self._params.n_agents:
            raise ValueError(f"agent must be below n_agents={self._params.n_agents}, "
                             f"not {agent!r}")
        link = self._links.get(agent)
        if link is None:
            link = self._links[agent] = RefLink(self, agent)
        return link

    async def elapse(self, idle):
        """One clock tick per step of the :class:`~sw_model.sched.Runner`, and per idle tick."""
        self.tick()
        return 1

    def tick(self):
        """End the current cycle: the register block's clock edge (already taken if a register
        access was made in it), and ``agent_rst``, which clears the agent's reservation while it
        is high."""
        self.cycle += 1
        if self.regblock is None:
            return
        if not self._cycle_used:
            self.regblock.tick()
        self._cycle_used = False
        # As in the RTL, agent_rst[k] clears k's reservation in every cycle it is high (here:
        # before the cycle's access, so an SC in it fails; access() repeats it after an LL).
        rst = self.regblock.agent_rst
        for k in range(self._params.n_agents):
            if rst >> k & 1:
                self.memory.agent_reset(k)
        if self.regblock.irq != self._irq_seen:
            self._irq_seen = self.regblock.irq
            self._reg_generation += 1

    def irq(self, agent):
        """Level of ``irq[agent]``."""
        return self.regblock is not None and bool(self.regblock.irq >> agent & 1)

    def agent_rst(self, agent):
        """Level of ``agent_rst[agent]``."""
        return self.regblock is not None and bool(self.regblock.agent_rst >> agent & 1)


class RefLink:
    """A :class:`~sw_model.link.Link` of the reference model: every access is performed in the
    current cycle of its :class:`RefSystem`, and nothing waits.

    Members
    -------
    agent : int
        The agent (AXI port) the link drives.
    """

    def __init__(self, system, agent):
        self._system, self.agent = system, agent

    @property
    def now(self):
        return self._system.cycle

    async def read(self, addr, *, excl=False, priv=False):
        resp, r_data = self._system.access(self.agent, addr, write=False, lock=excl, priv=priv)
        return r_data, resp

    async def write(self, addr, word, strb=0xF, *, excl=False, priv=False):
        resp, _ = self._system.access(self.agent, addr, write=True, data=word, strb=strb,
                                      lock=excl, priv=priv)
        return resp

    async def tick(self, n=1):
        for _ in range(n):
            self._system.tick()

    async def clear(self):
        self._system.resv_clear(self.agent)

    def irq(self):
        return self._system.irq(self.agent)
