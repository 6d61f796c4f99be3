"""cocotb suite: a short smoke run of the whole subsystem, for mutation testing (``make mutate``).

One test, with a time limit (a mutant may hang a port), touching every module: plain and burst
traffic from every agent (front ends, arbiter), then long read and write bursts of random
words on every port at once under RREADY/BREADY back-pressure (so that reads and writes
contend for each front end's request register, W beats wait in both W-buffer entries and R
beats in every R-queue entry), an LL/SC pair won and one lost to another
agent's store and a failed SC (monitor), a doorbell raising the peer's irq and its W1C, an
event, the watchdog expiring at its supervisor, the message FIFO filled, emptied and streamed
with pipelined accesses (register block); error answers (bursts leaving
the shared RAM, an unmapped address, a narrow exclusive); then a sweep of every register
word of the configuration (random in-range field values written by privileged and unprivileged
agents, every word read back by each agent), so that a mutant in the register block's storage,
decode or refusal logic changes an answer. The scoreboard (predicting every access and its
answer from the pins and the reference model) and the AXI checkers judge every cycle.
"""

import itertools
import random

import cocotb

from ioc_defs.axi import AxiResp
from ioc_defs.params import REG_BASE
from ioc_defs.regmap import REGMAP, Event
from testbench.tb import EXCL, TB

_LIMIT_US = 200


@cocotb.test(timeout_time=_LIMIT_US, timeout_unit="us")
async def smoke(dut):
    """Every module's main function once, on every agent; checkers judge."""
    tb = TB.from_env(dut)
    await tb.start()
    p = tb.params
    n = p.n_agents
    for k in range(n):
        m = tb.masters[k]
        base = 0x10 * k
        await m.write(base, bytes(range(k, k + 8)), awid=k)
        assert (await m.read(base, 8, arid=k)).data == bytes(range(k, k + 8))
        await m.write(base + 1, b"\x5a", awid=k, size=0)
        assert (await m.read(base + 1, 1, arid=k, size=0)).data == b"\x5a"
    await _streams(tb, random.Random(2))
    a, b = 0, 1 % n
    assert (await tb.masters[a].read(0x20, 4, arid=a, lock=EXCL)).resp == AxiResp.EXOKAY
    assert (await tb.masters[a].write(0x20, b"\x01\0\0\0", awid=a, lock=EXCL)).resp == \
        AxiResp.EXOKAY
    assert (await tb.masters[a].write(0x20, b"\x02\0\0\0", awid=a, lock=EXCL)).resp == \
        AxiResp.OKAY
    await tb.masters[a].read(0x24, 4, arid=a, lock=EXCL)
    if n > 1:
        await tb.masters[b].write(0x24, b"\x07\0\0\0", awid=b)
        assert (await tb.masters[a].write(0x24, b"\x03\0\0\0", awid=a, lock=EXCL)).resp == \
            AxiResp.OKAY
    # doorbell a -> b on channel 0, the peer's irq, W1C
    cfg = REGMAP["CH_CFG"].compose({"EP_A": a, "EP_B": b, "ENABLE": 1})
    assert await tb.reg_write(a, "CH_CFG", cfg, 0, priv=True) == AxiResp.OKAY
    assert await tb.reg_write(b, "CH_ENABLE", 1) == AxiResp.OKAY
    assert await tb.reg_write(a, "DOORBELL", 0) == AxiResp.OKAY
    await tb.cycles(2)
    assert int(dut.irq.value) >> b & 1
    assert await tb.reg_write(b, "CH_PENDING", 1) == AxiResp.OKAY
    await tb.cycles(2)
    if p.fifo_depth:
        await _fifo_stream(tb, a, b, random.Random(3))
    # a refused write: SLVERR and the caller's bus-error event
    assert await tb.reg_write(b, "CH_CFG", 0, 1) == AxiResp.SLVERR
    assert (await tb.reg_read(b, "EV_PENDING"))[0] >> Event.BUS_ERROR & 1
    if p.n_watchdogs:
        assert await tb.reg_write(a, "WDOG_PERIOD", 20, 0, priv=True) == AxiResp.OKAY
        ctrl = REGMAP["WDOG_CTRL"].compose({"ENABLE": 1, "SUPERVISOR": b, "KICK_MASK": 0})
        assert await tb.reg_write(a, "WDOG_CTRL", ctrl, 0, priv=True) == AxiResp.OKAY
        await tb.cycles(30)
        assert (await tb.reg_read(b, "EV_PENDING"))[0] >> Event.WATCHDOG & 1
    await _errors(tb)
    await _register_sweep(tb, random.Random(1))
    await tb.finish()


async def _streams(tb, rng):
    """Every port at once: a long write burst of random words beside a long read burst of the
    same words (the scoreboard predicts each beat whatever the interleaving), with the
    managers refusing eight R and B beats in nine (slower than the beats arrive, so that
    answers pile up in the R queue)."""
    span = 4 * min(16, tb.params.shm_bytes // 4)
    tb.set_backpressure_generator(lambda: itertools.cycle([True] * 8 + [False]))
    tasks = []
    for k, m in enumerate(tb.masters):
        tasks.append(cocotb.start_soon(m.write(0, rng.randbytes(span), awid=k)))
        tasks.append(cocotb.start_soon(m.read(0, span, arid=k)))
    for task in tasks:
        assert (await task).resp == AxiResp.OKAY
    tb.set_backpressure_generator(None)


async def _fifo_stream(tb, a, b, rng):
    """Message FIFO 0 (channel 0, from ``a`` to ``b``): ``a`` fills it with pipelined sends
    (one more is refused, full), then ``b`` empties it with pipelined receives (a front end
    issues them two cycles apart at best, so the register block's read forwarding is not
    reached from the pins: the word proof ``msg_fifo_data`` judges it), and one more is refused
    (empty), both refusals' sticky error bits outliving a later write; then sends beside
    receives, one word ahead."""
    addr = REG_BASE + REGMAP["FIFO_DATA"].address(0)

    def send(word):
        return cocotb.start_soon(tb.masters[a].write(addr, word.to_bytes(4, "little"), awid=a))

    def receive():
        return cocotb.start_soon(tb.masters[b].read(addr, 4, arid=b))

    async def received(tasks):
        answers = [await t for t in tasks]
        assert [r.resp for r in answers] == [AxiResp.OKAY] * len(tasks)
        return [int.from_bytes(r.data, "little") for r in answers]

    words = [rng.getrandbits(32) for _ in range(tb.params.fifo_depth)]
    for task in [send(w) for w in words]:
        assert (await task).resp == AxiResp.OKAY
    assert await tb.reg_write(a, "FIFO_DATA", 0) == AxiResp.SLVERR
    assert await received([receive() for _ in words]) == words
    assert (await tb.reg_read(b, "FIFO_DATA"))[1] == AxiResp.SLVERR
    # the refusals' sticky error bits outlive the callers' other writes
    for k in (a, b):
        assert await tb.reg_write(k, "CH_ENABLE", 1) == AxiResp.OKAY
        assert (await tb.reg_read(k, "FIFO_ERROR"))[0] & 1
    # one word ahead: each send beside the receive of the word before it (never full or empty)
    stream = [rng.getrandbits(32) for _ in range(2 * len(words))]
    assert (await send(stream[0])).resp == AxiResp.OKAY
    got = []
    for w in stream[1:]:
        sent = send(w)
        got += await received([receive()])
        assert (await sent).resp == AxiResp.OKAY
    assert got + await received([receive()]) == stream


async def _errors(tb):
    """Error answers from every agent: bursts leaving the shared RAM and an unmapped address
    (DECERR, nothing written; each raises its agent's BUS_ERROR event, which the sweep reads
    back), and a narrow exclusive pair (unsupported: OKAY, no reservation, nothing written)."""
    end = tb.params.shm_bytes
    for k, m in enumerate(tb.masters):
        assert (await m.read(end - 8, 16, arid=k)).resp == AxiResp.DECERR
        assert (await m.write(end - 4, bytes(8), awid=k)).resp == AxiResp.DECERR
        assert (await m.read(end, 4, arid=k)).resp == AxiResp.DECERR
        assert (await m.read(0x30 + k, 1, arid=k, lock=EXCL, size=0)).resp == AxiResp.OKAY
        assert (await m.write(0x30 + k, b"\x77", awid=k, lock=EXCL, size=0)).resp == \
            AxiResp.OKAY


def _in_range(reg, params, rng):
    """A word for ``reg`` with every field random within its width and limit."""
    values = {}
    for f in reg.fields:
        top = 1 << f.width
        if f.limit is not None:
            top = min(top, getattr(params, f.limit))
        values[f.name] = rng.randrange(max(top, 1))
    return reg.compose(values)


async def _register_sweep(tb, rng, rounds=2):
    """Every register word: written (where writable) with in-range values by a privileged and
    an unprivileged agent, and read by every agent, privileged and not. The answers are the
    scoreboard's to judge against the reference model."""
    p = tb.params
    words = list(REGMAP.instances(p))
    for r in range(rounds):
        for reg, i, _ in words:
            if reg.writable:
                for priv in (False, True):
                    await tb.reg_write(rng.randrange(p.n_agents), reg.name,
                                       _in_range(reg, p, rng), i, priv=priv)
        for k in range(p.n_agents):
            for reg, i, _ in words:
                await tb.reg_read(k, reg.name, i, priv=bool((k + r) & 1))
