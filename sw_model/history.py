"""Recorded histories of message traffic: what the checkers judge.

Events are appended in the order they happen; every append happens between two scheduling points,
so the list order is the real-time order of the run.
"""

from dataclasses import dataclass

__all__ = ["SEQ_BITS", "Event", "History", "message_words", "message_id", "producer_message",
           "message_seq"]

_CHECK = 0xA5A5_A5A5
#: A data message's id: its producer + 1 above its ``SEQ_BITS``-bit sequence number (the C
#: test code gets it from the generated ``message_ids.h``).
SEQ_BITS = 16


def producer_message(producer, seq):
    """The id of producer ``producer``'s ``seq``-th message (never 0: 0 is a tombstone)."""
    if not 0 <= seq < 1 << SEQ_BITS:
        raise ValueError(f"seq must be from 0 to {(1 << SEQ_BITS) - 1}, not {seq!r}")
    return (producer + 1) << SEQ_BITS | seq


def message_seq(msg):
    """The sequence number of a message id made by :func:`producer_message`."""
    return msg & ((1 << SEQ_BITS) - 1)


def message_words(msg_id, slot_words):
    """The slot contents that carry ``msg_id``: the id, then check words derived from it, so a
    slot mixed from two messages is caught as corrupt."""
    return (msg_id,) + tuple((msg_id ^ _CHECK) + k & 0xFFFF_FFFF for k in range(slot_words - 1))


def message_id(words):
    """The id carried by ``words``, or ``None`` if the check words do not match it."""
    return words[0] if tuple(words) == message_words(words[0], len(words)) else None


@dataclass(frozen=True)
class Event:
    """One history entry.

    ``kind`` is one of:

    - ``"send"``: ``thread`` starts sending ``msg`` on ``channel`` (invocation);
    - ``"enq"`` / ``"busy"``: that attempt completed, enqueued / refused as full;
    - ``"drop"``: ``msg`` was reported to its sender as dropped (it gives up on it);
    - ``"flushed"``: ``msg`` was reported dropped because a reset flushed it from a hardware
      message FIFO (``thread`` is the one that found out, from ``FIFO_STATUS.DROPPED``); unlike
      a ``"drop"``, which may be conservative, it is certain: the message can never be
      delivered (see :class:`~sw_model.guests.IocEnv`);
    - ``"deq_begin"``: ``thread`` starts a dequeue on ``channel``;
    - ``"deliver"``: the dequeue returned ``msg`` (committed); ``"empty"``: it returned nothing;
    - ``"corrupt"``: the dequeue returned words that are no valid message;
    - ``"tombstone"``: it returned the all-zero filler of a slot whose producer died.
    """
    kind: str
    thread: str
    channel: object
    msg: int | None = None


class History:
    """An append-only list of :class:`Event` objects, with helpers for the usual ones.

    Members
    -------
    clock : callable or None
        If set, :attr:`times` gets its value for every event, when the event is recorded (kept
        apart from the events, so histories of two backends still compare equal).
    times : list
    """

    def __init__(self):
        self.events = []
        self.clock = None
        self.times = []

    def add(self, kind, thread, channel, msg=None):
        self.events.append(Event(kind, thread, channel, msg))
        if self.clock is not None:
            self.times.append(self.clock())

    def abandon(self, thread):
        """``thread`` was killed: if it was in the middle of a send, report that message
        dropped (the sender is gone; its successor repairs the ring)."""
        for event in reversed(self.events):
            if event.thread == thread:
                if event.kind == "send":
                    self.add("drop", thread, event.channel, event.msg)
                return

    def summary(self):
        """What :func:`~sw_model.checkers.check_delivery` depends on, as a hashable value:
        per thread, its deliveries, drops and corruptions in order, and the latest outcome of
        each message's sends (the interleaving of different threads' events does not matter
        to it, nor does how often a send was retried)."""
        per_thread, outcome = {}, {}
        for e in self.events:
            if e.kind in ("send", "enq", "busy"):
                outcome[e.msg] = e.kind
            elif e.kind in ("deliver", "drop", "flushed", "corrupt"):
                per_thread.setdefault(e.thread, []).append((e.kind, e.channel, e.msg))
        return (tuple(sorted((name, tuple(seq)) for name, seq in per_thread.items())),
                tuple(sorted(outcome.items())))

    def __len__(self):
        return len(self.events)

    def __iter__(self):
        return iter(self.events)

    async def send(self, variant, port, ring, *, thread, channel, msg, slot_words, owner=0,
                   pushed=None):
        """Enqueue ``msg`` once through ``variant`` (as lock owner ``owner``), recording the
        attempt; return the result. ``pushed`` is passed on to a variant that takes it
        (:class:`~sw_model.ring.HwFifoRing`)."""
        self.add("send", thread, channel, msg)
        extra = {} if pushed is None else {"pushed": pushed}
        done = await variant.enqueue(port, ring, message_words(msg, slot_words), owner, **extra)
        self.add("enq" if done else "busy", thread, channel, msg)
        return done

    async def receive(self, variant, port, ring, *, thread, channel):
        """Dequeue once through ``variant``, recording the outcome; return the id, ``0`` for a
        tombstone, or ``None`` if nothing was ready."""
        self.add("deq_begin", thread, channel)
        words = await variant.dequeue(port, ring)
        if words is None:
            self.add("empty", thread, channel)
            return None
        if not any(words):
            self.add("tombstone", thread, channel)
            return 0
        msg = message_id(words)
        self.add("deliver" if msg is not None else "corrupt", thread, channel, msg)
        return msg if msg is not None else words[0]
