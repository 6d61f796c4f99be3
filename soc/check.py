"""The independent judge of an IOC scenario on the SoC: the history the two cores logged on their
consoles (``soc/firmware/scen.c``), rebuilt and judged by :mod:`sw_model.checkers`.

The cores log each event as a line ``H <kind> <thread> <channel> <direction> <id>`` (``id`` in
hexadecimal), in each core's program order. Events of different cores carry no common clock, so
the history puts every core's sends (``send``, ``enq``, ``busy``) before every
dequeue (``deliver``, or ``corrupt`` for words that are no intact message: the checkers count
them and deliver nothing): per sender and channel the order is each core's own, which is what
the exactly-once and in-order checks judge; a delivery of a message nobody logged is still a
phantom.
"""

import re
from dataclasses import dataclass

from sw_model.checkers import check_conservation, check_delivery
from sw_model.history import History

__all__ = ["EVENT", "Verdict", "history", "judge"]

#: One logged event; the thread is named ``<core>.<thread>`` in the history.
EVENT = re.compile(r"H (send|enq|busy|deliver|corrupt) (\w+) (\d+) ([01]) ([0-9a-f]{8})")
#: What a dequeue returned: a message, or words that are none (torn or overwritten slot).
_DELIVERIES = ("deliver", "corrupt")


def history(console):
    """The :class:`~sw_model.history.History` of a run from its consoles (``console[k]``: core
    *k*'s lines). Raises :class:`ValueError` on a malformed event line."""
    sends, deliveries = [], []
    for core, lines in enumerate(console):
        for line in lines:
            if not line.startswith("H "):
                continue
            match = EVENT.fullmatch(line)
            if match is None:
                raise ValueError(f"core {core} logged a malformed event: {line!r}")
            kind, thread, channel, direction, msg = match.groups()
            event = (kind, f"{core}.{thread}", (int(channel), int(direction)), int(msg, 16))
            (deliveries if kind in _DELIVERIES else sends).append(event)
    events = History()
    for event in sends + deliveries:
        events.add(*event)
    return events


@dataclass(frozen=True)
class Verdict:
    """What the checkers found in one run.

    Members
    -------
    delivery : DeliveryReport
        :func:`~sw_model.checkers.check_delivery` (exactly once, in order, per sender).
    conservation : dict
        :func:`~sw_model.checkers.check_conservation`: per (channel, direction), sent =
        delivered + dropped + refused.
    events : int
        Events in the history.
    """
    delivery: object
    conservation: dict
    events: int

    @property
    def sent(self):
        return sum(count.sent for count in self.conservation.values())

    @property
    def delivered(self):
        return sum(count.delivered for count in self.conservation.values())

    @property
    def ok(self):
        return self.delivery.ok and all(c.balanced for c in self.conservation.values())

    def __str__(self):
        if self.ok:
            return f"ok {self.delivered}/{self.sent}"
        if self.delivery.lost:
            return f"lost {len(self.delivery.lost)}"
        if not self.delivery.ok:
            return str(self.delivery)
        return "unbalanced " + ", ".join(f"{channel}: {count.violations}" for channel, count
                                         in sorted(self.conservation.items())
                                         if not count.balanced)


def judge(console):
    """Judge a run's consoles; returns a :class:`Verdict`."""
    events = history(console)
    return Verdict(check_delivery(events), check_conservation(events), len(events.events))
