"""The reference model of the whole subsystem: address decoding, shared RAM + LL/SC monitor,
and the register block, at transaction level (one call = one granted beat)."""

from rtl.axi import AxiResp
from rtl.params import IocParams, Region

from .memory import SharedMemory

__all__ = ["RefSystem"]


class RefSystem:
    """Shared RAM with its reservation monitor plus an optional register-block model.

    Parameters
    ----------
    params : IocParams
        Subsystem configuration.
    regblock : object or None
        Model of the register block with ``access(agent, addr, write, data, strb, size, priv)
        -> (resp, r_data)``, ``tick()``, and per-agent ``irq`` and ``agent_rst`` sequences. If
        ``None``, an access to the register window raises :class:`RuntimeError`.

    Members
    -------
    memory : SharedMemory
        The shared RAM and its LL/SC monitor.
    cycle : int
        Number of :meth:`tick` calls so far.

    Raises
    ------
    TypeError
        If ``params`` is not an :class:`IocParams`.
    """

    def __init__(self, params, regblock=None):
        if not isinstance(params, IocParams):
            raise TypeError(f"params must be an IocParams, not {params!r}")
        self._params = params
        self.memory = SharedMemory(params)
        self.regblock = regblock
        self.cycle = 0
        self._reg_generation = 0
        self._rst_seen = [False] * params.n_agents

    @property
    def params(self):
        return self._params

    @property
    def generation(self):
        """Changes whenever state another thread could observe has changed."""
        return self.memory.generation + self._reg_generation

    def access(self, agent, addr, *, write, data=0, strb=0xF, size=2, lock=False, single=True,
               priv=False):
        """Perform one beat; see :meth:`SharedMemory.access`. Returns ``(resp, r_data)``."""
        region = self._params.region(addr)
        if region == Region.SHM:
            return self.memory.access(agent, addr, write=write, data=data, strb=strb, size=size,
                                      lock=lock, single=single)
        if region == Region.REG:
            if self.regblock is None:
                raise RuntimeError("this RefSystem has no register-block model")
            # The register window ignores AxLOCK (SPEC §3.1): a plain access, answered OKAY.
            resp, r_data = self.regblock.access(agent, addr, write, data, strb, size, priv)
            if write:
                self._reg_generation += 1
            return resp, r_data
        return AxiResp.DECERR, 0

    def resv_clear(self, agent):
        """Pulse ``resv_clear[agent]``."""
        self.memory.resv_clear(agent)

    def tick(self):
        """Advance one clock cycle: the register block's timers, and ``agent_rst`` edges, which
        clear the agent's reservation."""
        self.cycle += 1
        if self.regblock is None:
            return
        irq_before = tuple(self.irq(k) for k in range(self._params.n_agents))
        self.regblock.tick()
        for k in range(self._params.n_agents):
            rst = bool(self.regblock.agent_rst[k])
            if rst and not self._rst_seen[k]:
                self.memory.agent_reset(k)
            self._rst_seen[k] = rst
        if irq_before != tuple(self.irq(k) for k in range(self._params.n_agents)):
            self._reg_generation += 1

    def irq(self, agent):
        """Level of ``irq[agent]``."""
        return bool(self.regblock is not None and self.regblock.irq[agent])
