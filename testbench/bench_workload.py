"""The benchmark workloads, written once against links (:class:`sw_model.link.Link`), so cocotb on
Icarus or Verilator and amaranth's simulator all run the very same code.

Every agent is a :class:`~sw_model.link.BusCpuPort` on its own link: agents run concurrently
and meet at the RTL's arbiter, as CPUs do. The hypervisor's set-up (shared-RAM image, channel
endpoints) goes through agent 0's port with privilege. Every run checks its own delivery
(:func:`sw_model.checkers.check_delivery`) and raises if a message was lost, duplicated or
corrupted: a figure is only reported for a correct run."""

from dataclasses import asdict, dataclass

from ioc_defs.params import PROGRESS_WINDOW, REG_BASE, IocParams
from ioc_defs.regmap import REGMAP
from sw_model.checkers import check_delivery
from sw_model.history import History, message_seq, producer_message
from sw_model.layout import A2B, SLOT_WORDS, IocLayout
from sw_model.link import BusCpuPort, Preemption
from sw_model.ring import VARIANTS

__all__ = ["BENCH_PARAMS", "MAX_PRODUCERS", "THROUGHPUT_SLOT_WORDS", "THROUGHPUT_DEPTH",
           "LatencyCase", "ThroughputCase", "LatencyRun", "ThroughputRun"]

#: The one RTL configuration every benchmark runs on: up to 4 producers and a consumer, each on
#: its own agent, one channel (doorbell) per producer; message FIFOs as deep as the largest
#: ring (8 slots of 8 words) for the ``hwfifo`` variant.
BENCH_PARAMS = IocParams(n_agents=5, n_channels=4, shm_bytes=4096, n_watchdogs=1,
                         fifo_depth=64, resv_hold_cycles=PROGRESS_WINDOW)
MAX_PRODUCERS = BENCH_PARAMS.n_agents - 1
#: Throughput runs use the protocol's usual slot (the id and a check word).
THROUGHPUT_SLOT_WORDS = SLOT_WORDS
THROUGHPUT_DEPTH = 16


def _validate(case, **minimum):
    """Raise ``ValueError`` on an unknown variant or a field below its ``minimum``."""
    if case.variant not in VARIANTS:
        raise ValueError(f"variant must be one of {sorted(VARIANTS)}, not {case.variant!r}")
    for field, least in minimum.items():
        value = getattr(case, field)
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ValueError(f"{field} must be an integer of at least {least}, not {value!r}")


def _reg(name, index=0):
    return REG_BASE + REGMAP[name].address(index)


@dataclass(frozen=True)
class LatencyCase:
    """One message at a time, end to end: the sender's first request to the last response of
    the receiver's interrupt handler (which acknowledges the doorbell and drains the ring).

    ``single_core``: sender and receiver share agent 0 (the paper's SPUMONE: the doorbell
    interrupts the CPU, the hypervisor switches to the receiving guest, pulsing
    ``resv_clear``); else they are agents 0 and 1.
    """
    variant: str
    single_core: bool
    words: int
    messages: int = 50
    depth: int = 8
    seed: int = 1

    def __post_init__(self):
        _validate(self, words=1, messages=1, depth=1)


@dataclass(frozen=True)
class ThroughputCase:
    """``producers`` agents each stream ``messages`` messages into one ring drained by one
    consumer agent (interrupt-driven), with or without random preemption of the producers."""
    variant: str
    producers: int
    preempt: bool
    messages: int = 40
    seed: int = 1
    #: Preemption: probability before each memory operation, and time away in cycles.
    preempt_rate: float = 0.05
    preempt_cycles: tuple = (8, 64)

    def __post_init__(self):
        _validate(self, producers=1, messages=1)
        if self.producers > MAX_PRODUCERS:
            raise ValueError(f"producers must be at most {MAX_PRODUCERS}, not {self.producers}")


def _check(history):
    report = check_delivery(history)
    if not report.ok:
        raise AssertionError(f"benchmark run was not exactly-once: {report}")
    return report


def _tally(ports):
    """Bus transactions so far: ``(reads, writes)`` over ``ports``."""
    reads = sum(p.counts["load"] + p.counts["movli"] for p in ports)
    writes = sum(p.counts["store"] + p.counts["movco"] for p in ports)
    return reads, writes


class _Run:
    """A workload as every backend drives it: :meth:`setup` on agent 0's link, then every
    ``(agent, body)`` of :meth:`bodies` concurrently, each ``body(link)`` on its agent's link,
    then :meth:`finish` on agent 0's link; :meth:`result` is the outcome."""

    def __init__(self, case, layout, channels):
        self.case, self.layout, self.channels = case, layout, channels
        self.variant = VARIANTS[case.variant]
        # The shared-memory rings take every producer's messages in one ring; a message FIFO
        # has one sending agent, so with hwfifo each producer sends on its own channel's.
        fifos = self.variant.in_registers
        self.rings = [layout.ring(c if fifos else 0, A2B) for c in range(len(channels))]
        self.history = History()
        self.ports = []
        self.now = None   # the clock, from the set-up link

    def _port(self, link, **kwargs):
        port = BusCpuPort(link, **kwargs)
        self.ports.append(port)
        return port

    async def setup(self, link):
        """The hypervisor's part: load the shared-RAM image and configure the channels."""
        self.now = lambda: link.now
        self.history.clock = self.now
        hv = BusCpuPort(link, priv=True)
        image = self.layout.image()
        for addr in range(0, len(image), 4):
            word = int.from_bytes(image[addr:addr + 4], "little")
            if word:
                await hv.store(addr, word)
        cfg = REGMAP["CH_CFG"]
        for c, (a, b) in enumerate(self.channels):
            await hv.store(_reg("CH_CFG", c), cfg.compose({"EP_A": a, "EP_B": b, "ENABLE": 1}))

    async def finish(self, link):
        pass

    async def _handle(self, port, name="rx"):
        """The receiver's interrupt handler: acknowledge every pending doorbell (W1C), then
        drain the ring. Returns the messages taken."""
        pending = await port.load(_reg("CH_PENDING"))
        await port.store(_reg("CH_PENDING"), pending)
        taken = 0
        for c, ring in enumerate(self.rings if self.variant.in_registers else self.rings[:1]):
            while await self.history.receive(self.variant, port, ring, thread=name,
                                             channel=c) is not None:
                taken += 1
        return taken

    async def _send(self, port, name, msg, channel):
        """Enqueue ``msg`` (retrying while the ring is full), then ring the doorbell."""
        while not await self.history.send(self.variant, port, self.rings[channel], thread=name,
                                          channel=channel, msg=msg,
                                          slot_words=self.layout.slot_words):
            await port.pause()
        await port.store(_reg("DOORBELL"), channel)


class LatencyRun(_Run):
    """Runs a :class:`LatencyCase`. :meth:`result`: per message the ``latency`` in cycles and
    the bus ``reads``/``writes`` inside its window (one message is in flight at a time, so the
    window holds exactly that message's transactions), and ``to_delivery``, the cycles from the
    same start to the dequeue that took the message."""

    def __init__(self, case, rng):
        self.rx_agent = 0 if case.single_core else 1
        super().__init__(case, IocLayout(BENCH_PARAMS, depth=case.depth, slot_words=case.words),
                         [(0, self.rx_agent)])
        self.rng = rng
        self.handled = []   # cycle at which the handler finished, per message
        self.starts = []    # cycle of the sender's first request, per message
        self.rows = []

    def bodies(self):
        if self.case.single_core:
            return [(0, self._sender)]
        return [(0, self._sender), (1, self._receiver)]

    async def _receiver(self, link):
        rx = self._port(link)
        await rx.store(_reg("CH_ENABLE"), 1)
        while len(self.handled) < self.case.messages:
            await rx.wait(link.irq)
            if await self._handle(rx):
                self.handled.append(link.now)

    async def _sender(self, link):
        case = self.case
        tx = self._port(link)
        if case.single_core:
            await tx.store(_reg("CH_ENABLE"), 1)
        for k in range(case.messages):
            await tx.sleep(self.rng.randint(0, 16))
            before = _tally(self.ports)
            t0 = link.now
            self.starts.append(t0)
            await self._send(tx, "tx", producer_message(0, k), 0)
            if case.single_core:
                # The doorbell interrupts this very CPU: the hypervisor takes the irq and
                # switches to the receiving guest (a vCPU switch clears the reservation).
                await tx.wait(link.irq)
                await tx.resv_clear()
                if not await self._handle(tx):
                    raise AssertionError(f"message {k}: the handler found the ring empty")
                self.handled.append(link.now)
                await tx.resv_clear()
            else:
                await tx.wait(lambda k=k: len(self.handled) > k)
            after = _tally(self.ports)
            self.rows.append((self.handled[k] - t0, after[0] - before[0],
                              after[1] - before[1]))

    def result(self):
        report = _check(self.history)
        delivered = {message_seq(e.msg): t for e, t in zip(self.history, self.history.times,
                                                       strict=True) if e.kind == "deliver"}
        return {"case": asdict(self.case), "latency": [r[0] for r in self.rows],
                "to_delivery": [delivered[k] - t0 for k, t0 in enumerate(self.starts)],
                "reads": [r[1] for r in self.rows], "writes": [r[2] for r in self.rows],
                "delivered": report.delivered}


class ThroughputRun(_Run):
    """Runs a :class:`ThroughputCase`: producer ``p`` is agent ``p`` and rings channel ``p``;
    the consumer is agent ``producers``. :meth:`result`: messages, the cycles from the first
    send to the last delivery, per-message latency (send to delivery), bus transactions, and
    the LL/SC counts both as the ports saw them and as the hardware counted them (``hw``, per
    agent), and each producer's worst latency (``producer_max``)."""

    def __init__(self, case):
        self.consumer = case.producers
        super().__init__(case, IocLayout(BENCH_PARAMS, depth=THROUGHPUT_DEPTH,
                                         slot_words=THROUGHPUT_SLOT_WORDS),
                         [(p, self.consumer) for p in range(case.producers)])
        self.received = 0
        self.hw = {}

    def bodies(self):
        return [(p, self._producer) for p in range(self.case.producers)] + [
            (self.consumer, self._consumer)]

    async def _producer(self, link):
        case, p = self.case, link.agent
        preempt = (Preemption(case.preempt_rate, *case.preempt_cycles, seed=case.seed * 31 + p)
                   if case.preempt else None)
        port = self._port(link, preempt=preempt)
        for k in range(case.messages):
            await self._send(port, f"P{p}", producer_message(p, k), p)

    async def _consumer(self, link):
        port = self._port(link)
        total = self.case.producers * self.case.messages
        await port.store(_reg("CH_ENABLE"), (1 << self.case.producers) - 1)
        while self.received < total:
            await port.wait(link.irq)
            self.received += await self._handle(port, "C")

    async def finish(self, link):
        hv = BusCpuPort(link, priv=True)
        for name in ("LL_COUNT", "SC_OK_COUNT", "SC_FAIL_COUNT"):
            self.hw[name] = [await hv.load(_reg(name, k)) for k in range(BENCH_PARAMS.n_agents)]

    def result(self):
        report = _check(self.history)
        sends, latency, by_producer, last = {}, [], {}, None
        for event, t in zip(self.history, self.history.times, strict=True):
            if event.kind == "send":
                sends.setdefault(event.msg, t)
            elif event.kind == "deliver":
                latency.append(t - sends[event.msg])
                by_producer.setdefault((event.msg >> 16) - 1, []).append(latency[-1])
                last = t
        counts = sum((p.counts for p in self.ports), start=type(self.ports[0].counts)())
        return {"case": asdict(self.case), "messages": report.delivered,
                "cycles": last - min(sends.values()), "latency": latency,
                "producer_max": [max(by_producer[p]) for p in range(self.case.producers)],
                "transactions": sum(p.transactions for p in self.ports),
                "ll": counts["movli"], "sc": counts["movco"], "sc_fail": counts["movco_fail"],
                "preempted": counts["preempted"], "hw": self.hw}
