"""The guest models: Linux (producers, interrupt handler, monitoring service) and SimpleOS
(interrupt handler that drains its rings and replies, fault injection, re-attach by epoch).

Guest code only awaits its :class:`~sw_model.cpu.CpuPort` and the :class:`~sw_model.spumone.Vcpu`
primitives built on it; guest-private variables stand for the guest's own RAM.

Channels: ``DATA`` carries the producers' messages (A = Linux to B = SimpleOS) and SimpleOS's
acknowledgements back; the monitor pings SimpleOS on ``DATA`` (in band: a stalled data ring is a
failure) and on ``HEARTBEAT`` (out of band), and SimpleOS answers each ping with a pong.
"""

from collections import deque
from dataclasses import dataclass, field

from ioc_defs.regmap import FIFO_DROPPED_WIDTH, Event

from .history import producer_message
from .layout import A2B, B2A, TOMBSTONE, ChannelState
from .regs import read_field, write_reg
from .ring import (
    HwFifoRing,
    LockedRing,
    LockFreeRing,
    break_stale_lock,
    fill_holes,
    recover_tail,
)

__all__ = ["DATA", "HEARTBEAT", "REPLY", "PING", "GuestCrash", "IocEnv", "attach", "Linux",
           "SimpleOS", "dropped_delta", "flushed_count"]

DATA, HEARTBEAT = 0, 1
#: Bit set in a reply's id; ``PING`` marks heartbeat ids.
REPLY, PING = 0x8000_0000, 0x00F0_0000


_DROPPED_MASK = (1 << FIFO_DROPPED_WIDTH) - 1


def dropped_delta(before, after):
    """Words flushed between two reads of ``FIFO_STATUS.DROPPED`` (which wraps)."""
    return after - before & _DROPPED_MASK


def flushed_count(words, slot_words, *, torn_front):
    """Messages of ``slot_words`` words that a flush of ``words`` words dropped (see
    :meth:`IocEnv.report_flushed`); the C library's ``ioc_flushed_messages``."""
    return -(-words // slot_words) if torn_front else words // slot_words


class GuestCrash(Exception):
    """Raised by a guest to model a crash: its thread ends there."""


@dataclass
class IocEnv:
    """What every guest of a run shares: the layout, the ring variant, the history and clock.

    With the ``hwfifo`` variant a reset of SimpleOS flushes the message FIFOs of its channels
    (both directions), where shared-RAM rings keep their messages; the flushed messages are
    reported ``"flushed"`` (dropped) to their sender, by this rule. A FIFO is in order and
    only its consumer removes words, from the front, so the words a flush drops are the
    newest ``FIFO_STATUS.DROPPED``-delta words pushed. Every sender keeps a push log per FIFO
    (:meth:`push_log`), appended in the step a message's last word is accepted (under the
    lock of a framed message). After the flush the sender's side reads the delta and reports
    the newest messages of the log flushed (:meth:`report_flushed`):

    - A to B (Linux's producers and pings): Linux's monitor makes the restart its own
      critical section: it holds the send lock of every A to B ring of SimpleOS's channels
      across the restart, from before it reads ``DROPPED`` until after it has read it again
      and reported, so no producer is half-way through a message at the flush and nothing is
      pushed between the flush and the report (the scenarios' messages are two words: every
      send is framed under that lock). The consumer may have died half-way through reading
      the oldest message: ``ceil(delta / slot_words)`` messages.
    - B to A (SimpleOS's replies and pongs): the sender is the incarnation the reset killed,
      so its successor reports for it, at boot, before it sends anything, from a push log and
      a last-read ``DROPPED`` the reset leaves alone (guest RAM that survives a reset, as
      shared RAM does). Linux's monitor keeps Linux's interrupt handler out of its receives
      across the restart, so no message is half-read at the flush; the dead sender may have
      been half-way through its last one (already reported dropped for it by
      :meth:`~sw_model.history.History.abandon`, and not in the log): ``delta //
      slot_words`` messages.

    The checkers hold every ``"flushed"`` message to never being delivered.

    Members
    -------
    metrics : dict
        Times (in ticks) of notable moments: ``fault``, ``detected``, ``restarted``,
        ``reattached``, ``resumed`` (first pong after the restart), and ``detected_by``.
    flushed : dict
        Words dropped by flushes so far, per ``(channel, direction)`` (``hwfifo`` only).
    """
    layout: object
    variant: object
    history: object
    clock: object
    metrics: dict = field(default_factory=dict)
    flushed: dict = field(default_factory=dict)
    _push_logs: dict = field(default_factory=dict, repr=False)

    @property
    def hwfifo(self):
        """The rings are the register block's message FIFOs (flushed by resets)."""
        return self.variant.in_registers

    def push_log(self, channel, direction):
        """The messages pushed into the FIFO of ``channel``/``direction`` since its last
        flush report, oldest first (the newest ``depth`` are all a FIFO can hold)."""
        key = channel, direction
        if key not in self._push_logs:
            self._push_logs[key] = deque(maxlen=self.layout.ring(channel, direction).depth)
        return self._push_logs[key]

    def report_flushed(self, label, channel, direction, words, *, torn_front):
        """A flush dropped ``words`` words of the FIFO of ``channel``/``direction``: record
        the messages they were ``"flushed"``, as ``label``, and return them. ``torn_front``:
        the oldest of them may have been partly received (it counts); else the newest may
        have been partly sent (it does not: it is not in the log)."""
        count = flushed_count(words, self.layout.ring(channel, direction).slot_words,
                              torn_front=torn_front)
        log = self.push_log(channel, direction)
        if count > len(log):
            raise RuntimeError(f"{words} words flushed from FIFO {channel}/{direction}, "
                               f"only {len(log)} messages pushed since the last flush")
        gone = list(log)[len(log) - count:]
        for msg in gone:
            self.history.add("flushed", label, (channel, direction), msg)
        log.clear()  # the rest was received before the flush
        self.flushed[channel, direction] = self.flushed.get((channel, direction), 0) + words
        return gone

    async def send(self, port, label, channel, direction, msg, patience, backoff=8, owner=0):
        """Enqueue ``msg`` and ring the doorbell; on back-pressure retry for ``patience``
        ticks, then report the message dropped. Returns whether it was enqueued. ``owner`` is
        the sender's attach epoch (see :class:`~sw_model.ring.LockedRing`)."""
        ring = self.layout.ring(channel, direction)
        pushed = None
        if self.hwfifo:
            log = self.push_log(channel, direction)

            def pushed():
                log.append(msg)
        waited = 0
        while not await self.history.send(self.variant, port, ring, thread=label,
                                          channel=(channel, direction), msg=msg,
                                          slot_words=ring.slot_words, owner=owner,
                                          pushed=pushed):
            if waited >= patience:
                self.history.add("drop", label, (channel, direction), msg)
                return False
            await port.sleep(backoff)
            waited += backoff
        # A refused doorbell (channel disabled, or this agent no endpoint) is a configuration
        # error: the BusError propagates rather than leaving a message the peer is never told of.
        await write_reg(port, "DOORBELL", CHANNEL=channel)
        return True

    async def receive(self, port, label, channel, direction):
        """Receive the next message of a ring, skipping tombstones; ``None`` if none."""
        ring = self.layout.ring(channel, direction)
        while True:
            msg = await self.history.receive(self.variant, port, ring, thread=label,
                                             channel=(channel, direction))
            if msg != TOMBSTONE:
                return msg


async def attach(port, layout, variant, channel, *, restarted):
    """Attach endpoint B of ``channel`` by epoch; return the epoch (the lock owner of its
    sends).

    A ``restarted`` endpoint first repairs what its previous incarnation may have left
    half-done: lock-free and locked rings from their sequence numbers (the commit record:
    :func:`~sw_model.ring.recover_tail` on the ring it consumes, tombstones in the holes of the
    one it alone produces into), and a lock of the latter that an older epoch holds is broken
    (also for the hardware FIFO, whose multi-word sends take that lock; its words need no
    repair: the reset flushed them); the naive ring has no commit record, so its ``tail`` is
    trusted as found. Then the epoch and ``ATTACHED`` are published in the channel descriptor.
    The C library's ``ioc_attach`` does the same, in the same order."""
    repair = restarted and isinstance(variant, LockFreeRing)
    if repair:
        await recover_tail(port, layout.ring(channel, A2B))
        await fill_holes(port, layout.ring(channel, B2A))
    epoch = await read_field(port, "EPOCH", "EPOCH", channel)
    if restarted and isinstance(variant, LockedRing | HwFifoRing):
        await break_stale_lock(port, layout.ring(channel, B2A), epoch)
    await port.store(layout.epoch_addr(channel), epoch)
    await port.store(layout.state_addr(channel), ChannelState.ATTACHED)
    return epoch


class Linux:
    """The Linux guest (endpoint A of every channel).

    Parameters
    ----------
    env : IocEnv
    hypervisor : Spumone
    simpleos : Vcpu
        The guest the monitor restarts.
    producers, messages : int
        Producer threads, and messages each sends on ``DATA``.
    patience : int
        Ticks a producer retries a full ring before reporting the message dropped.
    hb_period, hb_timeout : int
        Heartbeat period, and how long a ping may stay unanswered before SimpleOS is judged
        failed (also judged failed when the hardware watchdog expires).
    """

    def __init__(self, env, hypervisor, simpleos, *, producers=2, messages=8, patience=4000,
                 hb_period=300, hb_timeout=1500):
        self.env, self.hv, self.simpleos = env, hypervisor, simpleos
        self.producers, self.messages, self.patience = producers, messages, patience
        self.hb_period, self.hb_timeout = hb_period, hb_timeout
        self.done_producers = 0
        self.acks = set()
        self.restarts = 0
        self.restarting = False
        self._ping_at = {}  # channel -> time its unanswered ping was sent
        self._watchdog = False
        # hwfifo: the monitor's restart and the handler's receives exclude each other
        self._restarting_fifos = self._receiving = False

    def boot(self, vcpu, port):
        return self._main(vcpu, port)

    async def _main(self, vcpu, port):
        for i in range(self.producers):
            self.hv.spawn(vcpu, self._producer(vcpu, port, i), f"p{i}")
        self.hv.spawn(vcpu, self._monitor(vcpu, port), "monitor")
        await self._rx(vcpu, port)

    async def _producer(self, vcpu, port, i):
        label = f"{vcpu.name}.p{i}"
        for k in range(self.messages):
            await self.env.send(port, label, DATA, A2B, producer_message(i, k), self.patience)
        self.done_producers += 1

    async def _rx(self, vcpu, port):
        """The interrupt handler: replies and pongs, and the watchdog event."""
        label = f"{vcpu.name}.rx"
        while True:
            await vcpu.wait_irq()
            _, events = vcpu.take()
            if events >> Event.WATCHDOG & 1:
                self._watchdog = True
            for channel in (DATA, HEARTBEAT):
                while (msg := await self._receive(port, label, channel)) is not None:
                    if msg & PING:
                        self._ping_at.pop(channel, None)
                        if "restarted" in self.env.metrics:
                            self.env.metrics.setdefault("resumed", self.env.clock())
                    else:
                        self.acks.add(msg & ~REPLY)

    async def _receive(self, port, label, channel):
        """One receive from SimpleOS, never while the monitor restarts it with the ``hwfifo``
        variant (a flush must not fall between a message's words)."""
        if self._restarting_fifos:
            await port.wait(lambda: not self._restarting_fifos)
        self._receiving = True
        msg = await self.env.receive(port, label, channel, B2A)
        self._receiving = False
        return msg

    async def _restart(self, port, label):
        """Restart SimpleOS; with the ``hwfifo`` variant, as the critical section that reports
        what the reset flushed from Linux's FIFOs to SimpleOS (see :class:`IocEnv`)."""
        if not self.env.hwfifo:
            await self.hv.restart(port, self.simpleos)
            return
        self._restarting_fifos = True
        if self._receiving:
            await port.wait(lambda: not self._receiving)
        layout = self.env.layout
        rings = {channel: layout.ring(channel, A2B) for channel in (DATA, HEARTBEAT)}
        before = {}
        for channel, ring in rings.items():
            await LockedRing.acquire(port, ring, 0)
            before[channel] = (await read_field(port, "EPOCH", "EPOCH", channel),
                               await read_field(port, "FIFO_STATUS", "DROPPED", ring.fifo))
        await self.hv.restart(port, self.simpleos)
        for channel, ring in rings.items():
            # a reset acts a cycle after its write: the epoch moves with the flush
            while await read_field(port, "EPOCH", "EPOCH", channel) == before[channel][0]:
                await port.pause()
            after = await read_field(port, "FIFO_STATUS", "DROPPED", ring.fifo)
            self.env.report_flushed(label, channel, A2B, dropped_delta(before[channel][1], after),
                                    torn_front=True)
            await port.store(ring.lock, 0)
        self._restarting_fifos = False

    async def _monitor(self, vcpu, port):
        """The monitoring service the paper left as future work."""
        label = f"{vcpu.name}.monitor"
        metrics = self.env.metrics
        ping = 0
        while True:
            await port.sleep(self.hb_period)
            now = await read_field(port, "CYCLE_LO", "COUNT")
            late = any(now - sent > self.hb_timeout for sent in self._ping_at.values())
            if self._watchdog or late:
                metrics.setdefault("detected", self.env.clock())
                metrics.setdefault("detected_by", "watchdog" if self._watchdog else "heartbeat")
                self.restarts += 1
                self.restarting = True
                await self._restart(port, label)
                metrics.setdefault("restarted", self.env.clock())
                await self._wait_reattach(port)
                metrics.setdefault("reattached", self.env.clock())
                self._watchdog, self._ping_at = False, {}
                self.restarting = False
                continue
            # in-band on DATA (a stalled data ring is a failure too) and out-of-band
            for channel in (DATA, HEARTBEAT):
                if channel not in self._ping_at:
                    ping += 1
                    self._ping_at[channel] = now
                    # no patience: a ping that finds the ring full counts as unanswered
                    await self.env.send(port, label, channel, A2B, PING | ping, 0)

    async def _wait_reattach(self, port):
        layout = self.env.layout
        while True:
            epoch = await read_field(port, "EPOCH", "EPOCH", DATA)
            if (await port.load(layout.state_addr(DATA)) == ChannelState.ATTACHED
                    and await port.load(layout.epoch_addr(DATA)) == epoch):
                return
            await port.sleep(20)


class SimpleOS:
    """The SimpleOS guest (endpoint B of every channel).

    Parameters
    ----------
    env : IocEnv
    fault : str or None
        ``"hang"`` (stops serving and kicking), ``"crash"`` (its thread dies), or
        ``"corrupt"`` (scribbles over its ``DATA`` ring's ``tail`` and carries on; with the
        ``hwfifo`` variant, which keeps no index in RAM, over the lock of its ``DATA`` replies,
        so that its next reply spins for ever), injected in the first incarnation after
        ``fault_after`` messages.
    fault_after : int
    kick_every : int
        Ticks between watchdog kicks (the handler also wakes up for them).
    patience : int
        Ticks a reply may wait for room before it is reported dropped.
    """

    def __init__(self, env, *, fault=None, fault_after=3, kick_every=100, patience=4000):
        if fault not in (None, "hang", "crash", "corrupt"):
            raise ValueError(f"fault must be None, 'hang', 'crash' or 'corrupt', not {fault!r}")
        self.env, self.fault, self.fault_after = env, fault, fault_after
        self.kick_every, self.patience = kick_every, patience
        # hwfifo: FIFO_STATUS.DROPPED of each reply FIFO as last read (survives a reset)
        self._dropped_seen = {}

    def boot(self, vcpu, port):
        return self._main(vcpu, port)

    async def _attach(self, vcpu, port):
        """Re-attach every channel by epoch; return ``{channel: epoch}``."""
        return {channel: await attach(port, self.env.layout, self.env.variant, channel,
                                      restarted=vcpu.incarnation > 1)
                for channel in (DATA, HEARTBEAT)}

    async def _report_flushed(self, port, label):
        """``hwfifo``: report, for the incarnation the reset killed, the replies the reset
        flushed from its FIFOs to Linux (see :class:`IocEnv`); before anything is sent."""
        for channel in (DATA, HEARTBEAT):
            fifo = self.env.layout.ring(channel, B2A).fifo
            dropped = await read_field(port, "FIFO_STATUS", "DROPPED", fifo)
            if channel in self._dropped_seen:
                self.env.report_flushed(label, channel, B2A,
                                        dropped_delta(self._dropped_seen[channel], dropped),
                                        torn_front=False)
            self._dropped_seen[channel] = dropped

    async def _main(self, vcpu, port):
        label = f"{vcpu.name}{vcpu.incarnation}.main"
        if self.env.hwfifo:
            await self._report_flushed(port, label)
        epochs = await self._attach(vcpu, port)
        handled = 0
        while True:
            await write_reg(port, "WDOG_KICK", 0, KICK=1)
            for channel in (DATA, HEARTBEAT):
                while (msg := await self.env.receive(port, label, channel, A2B)) is not None:
                    handled += 1
                    if vcpu.incarnation == 1 and handled == self.fault_after and self.fault:
                        await self._inject(port)
                    await self.env.send(port, label, channel, B2A, msg | REPLY, self.patience,
                                        owner=epochs[channel])
            await vcpu.wait_irq(self.kick_every)
            vcpu.take()

    async def _inject(self, port):
        self.env.metrics["fault"] = self.env.clock()
        if self.fault == "crash":
            raise GuestCrash("SimpleOS crashed (injected)")
        if self.fault == "hang":
            while True:
                await port.sleep(1000)
        if self.env.hwfifo:
            # no ring index in RAM: the one word of SimpleOS's FIFO sends is its reply lock
            await port.store(self.env.layout.ring(DATA, B2A).lock, 0xDEAD_BEEF)
        else:
            await port.store(self.env.layout.ring(DATA, A2B).tail, 0xDEAD_BEEF)
