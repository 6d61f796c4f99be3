"""Reference shared RAM with the LL/SC reservation monitor of SPEC §3.3, at transaction level.

One call of :meth:`SharedMemory.access` is one granted access (one beat), processed in grant order,
exactly as the RTL arbiter presents it to the RAM and the monitor.
"""

from dataclasses import dataclass

from ioc_defs.axi import WORD_BYTES, WORD_SIZE, AxiResp, exclusive_supported, monitor_op
from ioc_defs.params import DATA_WIDTH, SHM_BASE, IocParams, ScFailCause

__all__ = ["SharedMemory", "MonitorCounters"]

_M32 = (1 << DATA_WIDTH) - 1


@dataclass(frozen=True)
class MonitorCounters:
    """Wrapping 32-bit LL/SC event counts of one agent since ``rst``."""
    ll: int
    sc_ok: int
    sc_fail: int


def _lane_mask(strb):
    return sum(0xFF << (8 * lane) for lane in range(WORD_BYTES) if strb >> lane & 1)


class SharedMemory:
    """Shared RAM of ``params.shm_bytes`` (zeros at start) plus one reservation per agent.

    Parameters
    ----------
    params : IocParams
        Subsystem configuration (``n_agents``, ``shm_bytes``, ``granule_log2``).

    Members
    -------
    generation : int
        Incremented by every write (plain or successful SC) and every reservation cleared by a
        pulse or a reset.

    Raises
    ------
    TypeError
        If ``params`` is not an :class:`IocParams`.
    """

    def __init__(self, params):
        if not isinstance(params, IocParams):
            raise TypeError(f"params must be an IocParams, not {params!r}")
        self._params = params
        self._words = [0] * params.shm_words
        # Reservation per agent: granule index, or None when invalid.
        self._resv = [None] * params.n_agents
        # Why each agent's reservation is invalid (the cause an SC would report now).
        self._why = [ScFailCause.NO_RESERVATION] * params.n_agents
        self._cause = [ScFailCause.NONE] * params.n_agents
        self._ll = [0] * params.n_agents
        self._sc_ok = [0] * params.n_agents
        self._sc_fail = [0] * params.n_agents
        self.generation = 0

    @property
    def params(self):
        """The subsystem configuration."""
        return self._params

    def _check_agent(self, agent):
        if not isinstance(agent, int) or not 0 <= agent < self._params.n_agents:
            raise ValueError(f"agent must be an integer in [0, {self._params.n_agents}), "
                             f"not {agent!r}")

    def _index(self, addr):
        if not isinstance(addr, int) or not SHM_BASE <= addr < SHM_BASE + self._params.shm_bytes:
            raise ValueError(f"address {addr!r} is outside the shared RAM")
        return (addr - SHM_BASE) // WORD_BYTES

    def _granule(self, addr):
        return (addr - SHM_BASE) >> self._params.granule_log2

    def _write(self, agent, index, data, strb):
        mask = _lane_mask(strb)
        self._words[index] = (self._words[index] & ~mask | data & mask) & _M32
        granule = (index * WORD_BYTES) >> self._params.granule_log2
        for other, resv in enumerate(self._resv):
            if other != agent and resv == granule:
                self._resv[other] = None
                self._why[other] = ScFailCause.CONFLICT
        self.generation += 1

    def access(self, agent, addr, *, write, data=0, strb=0xF, size=WORD_SIZE, lock=False,
               single=True):
        """Perform one granted beat and return ``(resp, r_data)``.

        Parameters
        ----------
        agent : int
            Port index of the requester.
        addr : int
            Byte address inside the shared RAM. Plain beats address the word containing it.
        write : bool
            Write beat (``True``) or read beat.
        data, strb : int
            Write data and byte strobes (write beats only).
        size : int
            ``AxSIZE`` of the burst (2 = 32 bits).
        lock : bool
            ``AxLOCK``: exclusive access requested.
        single : bool
            The beat is a whole single-beat burst (``AxLEN`` = 0).

        Returns
        -------
        tuple of (AxiResp, int)
            ``EXOKAY`` for a supported exclusive read and a successful exclusive write; ``OKAY``
            otherwise, including a failed or unsupported exclusive write, which writes nothing.
            An unsupported exclusive write also clears the agent's reservation (as
            :meth:`resv_clear`).
            ``r_data`` is the addressed word for reads and 0 for writes.
        """
        self._check_agent(agent)
        index = self._index(addr)
        excl = bool(lock) and exclusive_supported(single, size, addr)
        ll, sc, store, unsupported = monitor_op(write, lock, excl)
        if ll:
            self._resv[agent] = self._granule(addr)
            self._ll[agent] = (self._ll[agent] + 1) & _M32
            return AxiResp.EXOKAY, self._words[index]
        if not write:
            return AxiResp.OKAY, self._words[index]
        if unsupported:
            # A failed SC (SPEC §3.3): nothing written, the reservation cleared as a clear pulse
            # does (the next SC reports PREEMPTED); not counted as an SC.
            self.resv_clear(agent)
            return AxiResp.OKAY, 0
        if sc:
            return (AxiResp.EXOKAY if self._store_conditional(agent, addr, data, strb)
                    else AxiResp.OKAY), 0
        self._write(agent, index, data, strb)
        return AxiResp.OKAY, 0

    def _store_conditional(self, agent, addr, data, strb):
        resv = self._resv[agent]
        if resv is None:
            cause = self._why[agent]
        elif resv != self._granule(addr):
            cause = ScFailCause.ADDRESS_MISMATCH
        else:
            cause = None
        self._resv[agent] = None
        self._why[agent] = ScFailCause.NO_RESERVATION
        if cause is not None:
            self._cause[agent] = cause
            self._sc_fail[agent] = (self._sc_fail[agent] + 1) & _M32
            return False
        self._sc_ok[agent] = (self._sc_ok[agent] + 1) & _M32
        self._write(agent, self._index(addr), data, strb)
        return True

    def resv_clear(self, agent):
        """``resv_clear[agent]`` pulse (interrupt/exception taken, vCPU switch): drop the
        agent's reservation. Applied before any access granted in the same cycle."""
        self._check_agent(agent)
        if self._resv[agent] is not None:
            self._resv[agent] = None
            self._why[agent] = ScFailCause.PREEMPTED
            self.generation += 1

    def agent_reset(self, agent):
        """``agent_rst[agent]``: the reservation is cleared as by :meth:`resv_clear`; the
        failure cause and the counters are kept (they are cleared by ``rst`` only)."""
        self.resv_clear(agent)

    def reservation(self, agent):
        """The agent's reservation: the granule index, or ``None`` if invalid."""
        self._check_agent(agent)
        return self._resv[agent]

    def cause(self, agent):
        """The cause of the agent's most recent SC failure (``NONE`` if none since ``rst``)."""
        self._check_agent(agent)
        return self._cause[agent]

    def counters(self, agent):
        """The agent's :class:`MonitorCounters`."""
        self._check_agent(agent)
        return MonitorCounters(self._ll[agent], self._sc_ok[agent], self._sc_fail[agent])

    def word_index(self, addr):
        """Index of the word containing shared-RAM byte address ``addr``."""
        return self._index(addr)

    def word(self, index):
        """Backdoor read of word ``index`` (no monitor effect)."""
        return self._words[index]

    def peek(self, addr):
        """Backdoor read of the word at ``addr`` (no monitor effect)."""
        return self._words[self._index(addr)]

    def load_image(self, addr, image):
        """Backdoor write of a little-endian byte image at word-aligned ``addr`` (no monitor
        effect): how the shared-RAM layout is preloaded, as an FPGA bitstream would."""
        if len(image) % WORD_BYTES or addr % WORD_BYTES:
            raise ValueError("image address and length must be multiples of 4 bytes")
        first = self._index(addr)
        self._index(addr + len(image) - WORD_BYTES)
        for k in range(len(image) // WORD_BYTES):
            chunk = image[k * WORD_BYTES:(k + 1) * WORD_BYTES]
            self._words[first + k] = int.from_bytes(chunk, "little")

    def state_key(self):
        """A hashable summary of what determines future behaviour (RAM and reservations)."""
        return (tuple(self._words), tuple(self._resv), tuple(self._why))

    def snapshot(self):
        """A copy of the complete state, for :meth:`restore` (exploration peeks a step ahead)."""
        return (list(self._words), list(self._resv), list(self._why), list(self._cause),
                list(self._ll), list(self._sc_ok), list(self._sc_fail), self.generation)

    def restore(self, snap):
        """Return to a state captured by :meth:`snapshot`."""
        (words, resv, why, cause, ll, sc_ok, sc_fail, self.generation) = snap
        self._words, self._resv, self._why, self._cause = (
            list(words), list(resv), list(why), list(cause))
        self._ll, self._sc_ok, self._sc_fail = list(ll), list(sc_ok), list(sc_fail)
