"""The guest models: Linux (producers, interrupt handler, monitoring service) and SimpleOS
(interrupt handler that drains its rings and replies, fault injection, re-attach by epoch).

Guest code only awaits its :class:`~sw_model.cpu.CpuPort` and the :class:`~sw_model.spumone.Vcpu`
primitives built on it; guest-private variables stand for the guest's own RAM.

Channels: ``DATA`` carries the producers' messages (A = Linux to B = SimpleOS) and SimpleOS's
acknowledgements back; the monitor pings SimpleOS on ``DATA`` (in band: a stalled data ring is a
failure) and on ``HEARTBEAT`` (out of band), and SimpleOS answers each ping with a pong.
"""

from dataclasses import dataclass, field

from ioc_defs.regmap import Event

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
           "SimpleOS"]

DATA, HEARTBEAT = 0, 1
#: Bit set in a reply's id; ``PING`` marks heartbeat ids.
REPLY, PING = 0x8000_0000, 0x00F0_0000


class GuestCrash(Exception):
    """Raised by a guest to model a crash: its thread ends there."""


@dataclass
class IocEnv:
    """What every guest of a run shares: the layout, the ring variant, the history and clock.

    Members
    -------
    metrics : dict
        Times (in ticks) of notable moments: ``fault``, ``detected``, ``restarted``,
        ``reattached``, ``resumed`` (first pong after the restart), and ``detected_by``.
    """
    layout: object
    variant: object
    history: object
    clock: object
    metrics: dict = field(default_factory=dict)

    async def send(self, port, label, channel, direction, msg, patience, backoff=8, owner=0):
        """Enqueue ``msg`` and ring the doorbell; on back-pressure retry for ``patience``
        ticks, then report the message dropped. Returns whether it was enqueued. ``owner`` is
        the sender's attach epoch (see :class:`~sw_model.ring.LockedRing`)."""
        ring = self.layout.ring(channel, direction)
        waited = 0
        while not await self.history.send(self.variant, port, ring, thread=label,
                                          channel=(channel, direction), msg=msg,
                                          slot_words=ring.slot_words, owner=owner):
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
                while (msg := await self.env.receive(port, label, channel, B2A)) is not None:
                    if msg & PING:
                        self._ping_at.pop(channel, None)
                        if "restarted" in self.env.metrics:
                            self.env.metrics.setdefault("resumed", self.env.clock())
                    else:
                        self.acks.add(msg & ~REPLY)

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
                await self.hv.restart(port, self.simpleos)
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
        ``"corrupt"`` (scribbles over its ``DATA`` ring's ``tail`` and carries on), injected in
        the first incarnation after ``fault_after`` messages.
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

    def boot(self, vcpu, port):
        return self._main(vcpu, port)

    async def _attach(self, vcpu, port):
        """Re-attach every channel by epoch; return ``{channel: epoch}``."""
        return {channel: await attach(port, self.env.layout, self.env.variant, channel,
                                      restarted=vcpu.incarnation > 1)
                for channel in (DATA, HEARTBEAT)}

    async def _main(self, vcpu, port):
        label = f"{vcpu.name}{vcpu.incarnation}.main"
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
        await port.store(self.env.layout.ring(DATA, A2B).tail, 0xDEAD_BEEF)
