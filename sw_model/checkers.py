"""Checkers over recorded :class:`~sw_model.history.History` objects.

- :func:`check_delivery`: every message sent is delivered exactly once, or reported to its sender
  as dropped (and then delivered at most once; never, if the report was of a hardware FIFO's
  flush, which is certain); per sender and channel, in order.
- :func:`check_conservation`: per channel, a drain-and-count balance: every message sent is
  delivered, reported dropped, or refused as busy (its sender knows), exactly one of them.
- :func:`check_linearizable`: the ring operations of a small history can be ordered into a run of
  a sequential bounded FIFO, respecting real-time order (Wing & Gong's search).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

__all__ = ["DeliveryReport", "check_delivery", "ChannelCount", "check_conservation",
           "ring_operations", "check_linearizable", "LinearizabilityUndecided", "TOMBSTONE"]

_DEQ_RESULTS = ("deliver", "empty", "corrupt", "tombstone")
#: The value of a tombstone in :func:`ring_operations`.
TOMBSTONE = "tombstone"


@dataclass
class DeliveryReport:
    """The verdict of :func:`check_delivery`; every list holds message ids.

    Members
    -------
    lost : list
        Sent (and not refused as busy), never delivered, never reported dropped: lost
        silently.
    duplicated : list
        Delivered more than once.
    unsent : list
        Delivered without ever having been enqueued (phantoms).
    corrupt : int
        Dequeues that returned a slot no sender wrote as such (torn or overwritten).
    reordered : list
        Delivered before an earlier message of the same sender on the same channel.
    revived : list
        Reported flushed from a hardware FIFO (``"flushed"``) and delivered all the same: the
        flush accounting named a message that was not in the FIFO.
    dropped, delivered : int
        How many messages were reported dropped and delivered (for the record).
    """
    lost: list = field(default_factory=list)
    duplicated: list = field(default_factory=list)
    unsent: list = field(default_factory=list)
    corrupt: int = 0
    reordered: list = field(default_factory=list)
    revived: list = field(default_factory=list)
    dropped: int = 0
    delivered: int = 0

    @property
    def ok(self):
        return not (self.lost or self.duplicated or self.unsent or self.corrupt
                    or self.reordered or self.revived)

    def __str__(self):
        if self.ok:
            return f"ok: {self.delivered} delivered, {self.dropped} reported dropped"
        parts = [f"{name}={getattr(self, name)}" for name in
                 ("lost", "duplicated", "unsent", "corrupt", "reordered", "revived")
                 if getattr(self, name)]
        return "VIOLATION: " + ", ".join(parts)


def check_delivery(history):
    """Judge a history for exactly-once, in-order delivery (see the module docstring).

    A message counts from its first ``send``: a consumer may commit it before the producer's
    enqueue returns. A message whose last attempt was refused as ``busy`` was never accepted;
    its sender knows, so it is not lost, whatever the sender does about it. A message reported
    ``"flushed"`` counts as dropped, and must never be delivered.
    """
    report = DeliveryReport()
    sender_of, outcome, dropped, flushed = {}, {}, set(), set()
    delivered = Counter()
    last_index = {}
    order = defaultdict(list)
    for event in history:
        if event.kind == "send":
            if event.msg not in sender_of:
                sender_of[event.msg] = (event.thread, event.channel)
                order[sender_of[event.msg]].append(event.msg)
            outcome[event.msg] = "pending"
        elif event.kind in ("enq", "busy"):
            outcome[event.msg] = event.kind
        elif event.kind in ("drop", "flushed"):
            dropped.add(event.msg)
            if event.kind == "flushed":
                flushed.add(event.msg)
        elif event.kind == "corrupt":
            report.corrupt += 1
        elif event.kind == "deliver":
            delivered[event.msg] += 1
            if event.msg not in sender_of:
                report.unsent.append(event.msg)
                continue
            stream = sender_of[event.msg]
            index = order[stream].index(event.msg)
            if index < last_index.get(stream, -1):
                report.reordered.append(event.msg)
            last_index[stream] = max(index, last_index.get(stream, -1))
    report.duplicated = sorted(m for m, n in delivered.items() if n > 1)
    report.revived = sorted(m for m in flushed if delivered[m])
    report.lost = sorted(m for m, state in outcome.items()
                         if state != "busy" and not delivered[m] and m not in dropped)
    report.dropped = len(dropped)
    report.delivered = sum(1 for m in delivered if m in sender_of)
    return report


@dataclass
class ChannelCount:
    """The balance of one channel (one ring) after a run drained, from :func:`check_conservation`.

    Members
    -------
    sent : int
        Distinct messages whose sending was attempted.
    delivered : int
        Of those, delivered (exactly once; a message reported dropped that its consumer still
        got counts here: its sender was told conservatively).
    dropped : int
        Reported dropped (or flushed) to their sender and never delivered.
    refused : int
        Last attempt refused as busy and never delivered (the sender got the answer).
    violations : list of str
        Silent losses, duplicates, phantom deliveries and deliveries of messages reported
        flushed.
    """
    sent: int = 0
    delivered: int = 0
    dropped: int = 0
    refused: int = 0
    violations: list = field(default_factory=list)

    @property
    def balanced(self):
        return (not self.violations
                and self.sent == self.delivered + self.dropped + self.refused)


def check_conservation(history):
    """Count, per channel, what became of every message: ``{channel: ChannelCount}``.

    To be applied once the rings are drained: a message still in a ring counts as lost.
    """
    counts = defaultdict(ChannelCount)
    sent, last, dropped, flushed = defaultdict(set), {}, set(), set()
    delivered = defaultdict(Counter)
    for event in history:
        if event.msg is None:
            continue
        if event.kind == "send":
            sent[event.channel].add(event.msg)
        if event.kind in ("send", "enq", "busy"):
            last[event.channel, event.msg] = event.kind
        elif event.kind in ("drop", "flushed"):
            dropped.add((event.channel, event.msg))
            if event.kind == "flushed":
                flushed.add((event.channel, event.msg))
        elif event.kind == "deliver":
            delivered[event.channel][event.msg] += 1
    for channel in sent.keys() | delivered.keys():
        count = counts[channel]
        got = delivered[channel]
        count.sent = len(sent[channel])
        for msg in sorted(sent[channel]):
            if got[msg] > 1:
                count.violations.append(f"{msg:#x} delivered {got[msg]} times")
            if got[msg] and (channel, msg) in flushed:
                count.violations.append(f"{msg:#x} reported flushed, delivered")
            if got[msg]:
                count.delivered += 1
            elif (channel, msg) in dropped:
                count.dropped += 1
            elif last[channel, msg] == "busy":
                count.refused += 1
            else:
                count.violations.append(f"{msg:#x} lost silently")
        count.violations += [f"{msg:#x} delivered, never sent" for msg in sorted(got)
                             if msg not in sent[channel]]
    return dict(counts)


def ring_operations(history, channel):
    """Extract the operations on ``channel`` as ``(kind, value, invoked, returned)`` tuples
    for :func:`check_linearizable`: ``("enq", msg, ...)`` for successful enqueues,
    ``("deq", msg, ...)`` for deliveries and ``("deq", None, ...)`` for empty results.

    A busy or empty result that overlaps an operation of the other kind is left out: the ring
    reports them conservatively while a producer or the consumer is half-way through (a
    reserved but unpublished slot reads as empty), so they only claim anything at quiescence.

    A send its thread never finished (the thread was killed: the history reports it dropped
    with no outcome) may have taken effect, with the message (published, but the thread died
    before it could tell: e.g. holding the lock of the locked ring) or with an empty slot that
    the producer's successor later fills with a tombstone: it becomes an optional
    ``("enq?", frozenset({msg, TOMBSTONE}), invoked, died)`` that the linearization may take
    at any time after its invocation (the slot stays reserved and unpublished, reading as
    empty, until the successor publishes the tombstone), with either value, or never; a
    dequeue that returned a tombstone is ``("deq", TOMBSTONE, ...)``.

    A report of messages ``"flushed"`` (a reset emptied the hardware FIFO they were in: one
    report is a run of consecutive events) is ``("flush", frozenset(msgs), invoked,
    reported)``: the queue held exactly those messages, and then nothing. It is invoked when
    the last of their enqueues returned (the reset came later), and linearized by the report.
    """
    pending, ops, flushes, enqueued = {}, [], [], {}
    for index, event in enumerate(history):
        if event.channel != channel:
            continue
        if event.kind in ("send", "deq_begin"):
            pending[event.thread] = (index, event.msg)
        elif event.kind == "flushed":
            if flushes and flushes[-1][1] == index - 1:
                flushes[-1][0].add(event.msg)
                flushes[-1][1] = index
            else:
                flushes.append([{event.msg}, index, index])
        elif event.kind == "drop" and event.thread in pending:
            invoked, msg = pending.pop(event.thread)
            ops.append(("enq?", frozenset({msg, TOMBSTONE}), invoked, index))
            enqueued[msg] = index
        elif event.kind in ("enq", "busy") or event.kind in _DEQ_RESULTS:
            invoked, msg = pending.pop(event.thread)
            kind = "deq" if event.kind in _DEQ_RESULTS else event.kind
            value = {"empty": None, "corrupt": ("corrupt", index), "deliver": event.msg,
                     "tombstone": TOMBSTONE}.get(event.kind, msg)
            if kind == "enq":
                enqueued[msg] = index
            ops.append((kind, value, invoked, index))
    for msgs, _, reported in flushes:
        ops.append(("flush", frozenset(msgs), max(enqueued.get(m, 0) for m in msgs), reported))
    open_ops = [(kind, invoked) for _, (invoked, msg) in pending.items()
                for kind in (("enq",) if msg is not None else ("deq",))]

    def overlaps(kind, invoked, returned):
        return (any(k == kind and i <= returned for k, i in open_ops)
                or any(k.rstrip("?") == kind and i <= returned and (k.endswith("?")
                                                                  or invoked <= r)
                       for k, _, i, r in ops))

    return [op for op in ops
            if not (op[0] == "busy" and overlaps("deq", op[2], op[3]))
            and not (op[0] == "deq" and op[1] is None and overlaps("enq", op[2], op[3]))]


class LinearizabilityUndecided(Exception):
    """:func:`check_linearizable` gave up: the history has too many interleavings to search."""


def check_linearizable(ops, capacity, *, max_states=None):
    """Whether ``ops`` (from :func:`ring_operations`) linearize to a FIFO of ``capacity`` slots.

    An optional operation (kind ``"enq?"``: its thread was killed at ``returned``) may be
    linearized at any point after its invocation, or left out; its value is a ``frozenset``
    and it enqueues any one of its members. A ``"flush"`` empties a queue that holds exactly
    the messages of its value (a ``frozenset``).

    Raises
    ------
    LinearizabilityUndecided
        If ``max_states`` is given and the search visited more states than that.

    Returns
    -------
    list or None
        One witness order (the operations, linearized), or ``None`` if there is none.
    """
    ops = sorted(ops, key=lambda op: op[2])
    required = sum(1 << i for i, op in enumerate(ops) if op[0] != "enq?")
    if not required:
        return []

    invoked = [op[2] for op in ops]

    def moves(done, queue):
        """The operations that can come next, with the queue after each."""
        # Minimal operations: none still to linearize returned before they were invoked. The
        # operations are sorted by invocation and none returns before it is invoked, so both
        # scans start at the first one not done and stop at the first invoked after the
        # horizon (a soak's history has thousands; only a few overlap).
        first = (~done & (done + 1)).bit_length() - 1
        horizon = None
        for i in range(first, len(ops)):
            if horizon is not None and invoked[i] > horizon:
                break
            if not done >> i & 1 and required >> i & 1:
                horizon = ops[i][3] if horizon is None else min(horizon, ops[i][3])
        for i in range(first, len(ops)):
            kind, value, start, _ = ops[i]
            if start > horizon:
                break
            if done >> i & 1:
                continue
            if kind in ("enq", "enq?"):
                if len(queue) >= capacity:
                    continue
                for v in sorted(value, key=repr) if isinstance(value, frozenset) else (value,):
                    yield i, queue + (v,)
            elif kind == "busy":
                if len(queue) >= capacity:
                    yield i, queue
            elif kind == "flush":
                if len(set(queue)) == len(queue) and set(queue) == value:
                    yield i, ()
            elif value is None:
                if not queue:
                    yield i, queue
            elif queue and queue[0] == value:
                yield i, queue[1:]

    # Depth-first search with an explicit stack (histories of soaks run to thousands of
    # operations), never visiting a (done, queue) state twice.
    seen = {(0, ())}
    stack, order = [(0, moves(0, ()))], []
    while stack:
        done, options = stack[-1]
        for i, after in options:
            now = done | 1 << i
            if (now & required) == required:
                return order + [ops[i]]
            if (now, after) not in seen:
                seen.add((now, after))
                if max_states is not None and len(seen) > max_states:
                    raise LinearizabilityUndecided(f"more than {max_states} states")
                order.append(ops[i])
                stack.append((now, moves(now, after)))
                break
        else:
            stack.pop()
            if order:
                order.pop()
    return None
