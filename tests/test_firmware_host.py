"""The C guest library on the host shim, driven through ctypes, against ``sw_model`` as the
oracle: the same operation sequences leave byte-identical shared-memory images and return the
same results (full ring, wrap-around of the free-running counters, attach by epoch, restart
repair, the four variants). The ``hwfifo`` variant's register accesses go, on both sides, to a
``sw_model`` register block (the C's through the host shim's register hook and ctypes), whose
whole state must agree too."""

import ctypes
import random
import subprocess

import pytest

from firmware.build import SOURCE, TOOLCHAINS, compile_c, default_layout, host_library
from firmware.headers import C_VARIANTS
from ioc_defs.params import REG_BASE, IocParams
from ioc_defs.regmap import EPOCH_MASK, FIFO_DROPPED_WIDTH, REGMAP, RESP_OKAY
from sw_model.cpu import BusError, CpuPort
from sw_model.guests import attach, dropped_delta, flushed_count
from sw_model.history import SEQ_BITS, message_seq, message_words, producer_message
from sw_model.layout import A2B, B2A, LOCK_HELD, LOCK_OWNER_MASK, IocLayout
from sw_model.memory import SharedMemory
from sw_model.regblock import RegBlock
from sw_model.ring import VARIANTS

#: The C enum's value of each variant, by name.
_VARIANT = {name: value for value, name in enumerate(C_VARIANTS)}
#: The variants whose rings live in shared RAM (the plain register array serves them).
_SHM_VARIANTS = [v for v in C_VARIANTS if not VARIANTS[v].in_registers]
_OK, _BUSY, _EMPTY, _EINVAL = 0, 1, 2, -1
_M32 = 0xFFFF_FFFF


class DirectPort(CpuPort):
    """A CPU port on which every operation completes at once: runs the sw_model coroutines
    sequentially on a :class:`SharedMemory` and a plain register array, or a
    :class:`RegBlock` as ``agent`` (a refused access raises :class:`BusError`)."""

    def __init__(self, memory, regs, agent=0):
        super().__init__(agent)
        self.memory, self.regs = memory, regs

    def _reg(self, addr, write, value=0):
        if not isinstance(self.regs, RegBlock):
            if write:
                self.regs[(addr - REG_BASE) // 4] = value & _M32
            return self.regs[(addr - REG_BASE) // 4]
        resp, data = self.regs.access(self.agent, addr, write, value & _M32)
        if resp != RESP_OKAY:
            raise BusError(resp, addr)
        return data

    async def load(self, addr):
        if addr >= REG_BASE:
            return self._reg(addr, False)
        return self.memory.access(0, addr, write=False)[1]

    async def store(self, addr, value, strb=0xF):
        if addr >= REG_BASE:
            self._reg(addr, True, value)
        else:
            self.memory.access(0, addr, write=True, data=value & _M32)

    async def movli(self, addr):
        return self.memory.access(0, addr, write=False, lock=True)[1]

    async def movco(self, addr, value):
        return self.memory.access(0, addr, write=True, data=value & _M32,
                                  lock=True)[0].name == "EXOKAY"

    async def resv_clear(self):
        self.memory.resv_clear(0)

    async def pause(self):
        pass

    async def sleep(self, ticks):
        pass

    async def wait(self, condition):
        pass


def _run(coro):
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("a DirectPort operation suspended")


_REG_ACCESS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                               ctypes.POINTER(ctypes.c_uint32))


class _HostRegs(ctypes.Structure):
    """``struct ioc_host_regs`` (``firmware/arch/host/ioc_arch.h``)."""
    _fields_ = [("access", _REG_ACCESS), ("ctx", ctypes.c_void_p), ("base", ctypes.c_size_t)]


class _Port(ctypes.Structure):
    """``struct ioc_port`` on the host shim, its ``struct ioc_arch`` inlined."""
    _fields_ = [("shm", ctypes.c_size_t), ("regs", ctypes.c_size_t),
                ("resv_addr", ctypes.c_size_t), ("resv_value", ctypes.c_uint32),
                ("resv_valid", ctypes.c_uint32), ("host_regs", ctypes.POINTER(_HostRegs))]


def _regblock(params):
    """A register block with every channel enabled between agent 0 (A) and agent 1 (B)."""
    block = RegBlock(params)
    for c in range(params.n_channels):
        word = REGMAP["CH_CFG"].compose({"EP_A": 0, "EP_B": 1, "ENABLE": 1})
        assert block.access(0, REG_BASE + REGMAP["CH_CFG"].address(c), True, word,
                            priv=True)[0] == RESP_OKAY
    return block


def _block_state(block):
    """Everything a :class:`RegBlock` holds, comparable."""
    return {k: [list(q) for q in v] if k == "fifo" else v for k, v in vars(block).items()
            if not k.startswith("_")}


class Pair:
    """The C library (ctypes) and the reference model side by side, on one layout. The
    ``hwfifo`` variant needs message FIFOs in ``layout.params``: each side has a register
    block; endpoint A of every channel is agent 0 (the C library's port ``c_port``), B agent 1
    (``c_port_b``)."""

    def __init__(self, layout, variant):
        self.layout, self.variant = layout, VARIANTS[variant]
        self.lib = _bind(ctypes.CDLL(str(host_library(layout))))
        shm_words = layout.params.shm_bytes // 4
        self.c_shm = (ctypes.c_uint32 * shm_words)()
        self.c_regs = (ctypes.c_uint32 * (REGMAP.window // 4))()
        self._c_ports = (_Port(), _Port())  # by side
        self.c_port, self.c_port_b = (ctypes.byref(port) for port in self._c_ports)
        for port in (self.c_port, self.c_port_b):
            self.lib.ioc_port_init(port, ctypes.addressof(self.c_shm),
                                   ctypes.addressof(self.c_regs))
        self.lib.ioc_shm_format(self.c_port)
        self.memory = SharedMemory(layout.params)
        self.memory.load_image(0, layout.image())
        self.py_regs = [0] * (REGMAP.window // 4)
        self.ports = [DirectPort(self.memory, self.py_regs)] * 2  # by side
        if variant == "hwfifo":
            self._model_registers()
        self.chans = {}
        for channel in range(layout.params.n_channels):
            for side, port in enumerate((self.c_port, self.c_port_b)):
                ch = ctypes.create_string_buffer(64)
                assert self.lib.ioc_chan_init(ch, port, channel, side,
                                              _VARIANT[variant]) == _OK
                self.chans[channel, side] = ch
        self.epoch = {}  # (channel, side) -> the lock owner of its sends

    @property
    def port(self):
        return self.ports[0]

    def _model_registers(self):
        self.c_block, self.py_block = (_regblock(self.layout.params) for _ in range(2))

        def access(ctx, offset, write, value):
            resp, data = self.c_block.access(ctx or 0, REG_BASE + offset, bool(write),
                                             value[0] if write else 0)
            if not write:
                value[0] = data
            return int(resp == RESP_OKAY)

        self._access = _REG_ACCESS(access)  # kept alive as long as the ports
        self._hooks = [_HostRegs(self._access, agent, ctypes.addressof(self.c_regs))
                       for agent in (0, 1)]
        for port, hook in zip(self._c_ports, self._hooks, strict=True):
            port.host_regs = ctypes.pointer(hook)
        self.ports = [DirectPort(self.memory, self.py_block, agent) for agent in (0, 1)]

    def c_image(self):
        return bytes(self.c_shm)[:self.layout.size]

    def py_image(self):
        return b"".join(self.memory.word(i).to_bytes(4, "little")
                        for i in range(self.layout.size // 4))

    def set_epoch(self, channel, epoch):
        offset = REGMAP["EPOCH"].address(channel) // 4
        self.c_regs[offset] = self.py_regs[offset] = epoch

    def send(self, channel, side, msg):
        words = message_words(msg, self.layout.slot_words)
        c = self.lib.ioc_send(self.chans[channel, side],
                              (ctypes.c_uint32 * len(words))(*words))
        ring = self.layout.ring(channel, A2B if side == 0 else B2A)
        py = _run(self.variant.enqueue(self.ports[side], ring, words,
                                       self.epoch.get((channel, side), 0)))
        assert c == (_OK if py else _BUSY)
        return py

    def recv(self, channel, side):
        out = (ctypes.c_uint32 * self.layout.slot_words)()
        c = self.lib.ioc_recv(self.chans[channel, side], out)
        ring = self.layout.ring(channel, B2A if side == 0 else A2B)
        py = _run(self.variant.dequeue(self.ports[side], ring))
        assert c == (_EMPTY if py is None else _OK)
        assert py is None or tuple(out) == py
        return py

    def attach(self, channel, restarted):
        self.lib.ioc_attach(self.chans[channel, 1], int(restarted))
        self.epoch[channel, 1] = _run(attach(self.ports[1], self.layout, self.variant, channel,
                                             restarted=restarted))

    def poke(self, addr, value):
        """Backdoor write into both images (a fault, or a preset)."""
        self.c_shm[addr // 4] = value
        self.memory.load_image(addr, value.to_bytes(4, "little"))

    def preset(self, channel, direction, ticket):
        """Move an empty ring's counters to ``ticket`` (to cross the 32-bit wrap)."""
        ring = self.layout.ring(channel, direction)
        self.poke(ring.head, ticket)
        self.poke(ring.tail, ticket)
        for k in range(ring.depth):
            self.poke(ring.seq(ticket + k), (ticket + k) & _M32)


def _bind(lib):
    """Declare the C signatures (pointers and ``uintptr_t`` must not go through as ``int``)."""
    p, u32, addr = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_size_t
    words = ctypes.POINTER(ctypes.c_uint32)
    for name, restype, argtypes in (
            ("ioc_port_init", None, (p, addr, addr)), ("ioc_shm_format", None, (p,)),
            ("ioc_chan_init", ctypes.c_int, (p, p, u32, ctypes.c_int, ctypes.c_int)),
            ("ioc_attach", None, (p, ctypes.c_int)), ("ioc_detach", None, (p,)),
            ("ioc_peer_ready", ctypes.c_int, (p,)), ("ioc_send", ctypes.c_int, (p, words)),
            ("ioc_recv", ctypes.c_int, (p, words)), ("ioc_drain", u32, (p, p, p)),
            ("ioc_doorbell", None, (p,)), ("ioc_pending", u32, (p,)),
            ("ioc_ack", None, (p, u32)), ("ioc_tx_pending", ctypes.c_int, (p,)),
            ("ioc_wdog_kick", ctypes.c_int, (p, u32)), ("ioc_cycles", ctypes.c_uint64, (p,)),
            ("ioc_fifo_dropped", u32, (p,)),
            ("ioc_flushed_messages", u32, (u32, u32, ctypes.c_int)),
            ("ioc_flush_hold", ctypes.c_int, (p, p)), ("ioc_flush_count", u32, (p, p)),
            ("ioc_flush_release", None, (p,))):
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


LAYOUTS = {"d2": default_layout(2), "d4": default_layout(4),
           "c3s3": IocLayout(IocParams(n_channels=3, shm_bytes=1024), depth=8, slot_words=3)}


def test_format_writes_the_layout_image():
    for layout in LAYOUTS.values():
        pair = Pair(layout, "lockfree")
        assert pair.c_image() == layout.image()
        assert not any(bytes(pair.c_shm)[layout.size:])


def _random_ops(pair, rng, n):
    """Random sends, receives, re-attaches with a new epoch and (for the correct variants)
    index corruption; the images must agree after every operation."""
    n_ch = pair.layout.params.n_channels
    msg = 0
    for _ in range(n):
        op = rng.random()
        channel, side = rng.randrange(min(n_ch, 2)), rng.randrange(2)
        if op < 0.45:
            msg += 1
            pair.send(channel, side, msg)
        elif op < 0.9:
            pair.recv(channel, side)
        else:
            pair.set_epoch(channel, rng.randrange(EPOCH_MASK + 1))
            if pair.variant.name != "naive" and rng.random() < 0.5:
                pair.poke(pair.layout.ring(channel, A2B).tail, rng.getrandbits(32))
            pair.attach(channel, restarted=True)
        assert pair.c_image() == pair.py_image()


@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
@pytest.mark.parametrize("variant", _SHM_VARIANTS)
def test_random_sequences_match_the_reference_byte_for_byte(layout, variant):
    pair = Pair(LAYOUTS[layout], variant)
    pair.attach(0, restarted=False)
    _random_ops(pair, random.Random(f"{layout}:{variant}"), 600)


@pytest.mark.parametrize("variant", _SHM_VARIANTS)
def test_full_ring_is_busy_and_overwrites_nothing(variant):
    pair = Pair(LAYOUTS["d4"], variant)
    assert all(pair.send(0, 0, m) for m in range(1, 5))
    before = pair.c_image()
    assert not pair.send(0, 0, 99)
    assert pair.c_image() == before
    assert [pair.recv(0, 1)[0] for _ in range(4)] == [1, 2, 3, 4]
    assert pair.recv(0, 1) is None


@pytest.mark.parametrize("variant", _SHM_VARIANTS)
def test_counters_wrap_around_32_bits(variant):
    pair = Pair(LAYOUTS["d2"], variant)
    pair.preset(1, A2B, 0xFFFF_FFFE)
    got = []
    for m in range(1, 8):
        assert pair.send(1, 0, m)
        got.append(pair.recv(1, 1)[0])
        assert pair.c_image() == pair.py_image()
    assert got == list(range(1, 8))
    assert pair.memory.peek(pair.layout.ring(1, A2B).head) == 5  # crossed zero


@pytest.mark.parametrize("variant", ["lockfree", "locked"])
def test_restart_repairs_a_scribbled_tail(variant):
    pair = Pair(LAYOUTS["d4"], variant)
    pair.attach(0, restarted=False)
    for m in (1, 2, 3):
        pair.send(0, 0, m)
    assert pair.recv(0, 1)[0] == 1
    pair.poke(pair.layout.ring(0, A2B).tail, 0xDEAD_BEEF)
    assert pair.recv(0, 1) is None  # a corrupted tail reads as empty, never as stale slots
    pair.set_epoch(0, 1)
    pair.attach(0, restarted=True)
    assert [pair.recv(0, 1)[0], pair.recv(0, 1)[0]] == [2, 3]
    assert pair.c_image() == pair.py_image()


def test_naive_ring_trusts_a_scribbled_tail():
    """The negative control: no commit record, so the restarted consumer replays slots."""
    pair = Pair(LAYOUTS["d4"], "naive")
    pair.send(0, 0, 1)
    pair.recv(0, 1)
    pair.poke(pair.layout.ring(0, A2B).tail, 0)
    pair.attach(0, restarted=True)
    assert pair.recv(0, 1)[0] == 1  # delivered twice


def test_restarted_owner_breaks_a_stale_lock_and_fills_holes():
    layout = LAYOUTS["d4"]
    pair = Pair(layout, "locked")
    pair.set_epoch(0, 3)
    pair.attach(0, restarted=False)
    ring = layout.ring(0, B2A)
    # the incarnation at epoch 3 died holding the lock, after reserving ticket 0
    pair.poke(ring.lock, 0x8000_0003)
    pair.poke(ring.head, 1)
    assert pair.c_image() == pair.py_image()
    pair.set_epoch(0, 4)
    pair.attach(0, restarted=True)
    assert pair.memory.peek(ring.lock) == 0
    assert pair.c_shm[ring.lock // 4] == 0  # (else the sends below would spin for ever)
    assert pair.recv(0, 0) == (0,) * layout.slot_words  # the tombstone
    assert pair.send(0, 1, 7) and pair.recv(0, 0)[0] == 7
    assert pair.c_image() == pair.py_image()


def test_a_lock_of_the_current_epoch_is_not_broken():
    layout = LAYOUTS["d4"]
    pair = Pair(layout, "locked")
    pair.set_epoch(0, 5)
    pair.poke(layout.ring(0, B2A).lock, 0x8000_0005)
    pair.attach(0, restarted=True)
    assert pair.memory.peek(layout.ring(0, B2A).lock) == 0x8000_0005
    assert pair.c_image() == pair.py_image()


def test_peer_ready_follows_attach_and_epoch():
    pair = Pair(LAYOUTS["d4"], "lockfree")
    a = pair.chans[0, 0]
    assert pair.lib.ioc_peer_ready(a) == 3
    pair.set_epoch(0, 2)
    pair.attach(0, restarted=False)
    assert pair.lib.ioc_peer_ready(a) == _OK
    pair.set_epoch(0, 3)  # the peer was reset and has not re-attached
    assert pair.lib.ioc_peer_ready(a) == 3
    pair.lib.ioc_detach(pair.chans[0, 1])
    assert pair.memory.peek(pair.layout.state_addr(0)) == 1  # the model is not detached...
    assert pair.c_shm[pair.layout.state_addr(0) // 4] == 0   # ...the C side is DOWN


def test_bad_arguments_are_refused_and_change_nothing():
    pair = Pair(LAYOUTS["d4"], "lockfree")
    ch = ctypes.create_string_buffer(b"\xAA" * 64, 64)
    n_ch = pair.layout.params.n_channels
    for args in ((n_ch, 0, 0), (0, 2, 0), (0, 0, len(C_VARIANTS)), (0, -1, 0)):
        assert pair.lib.ioc_chan_init(ch, pair.c_port, *args) == _EINVAL
        assert ch.raw == b"\xAA" * 64
    assert pair.lib.ioc_wdog_kick(pair.c_port, REGMAP["WDOG_KICK"].max_count) == _EINVAL
    assert not any(pair.c_regs)


def test_register_helpers_use_the_register_map():
    pair = Pair(LAYOUTS["d4"], "lockfree")
    lib, regs = pair.lib, pair.c_regs
    a = pair.chans[5, 0]
    lib.ioc_doorbell(a)
    assert regs[REGMAP["DOORBELL"].address() // 4] == 5
    lib.ioc_ack(pair.c_port, 0b1010)
    assert regs[REGMAP["CH_PENDING"].address() // 4] == 0b1010
    assert lib.ioc_pending(pair.c_port) == 0b1010
    regs[REGMAP["TX_PENDING"].address() // 4] = 1 << 5
    assert lib.ioc_tx_pending(a) == 1 and lib.ioc_tx_pending(pair.chans[4, 0]) == 0
    assert lib.ioc_wdog_kick(pair.c_port, 1) == _OK
    assert regs[REGMAP["WDOG_KICK"].address(1) // 4] == 1
    regs[REGMAP["CYCLE_HI"].address() // 4] = 7
    regs[REGMAP["CYCLE_LO"].address() // 4] = 9
    assert lib.ioc_cycles(pair.c_port) == 7 << 32 | 9


def test_drain_delivers_in_order_and_counts():
    pair = Pair(LAYOUTS["d4"], "lockfree")
    for m in (1, 2, 3):
        pair.send(2, 1, m)
    seen = []
    fn_type = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint32))
    fn = fn_type(lambda arg, words: seen.append(words[0]))
    assert pair.lib.ioc_drain(pair.chans[2, 0], ctypes.cast(fn, ctypes.c_void_p), None) == 3
    assert seen == [1, 2, 3]


@pytest.mark.parametrize("variant", _SHM_VARIANTS)
def test_model_refuses_a_wrong_size_message_and_changes_nothing(variant):
    pair = Pair(LAYOUTS["d4"], variant)
    before = pair.py_image()
    ring = pair.layout.ring(0, A2B)
    with pytest.raises(ValueError, match="a message is 2 words, not 3"):
        _run(pair.variant.enqueue(pair.port, ring, (1, 2, 3)))
    assert pair.py_image() == before


def test_the_c_variants_are_the_reference_models():
    assert set(C_VARIANTS) == set(VARIANTS)


#: hwfifo layouts: FIFOs of depth * slot_words words (two and three words, framed under the
#: lock), and one-word messages in a FIFO shallower than the ring, so that a send that found
#: room by FIFO_STATUS is refused (SLVERR: busy) and the host shim's register hook must say so.
HWFIFO_LAYOUTS = {
    "d4s2": IocLayout(IocParams(fifo_depth=8), depth=4),
    "c3d8s3": IocLayout(IocParams(n_channels=3, shm_bytes=1024, fifo_depth=32), depth=8,
                        slot_words=3),
    "d4s1-fifo2": IocLayout(IocParams(fifo_depth=2), depth=4, slot_words=1),
}


def _check_hwfifo_pair(pair):
    assert pair.c_image() == pair.py_image()
    assert _block_state(pair.c_block) == _block_state(pair.py_block)


@pytest.mark.parametrize("layout", HWFIFO_LAYOUTS)
def test_hwfifo_random_sequences_match_the_reference(layout):
    """Sends and receives both ways on two channels, re-attaches: same results, same shared
    RAM (the lock words), same register-block state (FIFO words, levels, errors, cycles)."""
    pair = Pair(HWFIFO_LAYOUTS[layout], "hwfifo")
    rng = random.Random(layout)
    pair.attach(0, restarted=False)
    msg, results = 0, []
    for _ in range(600):
        op, channel, side = rng.random(), rng.randrange(2), rng.randrange(2)
        if op < 0.5:
            msg += 1
            results.append(pair.send(channel, side, msg))
        elif op < 0.95:
            results.append(pair.recv(channel, side) is not None)
        else:
            pair.attach(channel, restarted=True)
        _check_hwfifo_pair(pair)
    assert True in results and False in results  # busy and empty both seen


@pytest.mark.parametrize("layout", HWFIFO_LAYOUTS)
def test_hwfifo_full_is_busy_and_keeps_order(layout):
    pair = Pair(HWFIFO_LAYOUTS[layout], "hwfifo")
    capacity = min(pair.layout.depth,
                   pair.layout.params.fifo_depth // pair.layout.slot_words)
    assert all(pair.send(0, 0, m) for m in range(1, capacity + 1))
    assert not pair.send(0, 0, 99)
    # one word: FIFO_STATUS showed room for the ring, the write itself was refused (SLVERR)
    assert (pair.c_block.last_refusal is not None) == (pair.layout.slot_words == 1)
    _check_hwfifo_pair(pair)
    assert [pair.recv(0, 1)[0] for _ in range(capacity)] == list(range(1, capacity + 1))
    assert pair.recv(0, 1) is None
    _check_hwfifo_pair(pair)


def test_restarted_hwfifo_sender_breaks_a_stale_lock():
    """An incarnation that died holding its send ring's lock (half-way through a framed
    message, which the reset flushed) would leave its successor spinning for ever."""
    pair = Pair(HWFIFO_LAYOUTS["d4s2"], "hwfifo")
    pair.attach(0, restarted=False)
    lock = pair.layout.ring(0, B2A).lock
    stale = LOCK_HELD | (pair.epoch[0, 1] + 1) & LOCK_OWNER_MASK  # another epoch's
    pair.poke(lock, stale)
    pair.attach(0, restarted=False)  # a first attach breaks nothing
    assert pair.memory.peek(lock) == stale and pair.c_shm[lock // 4] == stale
    pair.attach(0, restarted=True)
    assert pair.memory.peek(lock) == 0 and pair.c_shm[lock // 4] == 0
    assert pair.send(0, 1, 7) and pair.recv(0, 0)[0] == 7
    _check_hwfifo_pair(pair)


@pytest.mark.parametrize("slot_words", [1, 2, 3])
def test_flushed_message_count_is_the_reference_models(slot_words):
    """ioc_flushed_messages: the DROPPED delta (across its wrap) in messages, rounded up when
    the consumer may have torn the oldest, down when the sender may have torn the newest."""
    lib = _bind(ctypes.CDLL(str(host_library(IocLayout(IocParams(fifo_depth=8), depth=4,
                                                       slot_words=slot_words)))))
    rng = random.Random(slot_words)
    wrap = 1 << FIFO_DROPPED_WIDTH
    pairs = [(0, 0), (0, 5), (wrap - 2, 3), (wrap - 1, 0)]
    pairs += [(b, (b + rng.randrange(40)) % wrap) for b in (rng.randrange(wrap) for _ in range(50))]
    for before, after in pairs:
        words = dropped_delta(before, after)
        assert words < 40
        for torn in (0, 1):
            assert lib.ioc_flushed_messages(before, after, torn) == \
                flushed_count(words, slot_words, torn_front=bool(torn))


class _FlushMark(ctypes.Structure):
    """struct ioc_flush_mark."""
    _fields_ = [("epoch", ctypes.c_uint32), ("dropped", ctypes.c_uint32)]


def test_hwfifo_flush_hold_counts_what_a_reset_dropped():
    """The restarting side holds its producers off (the send lock), resets the consumer, which
    had read half of the oldest message: the newest three messages were flushed."""
    pair = Pair(HWFIFO_LAYOUTS["d4s2"], "hwfifo")
    pair.attach(0, restarted=False)
    for msg in (1, 2, 3, 4):
        assert pair.send(0, 0, msg)
    assert pair.recv(0, 1)[0] == 1
    fifo = pair.layout.ring(0, A2B).fifo
    pair.c_block.access(1, REG_BASE + REGMAP["FIFO_DATA"].address(fifo), False)  # torn front
    lock = pair.layout.ring(0, A2B).lock
    ch = pair.chans[0, 0]
    mark = _FlushMark()
    assert pair.lib.ioc_flush_hold(ch, ctypes.byref(mark)) == _OK
    assert pair.c_shm[lock // 4] == LOCK_HELD  # owner: the sender's epoch, 0
    assert (mark.epoch, mark.dropped) == (0, 0)
    word = REGMAP["AGENT_CTRL"].compose({"RESET": 1})
    assert pair.c_block.access(0, REG_BASE + REGMAP["AGENT_CTRL"].address(1), True, word,
                               priv=True)[0] == RESP_OKAY
    assert pair.lib.ioc_flush_count(ch, ctypes.byref(mark)) == 3  # 5 words, one torn
    assert pair.lib.ioc_fifo_dropped(ch) == 5
    assert pair.c_shm[lock // 4] == LOCK_HELD  # held until the caller reported
    pair.lib.ioc_flush_release(ch)
    assert pair.c_shm[lock // 4] == 0


def test_flush_hold_refuses_a_ring_without_fifo():
    pair = Pair(LAYOUTS["d4"], "locked")
    mark = _FlushMark(7, 9)
    before = pair.c_image()
    assert pair.lib.ioc_flush_hold(pair.chans[0, 0], ctypes.byref(mark)) == _EINVAL
    assert pair.c_image() == before and (mark.epoch, mark.dropped) == (7, 9)


def test_restarted_hwfifo_sender_clears_its_in_flight_count():
    """A one-word sender counts itself in flight in its ring's head word while it sends; an
    incarnation killed counted in would hold a later flush hold off for ever."""
    pair = Pair(HWFIFO_LAYOUTS["d4s1-fifo2"], "hwfifo")
    head = pair.layout.ring(0, B2A).head
    pair.c_shm[head // 4] = 1
    pair.lib.ioc_attach(pair.chans[0, 1], 0)
    assert pair.c_shm[head // 4] == 1  # a first attach trusts it
    pair.lib.ioc_attach(pair.chans[0, 1], 1)
    assert pair.c_shm[head // 4] == 0
    assert pair.send(0, 0, 7) and pair.c_shm[pair.layout.ring(0, A2B).head // 4] == 0


def test_c_message_ids_are_the_reference_models(tmp_path):
    """The C stresses' and scenarios' message ids (``message.h`` on the generated
    ``message_ids.h``) encode and decode as :func:`sw_model.history.producer_message` does."""
    pairs = [(0, 0), (1, 5), (2, (1 << SEQ_BITS) - 1), (7, 1234)]
    src = tmp_path / "ids.c"
    src.write_text('#include <stdio.h>\n#include "message.h"\nint main(void)\n{\n' + "".join(
        f'    printf("%u %u %u\\n", message_id({p}u, {s}u), message_producer(message_id({p}u, '
        f'{s}u)), message_seq(message_id({p}u, {s}u)));\n' for p, s in pairs) +
        "    return 0;\n}\n")
    exe = compile_c(default_layout(), TOOLCHAINS["host"], [src], tmp_path / "ids",
                    flags=(f"-I{SOURCE / 'tests'}",))
    out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    assert [tuple(map(int, line.split())) for line in out.splitlines()] == \
        [(producer_message(p, s), p, message_seq(producer_message(p, s))) for p, s in pairs]


#: The ctypes mirrors above and the C structs they stand for (members in C order; ``_Port``
#: inlines ``struct ioc_port``'s ``arch``).
_MIRRORS = [
    (_HostRegs, "struct ioc_host_regs", ("access", "ctx", "base")),
    (_Port, "struct ioc_port", ("shm", "regs", "arch.resv_addr", "arch.resv_value",
                                "arch.resv_valid", "arch.regs")),
    (_FlushMark, "struct ioc_flush_mark", ("epoch", "dropped")),
]


def test_ctypes_mirrors_match_the_c_structs(tmp_path):
    """Every ctypes mirror has its C struct's size and each member's offset and size, as the
    host compiler lays them out: a member added, moved or widened in ``ioc.h`` or the host
    shim's ``ioc_arch.h`` fails here instead of corrupting memory through ctypes."""
    src = tmp_path / "layout.c"
    lines = [f'    printf("%zu %zu %zu\\n", offsetof({c}, {m}), sizeof((({c} *)0)->{m}), '
             f'sizeof({c}));\n' for _py, c, members in _MIRRORS for m in members]
    src.write_text("#include <stddef.h>\n#include <stdio.h>\n#include \"ioc.h\"\n"
                   "int main(void)\n{\n" + "".join(lines) + "    return 0;\n}\n")
    exe = compile_c(default_layout(), TOOLCHAINS["host"], [src], tmp_path / "layout")
    out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    c_layout = [tuple(map(int, line.split())) for line in out.splitlines()]
    py_layout = [(field.offset, field.size, ctypes.sizeof(py))
                 for py, _c, members in _MIRRORS
                 for field in (getattr(py, name) for name, _t in py._fields_)]
    assert py_layout == c_layout
