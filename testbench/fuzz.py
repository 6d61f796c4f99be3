"""Bad-input fuzzing: random illegal and unprivileged AXI bursts, and the response each must get.

:func:`draw` makes one random burst of an agent: unmapped addresses, bursts leaving their
region (4 KiB crossings included), FIXED/WRAP/reserved burst types, ``AxSIZE`` wider than the
bus, every register of the map and the holes between them with any size, alignment, strobe,
privilege, exclusive flag and data (so limits, write-only reads, read-only writes, doorbells on
foreign or disabled channels, unprivileged writes to privileged registers, kicks by agents not
in the mask...), unsupported exclusives to shared RAM, and some legal traffic in the agent's own
part of the RAM so that the state is not trivial.

:func:`expected` is the oracle: the documented answer of every beat, from the address map
(:class:`ioc_defs.params.IocParams`), the front end's rules (SPEC §3.1) and, for register beats,
the register block's reference model (:meth:`sw_model.regblock.RegBlock.refusal`), never a
hard-coded table. The fuzz never performs an accepted privileged write, so the state that
decides refusals (channel endpoints and enables, kick masks) is the one set up at the start.
The one refusal that the fuzz's own legal traffic decides is a message FIFO's full or empty:
a send or receive by the FIFO's own sender or receiver may get OKAY or SLVERR (the agents run
at once, so their order is the arbiter's); by anyone else it is refused.

The RAM is split: the lower half is protected (a pattern that must survive; only refused or
failing accesses are aimed at it), the upper half gives each agent a scratch area for legal
traffic.
"""

from dataclasses import dataclass, field

from ioc_defs.axi import (
    WORD_SIZE,
    AxiBurst,
    AxiResp,
    burst_error,
    burst_last,
    exclusive_supported,
    write_responses,
)
from ioc_defs.params import REG_BASE, REG_SIZE, IocParams, Region
from ioc_defs.regmap import REGMAP
from sw_model.bursts import beat_addresses

__all__ = ["Txn", "CATEGORIES", "draw", "expected", "check_beats", "protected_setup",
           "scratch", "protected_ram", "ram_pattern"]


#: Kinds of burst :func:`draw` makes, with their weights; ``legal`` is not counted as fuzz.
CATEGORIES = {
    "unmapped": 8, "leaves_region": 8, "burst_type": 8, "too_wide": 5, "register": 45,
    "bad_exclusive": 8, "legal": 18,
}


@dataclass
class Txn:
    """One burst as it goes on the wires (``beats`` only for writes: ``(wdata, wstrb)``)."""
    category: str
    write: bool
    addr: int
    length: int = 0
    size: int = WORD_SIZE
    burst: int = AxiBurst.INCR
    lock: int = 0
    prot: int = 0
    beats: list = field(default_factory=list)

    @property
    def priv(self):
        return bool(self.prot & 1)


def scratch(params, agent):
    """``[lo, hi)``: agent's scratch area, where its legal writes go."""
    half = params.shm_bytes // 2
    size = half // params.n_agents & ~3
    return half + agent * size, half + (agent + 1) * size


def protected_ram(params):
    """``[lo, hi)`` of the shared RAM that only refused or failing accesses reach."""
    return 0, params.shm_bytes // 2


def ram_pattern(params):
    lo, hi = protected_ram(params)
    return bytes((i * 37 + 11) & 0xFF for i in range(lo, hi))


def protected_setup(params, rng):
    """Privileged register writes that set up channels and watchdogs: ``[(name, index,
    value)]``, made once before the fuzz, on the RTL and on the oracle's model alike. Some
    channels stay disabled; watchdogs are configured but not enabled (an expiry would change
    protected state by itself)."""
    writes = []
    for c in range(params.n_channels):
        a, b = rng.randrange(params.n_agents), rng.randrange(params.n_agents)
        writes.append(("CH_CFG", c, REGMAP["CH_CFG"].compose(
            {"EP_A": a, "EP_B": b, "ENABLE": int(rng.random() < 0.75)})))
    for w in range(params.n_watchdogs):
        writes.append(("WDOG_PERIOD", w, rng.randrange(1, 1 << 16)))
        writes.append(("WDOG_CTRL", w, REGMAP["WDOG_CTRL"].compose(
            {"ENABLE": 0, "SUPERVISOR": rng.randrange(params.n_agents),
             "KICK_MASK": rng.randrange(1 << params.n_agents)})))
    return writes


def expected(params, regs, agent, t):
    """The documented answer to ``t`` from ``agent``: a list with one set of allowed
    responses per R beat for reads, a one-element list (the B response) for writes. ``regs``
    is the oracle's :class:`~sw_model.regblock.RegBlock`, set up as the RTL was."""
    region = params.region(t.addr)
    last = burst_last(t.addr, t.length, t.size, t.burst)
    error = burst_error(region, params.region(last), t.burst, t.size)
    if error is not None:
        return [{error}] * (1 if t.write else t.length + 1)
    if region == Region.SHM:
        supported = t.lock and exclusive_supported(t.length == 0, t.size, t.addr)
        if supported and not t.write:
            return [{AxiResp.EXOKAY}]
        if supported:
            return [{AxiResp.OKAY, AxiResp.EXOKAY}]  # success depends on the reservation
        return [{AxiResp.OKAY}] * (1 if t.write else t.length + 1)
    beats = []
    for i, addr in enumerate(beat_addresses(t.addr, t.length, t.size)):
        data, strb = t.beats[i] if t.write else (0, 0b1111)
        refused = regs.refusal(agent, addr, t.write, data, strb, t.size, t.priv)
        hit = REGMAP.decode(params, addr - REG_BASE)
        if refused in (None, "CHECK") and hit[0].name == "FIFO_DATA" and \
                regs.fifo_party(agent, hit[1], t.write):
            beats.append({AxiResp.OKAY, AxiResp.SLVERR})
            continue
        beats.append({AxiResp.SLVERR} if refused else {AxiResp.OKAY})
    return [write_responses(beats)] if t.write else beats


def _write_beats(rng, n, size, addr, full=False):
    beats = []
    for i in range(n):
        if full:
            strb = 0b1111
        elif size == WORD_SIZE and rng.random() < 0.8:
            strb = 0b1111
        else:
            lane = (addr + (i << size)) % 4 & ~((1 << size) - 1)
            strb = ((1 << (1 << size)) - 1) << lane & 0b1111 if size < WORD_SIZE else \
                rng.randrange(16)
        beats.append((rng.getrandbits(32), strb))
    return beats


def _register_offsets(params):
    return sorted({addr for _, _, addr in REGMAP.instances(params)})


def draw(rng, params, agent, regs):
    """One random burst of ``agent`` (see the module docstring)."""
    if not isinstance(params, IocParams):
        raise TypeError(f"params must be an IocParams, not {params!r}")
    category = rng.choices(list(CATEGORIES), weights=list(CATEGORIES.values()))[0]
    write = rng.random() < 0.5
    shm, lo_prot = params.shm_bytes, protected_ram(params)
    t = Txn(category, write, 0, prot=rng.choice([0, 0, 0, 1, 2, 3]) & 1)
    if category == "unmapped":
        t.addr = rng.choice([rng.randrange(shm, REG_BASE), rng.randrange(REG_BASE + REG_SIZE,
                                                                         1 << 32)])
        t.length, t.size = rng.randrange(16), rng.randrange(3)
        t.addr &= ~((1 << t.size) - 1) if rng.random() < 0.8 else ~0
    elif category == "leaves_region":
        # Start near the end of a region (or a 4 KiB boundary) and run past it.
        end = rng.choice([shm, REG_BASE + REG_SIZE, REG_BASE])
        t.size = rng.randrange(3)
        t.length = rng.randrange(1, 64)
        span = t.length << t.size
        start = end - rng.randrange(1, span + 1)
        t.addr = (start & ~((1 << t.size) - 1)) if end != REG_BASE else REG_BASE - (1 << t.size)
        t.lock = int(rng.random() < 0.1)
    elif category == "burst_type":
        t.burst = rng.choice([AxiBurst.FIXED, AxiBurst.WRAP, 3])
        t.size = rng.randrange(3)
        t.length = rng.choice([1, 3, 7, 15]) if t.burst == AxiBurst.WRAP else rng.randrange(16)
        base = rng.choice([rng.randrange(*lo_prot), REG_BASE + rng.randrange(REG_SIZE),
                           shm - rng.randrange(1, 64), REG_BASE + REG_SIZE - rng.randrange(1, 64)])
        t.addr = base & ~((1 << t.size) - 1)
    elif category == "too_wide":
        t.size = rng.randrange(3, 8)
        t.length = rng.randrange(4)
        t.addr = rng.choice([rng.randrange(shm), REG_BASE + rng.randrange(REG_SIZE)])
        t.addr &= ~3
    elif category == "register":
        offsets = _register_offsets(params)
        off = rng.choice(offsets) if rng.random() < 0.85 else rng.randrange(0, REG_SIZE, 4)
        t.size = WORD_SIZE if rng.random() < 0.85 else rng.randrange(2)
        if rng.random() < 0.1:
            off += rng.randrange(1, 4)
        t.addr = REG_BASE + off
        t.length = 0 if rng.random() < 0.85 else rng.randrange(1, 4)
        t.lock = int(rng.random() < 0.1)
        if t.length and REG_BASE + off + (t.length << t.size) >= REG_BASE + REG_SIZE:
            t.length = 0
    elif category == "bad_exclusive":
        t.lock = 1
        t.addr = rng.randrange(*lo_prot)
        kind = rng.randrange(3)
        if kind == 0:      # a burst
            t.length = rng.randrange(1, 4)
            t.addr &= ~3
            t.addr = min(t.addr, lo_prot[1] - 4 * (t.length + 1))
        elif kind == 1:    # narrow or misaligned
            t.size = rng.randrange(2)
            t.addr &= ~((1 << t.size) - 1)
        else:              # supported form, but no reservation there: it must fail
            t.addr &= ~3
            t.write = True
    else:                  # legal traffic in the agent's scratch area
        lo, hi = scratch(params, agent)
        t.size = WORD_SIZE if rng.random() < 0.7 else rng.randrange(2)
        t.length = 0 if rng.random() < 0.6 else rng.randrange(1, 8)
        span = (t.length + 1) << t.size
        t.addr = rng.randrange(lo, hi - span + 1) & ~((1 << t.size) - 1)
        t.lock = int(t.length == 0 and t.size == WORD_SIZE and rng.random() < 0.3)
        if not t.write:
            t.addr = rng.randrange(0, shm - span + 1) & ~((1 << t.size) - 1)
            if t.lock:
                t.addr = rng.randrange(lo, hi - 3) & ~3
    if t.write:
        t.beats = _write_beats(rng, t.length + 1, t.size, t.addr)
    if t.write and t.priv and category != "legal" and params.region(t.addr) == Region.REG \
            and not all(regs.refusal(agent, a, True, d, s, t.size, True)
                        for a, (d, s) in zip(beat_addresses(t.addr, t.length, t.size), t.beats,
                                             strict=True)):
        # An accepted privileged write would change protected state: make it unprivileged
        # (then refused by the privileged registers, accepted by the others).
        t.prot &= ~1
    return t


def check_beats(allowed, got):
    """Compare the answer of a burst, ``got`` (``(data, resp)`` per R beat, or one ``(0,
    bresp)``), with :func:`expected`'s ``allowed``; returns the problems found (none: good).
    An error beat must carry no data."""
    if len(got) != len(allowed):
        return [f"{len(got)} beats answered, {len(allowed)} expected"]
    problems = []
    for i, ((data, resp), ok) in enumerate(zip(got, allowed, strict=True)):
        if resp not in ok:
            problems.append(f"beat {i}: {AxiResp(resp).name}, expected "
                            f"{'/'.join(sorted(AxiResp(r).name for r in ok))}")
        elif resp >= AxiResp.SLVERR and data:
            problems.append(f"beat {i}: {AxiResp(resp).name} with data {data:#x}")
    return problems
