"""The functional cover groups of the subsystem, declared with ``cocotb-coverage``.

Bins are plain strings so that a per-test dump is JSON and files of different configurations
merge by name. The groups (each a cover group of cover points and one cross):

``ioc.txn``
    Every AXI transaction as the port answered it: operation (read, write, LL = exclusive read,
    SC = exclusive write; single beat or burst) x response x agent x contention (another agent's
    front end requested the access slot in a cycle in which this transaction's port did).
``ioc.reg``
    Every access the arbiter granted to the register window: register (every :data:`REGMAP`
    entry of the configuration) x access (read, write) x privilege.
``ioc.axi``
    The form of every AXI request a port accepted: ``AxSIZE`` (1, 2, 4 bytes or wider than
    the bus) x burst type x direction.
``ioc.entry``
    Every register *entry* (array elements one by one, e.g. ``CH_CFG[5]``) x access.
``ioc.channel``
    Doorbells set at each agent on each channel, and epoch changes of each channel.
``ioc.refusal``
    Why the register block refused an access (the :data:`BAD_ACCESSES` list).
``ioc.llsc``
    LL/SC outcomes (success, each SC failure cause, an unsupported exclusive write, a
    reservation clear in the very cycle of the LL or the SC) x agent.
``ioc.agent``
    Guest resets (``agent_rst`` pulses) of each agent.
``ioc.events``
    Scenario events the hardware went through (doorbells, irq edges, resets, watchdog
    expiry, bus errors, back-pressure, corner cases of same-cycle collisions).
``ioc.ring``
    Outcomes of ring operations of ``sw_model`` code running on the RTL (``full`` is the
    back-pressure of a full ring).

The sampler that feeds these from the DUT's signals is :mod:`testbench.coverage_monitor`; this
module has no simulator dependency.
"""

from cocotb_coverage.coverage import CoverCross, CoverItem, CoverPoint, coverage_db

from ioc_defs.params import ScFailCause
from ioc_defs.regmap import BAD_ACCESSES, REGMAP
from sw_model.regblock import static_refusal  # noqa: F401 (re-exported for the monitor)

__all__ = ["OPS", "RESPONSES", "CONTENTION", "ACCESSES", "PRIVILEGES", "EVENTS", "FIFO", "RING",
           "LLSC", "SIZES", "BURSTS", "DIRECTIONS", "entries",
           "REFUSALS", "ROOT", "PRIMARY", "registers", "declare", "snapshot", "delta",
           "static_refusal",
           "label"]

ROOT = "ioc"
OPS = ("read", "read-burst", "write", "write-burst", "ll", "ll-burst", "sc", "sc-burst")
RESPONSES = ("OKAY", "EXOKAY", "SLVERR", "DECERR")
CONTENTION = ("alone", "contended")
ACCESSES = ("read", "write")
PRIVILEGES = ("user", "priv")
REFUSALS = tuple(b.name for b in BAD_ACCESSES)
#: Scenario events, in the order of the report.
EVENTS = (
    "doorbell", "doorbell_self", "irq_raise", "irq_ack",
    "doorbell_and_ack_same_cycle", "event_and_ack_same_cycle",
    "resv_clear", "agent_reset", "peer_reset_event", "channel_reset",
    "epoch_change_agent_reset", "epoch_change_channel_reset",
    "watchdog_expiry", "bus_error_fabric", "bus_error_register",
    "r_backpressure", "b_backpressure", "read_and_write_in_flight_same_port",
    "read_write_alternation", "all_agents_request",
)
#: Message FIFO events (configurations with FIFOs): accepted sends and receives, refused ones
#: (full, empty), threshold crossings, and a flush that drops words.
FIFO = ("send", "receive", "send_full", "receive_empty", "send_threshold", "receive_threshold",
        "flush_drops_words")
#: What an agent's LL/SC pair came to (crossed with the agent: the monitor is per agent).
LLSC = ("sc_success", *(f"sc_fail_{c.name}" for c in ScFailCause if c is not ScFailCause.NONE),
        "sc_fail_unsupported_form", "ll_and_clear_same_cycle", "sc_and_clear_same_cycle")
SIZES = ("1B", "2B", "4B", "wider")
BURSTS = ("FIXED", "INCR", "WRAP")
DIRECTIONS = ("read", "write")
#: History event kinds of ``sw_model`` ring code (``busy`` = the ring was full).
RING = ("enq", "busy", "drop", "deliver", "empty", "corrupt", "tombstone")

#: The items whose holes are listed in the report (their cover points are projections of them).
PRIMARY = (f"{ROOT}.txn.cross", f"{ROOT}.reg.cross", f"{ROOT}.axi.cross",
           f"{ROOT}.llsc.cross", f"{ROOT}.agent.reset",
           f"{ROOT}.entry.cross", f"{ROOT}.channel.doorbell", f"{ROOT}.channel.epoch",
           f"{ROOT}.refusal.reason", f"{ROOT}.events.event", f"{ROOT}.fifo.event",
           f"{ROOT}.ring.outcome")


def registers(params):
    """Names of the registers implemented in a configuration, in map order."""
    return tuple(reg.name for reg in REGMAP if reg.count(params))


def entries(params):
    """Every implemented register entry of a configuration: ``NAME`` or ``NAME[i]``."""
    return tuple(reg.name if reg.array is None else f"{reg.name}[{i}]"
                 for reg, i, _ in REGMAP.instances(params))


def agents(params):
    return tuple(f"a{k}" for k in range(params.n_agents))


def label(bin_):
    """A bin as a string: cross bins (tuples) joined with ``" x "``."""
    return " x ".join(bin_) if isinstance(bin_, tuple) else str(bin_)


class Samplers:
    """Sampling functions of the cover groups (call them with positional arguments only, as
    ``cocotb-coverage`` requires)."""

    def __init__(self, **samplers):
        for name, f in samplers.items():
            setattr(self, name, f)


_declared = {}


def declare(params):
    """Create the cover groups for ``params`` in ``cocotb-coverage``'s database (once per
    process: the database is a singleton) and return their :class:`Samplers`."""
    if params in _declared:
        return _declared[params]
    if _declared:
        raise RuntimeError("cover groups are already declared for another configuration")
    r = ROOT

    def item(i):
        return lambda *args: args[i]

    @CoverPoint(f"{r}.txn.op", xf=item(0), bins=list(OPS))
    @CoverPoint(f"{r}.txn.resp", xf=item(1), bins=list(RESPONSES))
    @CoverPoint(f"{r}.txn.agent", xf=item(2), bins=list(agents(params)))
    @CoverPoint(f"{r}.txn.contention", xf=item(3), bins=list(CONTENTION))
    @CoverCross(f"{r}.txn.cross", items=[f"{r}.txn.op", f"{r}.txn.resp", f"{r}.txn.agent",
                                         f"{r}.txn.contention"])
    def txn(op, resp, agent, contention):
        pass

    @CoverPoint(f"{r}.reg.register", xf=item(0), bins=list(registers(params)))
    @CoverPoint(f"{r}.reg.access", xf=item(1), bins=list(ACCESSES))
    @CoverPoint(f"{r}.reg.privilege", xf=item(2), bins=list(PRIVILEGES))
    @CoverCross(f"{r}.reg.cross", items=[f"{r}.reg.register", f"{r}.reg.access",
                                         f"{r}.reg.privilege"])
    def reg(register, access, privilege):
        pass

    @CoverPoint(f"{r}.axi.size", xf=item(0), bins=list(SIZES))
    @CoverPoint(f"{r}.axi.burst", xf=item(1), bins=list(BURSTS))
    @CoverPoint(f"{r}.axi.direction", xf=item(2), bins=list(DIRECTIONS))
    @CoverCross(f"{r}.axi.cross", items=[f"{r}.axi.size", f"{r}.axi.burst",
                                         f"{r}.axi.direction"])
    def axi(size, burst, direction):
        pass

    @CoverPoint(f"{r}.entry.entry", xf=item(0), bins=list(entries(params)))
    @CoverPoint(f"{r}.entry.access", xf=item(1), bins=list(ACCESSES))
    @CoverCross(f"{r}.entry.cross", items=[f"{r}.entry.entry", f"{r}.entry.access"])
    def entry(name, access):
        pass

    channels = [f"c{c}" for c in range(params.n_channels)]

    @CoverPoint(f"{r}.channel.doorbell", bins=[f"{a} x {c}" for a in agents(params)
                                               for c in channels])
    def doorbell(at):
        pass

    @CoverPoint(f"{r}.channel.epoch", bins=channels)
    def epoch(channel):
        pass

    @CoverPoint(f"{r}.llsc.outcome", xf=item(0), bins=list(LLSC))
    @CoverPoint(f"{r}.llsc.agent", xf=item(1), bins=list(agents(params)))
    @CoverCross(f"{r}.llsc.cross", items=[f"{r}.llsc.outcome", f"{r}.llsc.agent"])
    def llsc(outcome, agent):
        pass

    @CoverPoint(f"{r}.agent.reset", bins=list(agents(params)))
    def agent_reset(agent):
        pass

    @CoverPoint(f"{r}.refusal.reason", bins=list(REFUSALS))
    def refusal(reason):
        pass

    @CoverPoint(f"{r}.events.event", bins=list(EVENTS))
    def event(name):
        pass

    @CoverPoint(f"{r}.fifo.event", bins=list(FIFO))
    def fifo(name):
        pass

    @CoverPoint(f"{r}.ring.outcome", bins=list(RING))
    def ring(kind):
        pass

    _declared[params] = Samplers(txn=txn, reg=reg, axi=axi, entry=entry, doorbell=doorbell,
                                 epoch=epoch, llsc=llsc, agent_reset=agent_reset,
                                 refusal=refusal, event=event, fifo=fifo, ring=ring)
    return _declared[params]


def snapshot():
    """``{item name: {bin label: hits}}`` of every cover point and cross under ``ioc``."""
    return {name: {label(b): hits for b, hits in item.detailed_coverage.items()}
            for name, item in coverage_db.items()
            if name.startswith(ROOT + ".") and type(item) is not CoverItem}


def delta(before, after):
    """Hits in ``after`` that are not in ``before`` (same items and bins)."""
    return {name: {b: hits - before.get(name, {}).get(b, 0) for b, hits in bins.items()}
            for name, bins in after.items()}
