"""The three enqueue/dequeue variants of an ``ioc_mem_fifo``, behind one interface.

Every variant is multi-producer, single-consumer. ``enqueue`` returns ``True``, or ``False`` when
the ring is full (back-pressure: nothing is overwritten). ``dequeue`` returns the message (a
tuple of ``slot_words`` words) or ``None`` when nothing is ready. The consumer's **last** memory
operation in ``dequeue`` is the commit that frees the slot, so a caller that records the
delivery before awaiting anything else records it atomically with the commit (a crash cannot
fall between the two).

Tickets are free-running 32-bit counters; a ticket's slot is ``ticket % depth``.
"""

import abc

from ioc_defs.regmap import REGMAP

from .cpu import BusError
from .layout import LOCK_HELD, LOCK_OWNER_MASK, TOMBSTONE

__all__ = ["RingVariant", "LockFreeRing", "NaiveRing", "LockedRing", "HwFifoRing", "VARIANTS",
           "recover_tail", "fill_holes", "break_stale_lock"]

_M32 = 0xFFFF_FFFF


def _diff(a, b):
    """``a - b`` as a signed 32-bit number (counters wrap around)."""
    d = (a - b) & _M32
    return d - (1 << 32) if d >> 31 else d


class RingVariant(abc.ABC):
    """One way of running a ring; stateless, so one instance serves every ring."""

    name = ""
    #: Its messages go through the register block's message FIFOs (SPEC 3.5), not slots in
    #: shared memory: it needs a configuration with ``fifo_depth`` > 0, and a FIFO has one
    #: sending agent.
    in_registers = False

    def __repr__(self):
        return f"{type(self).__name__}()"

    @abc.abstractmethod
    async def enqueue(self, port, ring, words, owner=0):
        """Put ``words`` into ``ring`` (a :class:`~sw_model.layout.RingView`); ``False`` if
        full. ``owner`` is the caller's attach epoch (the locked ring's lock owner)."""

    @abc.abstractmethod
    async def dequeue(self, port, ring):
        """Take the oldest message from ``ring``, or return ``None`` if none is ready."""

    @staticmethod
    def _check_words(ring, words):
        """Refuse a message of the wrong size before touching the ring (a check half-way
        would leave a reserved slot or a held lock behind)."""
        if len(words) != ring.slot_words:
            raise ValueError(f"a message is {ring.slot_words} words, not {len(words)}")

    @staticmethod
    async def _write_slot(port, ring, ticket, words):
        for i, word in enumerate(words):
            await port.store(ring.slot(ticket, i), word)

    @staticmethod
    async def _read_slot(port, ring, ticket):
        return tuple([await port.load(ring.slot(ticket, i)) for i in range(ring.slot_words)])


class LockFreeRing(RingVariant):
    """The paper's answer: a slot is reserved by ``movli``/``movco`` on ``head`` and published
    by its sequence number (Vyukov's bounded queue). ``seq[slot] == ticket`` means free for
    ``ticket``, ``ticket + 1`` means published, ``ticket + depth`` means consumed.

    ABA-free: the ``movco`` fails if anyone wrote ``head`` since the ``movli``, whatever value
    they wrote, and on any interrupt or vCPU switch in between.
    """

    name = "lockfree"

    async def enqueue(self, port, ring, words, owner=0):
        self._check_words(ring, words)
        while True:
            head = await port.movli(ring.head)
            lag = _diff(await port.load(ring.seq(head)), head)
            if lag < 0:
                return False
            if lag == 0 and await port.movco(ring.head, head + 1):
                break
        await self._write_slot(port, ring, head, words)
        await port.store(ring.seq(head), head + 1)
        return True

    async def dequeue(self, port, ring):
        tail = await port.load(ring.tail)
        # Exactly tail + 1, not "at least": with one consumer nothing else can be there, and a
        # corrupted tail then reads as an empty ring instead of delivering stale slots.
        if await port.load(ring.seq(tail)) != (tail + 1) & _M32:
            return None
        words = await self._read_slot(port, ring, tail)
        await port.store(ring.tail, tail + 1)
        await port.store(ring.seq(tail), tail + ring.depth)
        return words


class NaiveRing(RingVariant):
    """Plain load/store of ``head`` and ``tail``: the negative control. A producer preempted
    between reading ``head`` and writing it back acts on a stale value (the paper's Fig. 3)."""

    name = "naive"

    async def enqueue(self, port, ring, words, owner=0):
        self._check_words(ring, words)
        head = await port.load(ring.head)
        if _diff(head, await port.load(ring.tail)) >= ring.depth:
            return False
        await self._write_slot(port, ring, head, words)
        await port.store(ring.head, head + 1)
        return True

    async def dequeue(self, port, ring):
        tail = await port.load(ring.tail)
        if _diff(await port.load(ring.head), tail) <= 0:
            return None
        words = await self._read_slot(port, ring, tail)
        await port.store(ring.tail, tail + 1)
        return words


class LockedRing(LockFreeRing):
    """Producers serialise on a spinlock (``movli``/``movco`` on ``lock``): the paper's semaphore
    option. Under the lock a producer reserves its slot by a plain increment of ``head``, then
    writes and publishes it by its sequence number as the lock-free ring does, so the consumer
    (no lock: it is alone) and the restart repair (:func:`recover_tail`, :func:`fill_holes`)
    are the lock-free ring's: the sequence numbers are the commit record.

    The lock word holds ``LOCK_HELD | owner`` (the holder's attach epoch), so an owner restarted
    at a new epoch breaks a lock its previous incarnation died holding
    (:func:`break_stale_lock`)."""

    name = "locked"

    async def enqueue(self, port, ring, words, owner=0):
        self._check_words(ring, words)
        await self.acquire(port, ring, owner)
        # No try/finally: a killed thread must not run more operations (it would hold the lock,
        # as a crashed guest really would).
        head = await port.load(ring.head)
        if await port.load(ring.seq(head)) != head:
            await port.store(ring.lock, 0)
            return False
        await port.store(ring.head, head + 1)
        await self._write_slot(port, ring, head, words)
        await port.store(ring.seq(head), head + 1)
        await port.store(ring.lock, 0)
        return True

    @staticmethod
    async def acquire(port, ring, owner):
        """Spin until the caller holds ``ring``'s lock (``movli``/``movco``)."""
        token = LOCK_HELD | owner & LOCK_OWNER_MASK
        while True:
            held = await port.movli(ring.lock)
            if held:
                await port.pause()
            elif await port.movco(ring.lock, token):
                return


class HwFifoRing(RingVariant):
    """The register block's message FIFO of the ring's channel and direction (SPEC 3.5), in
    place of the shared-memory slots: a message is ``slot_words`` words sent to ``FIFO_DATA``
    and received from it; the ring holds ``depth`` messages, so the FIFO must be at least
    ``depth * slot_words`` words deep (``fifo_depth``). Only the FIFO's sender (its channel's
    endpoint A for A to B) may send, so every producer runs on that agent.

    The hardware keeps each word once and in order; what software adds is message framing:
    a message of more than one word is sent under the ring's lock (the locked ring's
    ``movli``/``movco`` spinlock), so that the words of two producers never interleave, after
    ``FIFO_STATUS`` reads (before and under the lock) found room for all of it. A one-word
    message needs no lock; if another
    producer filled the FIFO since the status read, the send gets SLVERR, which is
    back-pressure (``False``) like a full ring. The one consumer reads ``FIFO_STATUS`` and
    receives a message only when all its words are in (a producer preempted half-way leaves a
    partial message only behind whole ones).

    ``enqueue`` takes one more argument, ``pushed``: called (with no argument) in the very step
    the message's last word is accepted, before the lock is released, so a sender that appends
    the message to its push log there has the log in step with the FIFO for anyone who holds
    the lock (the flush accounting of :class:`~sw_model.guests.IocEnv`).
    """

    name = "hwfifo"
    in_registers = True

    async def _level(self, port, ring):
        status = REGMAP["FIFO_STATUS"]
        word = await port.reg_read(status.address(ring.fifo))
        return status.field("LEVEL").get(word)

    async def _room(self, port, ring):
        return await self._level(port, ring) <= (ring.depth - 1) * ring.slot_words

    async def enqueue(self, port, ring, words, owner=0, pushed=None):
        self._check_words(ring, words)
        data = REGMAP["FIFO_DATA"].address(ring.fifo)
        # A full FIFO is reported before the lock is touched: a producer spinning on a full
        # FIFO then writes nothing, and waits (pause) for the consumer.
        if not await self._room(port, ring):
            return False
        framed = ring.slot_words > 1
        sent = True
        if framed:
            await LockedRing.acquire(port, ring, owner)
            sent = await self._room(port, ring)  # another producer may have sent since
        try:
            for word in words if sent else ():
                await port.reg_write(data, word)
        except BusError:
            if framed:  # the lock holder alone sends: it cannot find the FIFO full
                raise
            sent = False
        if sent and pushed is not None:
            pushed()
        if framed:
            await port.store(ring.lock, 0)
        return sent

    async def dequeue(self, port, ring):
        if await self._level(port, ring) < ring.slot_words:
            return None
        data = REGMAP["FIFO_DATA"].address(ring.fifo)
        return tuple([await port.reg_read(data) for _ in range(ring.slot_words)])


#: One instance of each variant, by name.
VARIANTS = {v.name: v for v in (LockFreeRing(), NaiveRing(), LockedRing(), HwFifoRing())}


async def recover_tail(port, ring):
    """Re-derive ``tail`` of a lock-free or locked ring from ``head`` and the sequence numbers
    and write it back; return it. Used by a consumer re-attaching after a reboot, whose
    ``tail`` may be stale (crash between its two stores) or corrupted: the sequence numbers
    are the commit record, so nothing is delivered twice or skipped."""
    head = await port.load(ring.head)
    tail = head
    for ticket in range(head - ring.depth, head):
        ticket &= _M32
        if _diff(await port.load(ring.seq(ticket)), ticket + ring.depth) < 0:
            tail = ticket
            break
    await port.store(ring.tail, tail)
    return tail


async def fill_holes(port, ring):
    """Publish a tombstone in every slot of a lock-free or locked ring that a previous
    incarnation of its only producer reserved but died before publishing (else its consumer
    would wait for it for ever)."""
    head, tail = await port.load(ring.head), await port.load(ring.tail)
    for ticket in range(tail, head if head >= tail else head + (1 << 32)):
        ticket &= _M32
        if await port.load(ring.seq(ticket)) == ticket:
            for i in range(ring.slot_words):
                await port.store(ring.slot(ticket, i), TOMBSTONE)
            await port.store(ring.seq(ticket), ticket + 1)


async def break_stale_lock(port, ring, epoch):
    """Release the lock of a locked ring that only the caller produces into if an older
    incarnation (another epoch) holds it: that holder is dead."""
    while True:
        held = await port.movli(ring.lock)
        if not held & LOCK_HELD or held & LOCK_OWNER_MASK == epoch:
            return
        if await port.movco(ring.lock, 0):
            return
