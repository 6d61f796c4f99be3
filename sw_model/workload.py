"""Small ring workloads (producers and one consumer on one ring), for the protocol tests.

The same workload runs under any policy: a hand-written schedule (the paper's Fig. 3), random
schedules, or the exhaustive explorer.
"""

import functools
from dataclasses import dataclass

from ioc_defs.params import REG_BASE, IocParams
from ioc_defs.regmap import REGMAP

from .cpu import RefPort
from .history import History, producer_message
from .layout import A2B, SLOT_WORDS, IocLayout
from .ring import VARIANTS
from .sched import Runner
from .system import RefSystem

__all__ = ["RingWorkload"]


@functools.cache
def _layout(params, depth, slot_words):
    layout = IocLayout(params, depth=depth, slot_words=slot_words)
    return layout, layout.image()


@dataclass(frozen=True)
class RingWorkload:
    """``producers`` threads each send ``messages`` messages to one consumer through one ring.

    Parameters
    ----------
    variant : str
        ``"lockfree"``, ``"naive"``, ``"locked"`` or ``"hwfifo"`` (the register block's
        message FIFO of the ring's channel: every producer shares endpoint A's agent, as only
        it may send into the FIFO).
    producers : int
        Producer threads.
    messages : int or tuple of int
        Messages each producer sends (or one count per producer); ids
        :func:`~sw_model.history.producer_message`.
    depth : int
        Ring depth (power of two).
    single_core : bool
        All threads share agent 0 (switching between them pulses ``resv_clear``, as an
        interrupt would); otherwise each thread has an agent of its own (``hwfifo``: the
        producers share agent 0, the consumer has agent 1).
    slot_words : int
        Words per slot (the id, then check words).

    Raises
    ------
    ValueError
        On an unknown variant or a non-positive count.
    """
    variant: str
    producers: int = 2
    messages: int = 2
    depth: int = 2
    single_core: bool = False
    slot_words: int = SLOT_WORDS

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {sorted(VARIANTS)}, not {self.variant!r}")
        if not isinstance(self.producers, int) or self.producers < 1:
            raise ValueError(f"producers must be a positive integer, not {self.producers!r}")
        counts = self.counts
        if len(counts) != self.producers or not all(isinstance(n, int) and n >= 1
                                                     for n in counts):
            raise ValueError(f"messages must be a positive integer or one per producer, "
                             f"not {self.messages!r}")

    @property
    def counts(self):
        """Messages sent by each producer."""
        if isinstance(self.messages, tuple):
            return self.messages
        return (self.messages,) * self.producers

    @property
    def hwfifo(self):
        return VARIANTS[self.variant].in_registers

    def agent(self, thread):
        """The agent thread ``thread`` runs on (``producers``: the consumer)."""
        if self.single_core:
            return 0
        if self.hwfifo:
            return int(thread == self.producers)
        return thread

    @property
    def n_agents(self):
        return self.agent(self.producers) + 1

    @property
    def params(self):
        """The subsystem configuration the workload runs on."""
        return IocParams(n_agents=self.n_agents, n_channels=1, shm_bytes=256,
                         fifo_depth=self.depth * self.slot_words if self.hwfifo else 0)

    @property
    def registers(self):
        """Privileged register writes ``(name, index, value)`` that set the system up before
        the threads run: the channel, for the ``hwfifo`` variant (its endpoints are the
        producers' and the consumer's agents)."""
        if not self.hwfifo:
            return ()
        return (("CH_CFG", 0, REGMAP["CH_CFG"].compose(
            {"EP_A": self.agent(0), "EP_B": self.agent(self.producers), "ENABLE": 1})),)

    @property
    def layout(self):
        """The :class:`~sw_model.layout.IocLayout` of the shared RAM."""
        return _layout(self.params, self.depth, self.slot_words)[0]

    @property
    def image(self):
        """The initial shared-RAM image (bytes at address 0)."""
        return _layout(self.params, self.depth, self.slot_words)[1]

    def build(self, system=None, **runner_options):
        """A fresh :class:`~sw_model.sched.Runner` with the threads spawned, and the
        :class:`~sw_model.history.History` they record into. Thread ``i < producers`` is
        producer ``P<i>``; the last thread is the consumer ``C``. ``system`` is the backend,
        holding :attr:`image` at address 0; by default a fresh reference model."""
        layout = self.layout
        if system is None:
            system = RefSystem(self.params, regblock=self.hwfifo)
            system.memory.load_image(0, self.image)
            for name, index, value in self.registers:
                system.regblock.access(0, REG_BASE + REGMAP[name].address(index), True, value,
                                       priv=True)
        ring = layout.ring(0, A2B)
        variant = VARIANTS[self.variant]
        history = History()
        runner = Runner(system, summary=history.summary, **runner_options)
        for p in range(self.producers):
            port = RefPort(self.agent(p))
            msgs = [producer_message(p, k) for k in range(self.counts[p])]
            runner.spawn(self._producer(variant, port, ring, history, f"P{p}", msgs),
                         name=f"P{p}", agent=port.agent)
        port = RefPort(self.agent(self.producers))
        total = sum(self.counts)
        runner.spawn(self._consumer(variant, port, ring, history, total), name="C",
                     agent=port.agent)
        return runner, history

    async def _producer(self, variant, port, ring, history, name, msgs):
        for msg in msgs:
            while not await history.send(variant, port, ring, thread=name, channel=0, msg=msg,
                                         slot_words=self.slot_words):
                await port.pause()

    async def _consumer(self, variant, port, ring, history, total):
        received = 0
        while received < total:
            if await history.receive(variant, port, ring, thread="C", channel=0) is None:
                await port.pause()
            else:
                received += 1
