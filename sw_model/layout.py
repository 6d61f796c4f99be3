"""The IOC shared-RAM layout, described once as numpy structured dtypes.

Byte offsets, the initial image and the C header for guest software are all derived from the
dtypes below; nothing else states an offset.

::

    ioc_header     { magic, version, n_channels, depth, slot_words }
    ioc_mem_t      { state, epoch, fifo[2] }           fifo[0] = A->B, fifo[1] = B->A
    ioc_mem_fifo   { head, tail, lock, depth, slot_words, seq[depth], slot[depth][slot_words] }
    ioc_shm        { header, chan[n_channels] }

``head`` is advanced by producers, ``tail`` by the single consumer, ``lock`` is the spinlock of
the locked variant, ``seq[i]`` is the sequence number of slot ``i`` (lock-free and locked
variants: their commit record).
"""

from dataclasses import dataclass

import numpy as np

from ioc_defs.params import SHM_BASE, IocParams
from ioc_defs.regmap import EPOCH_MASK

__all__ = ["IOC_MAGIC", "IOC_VERSION", "A2B", "B2A", "SLOT_WORDS", "LOCK_HELD", "LOCK_OWNER_MASK",
           "TOMBSTONE", "ChannelState", "IocLayout", "RingView"]

#: ``"IOC1"`` in little-endian ASCII.
IOC_MAGIC = 0x3143_4F49
IOC_VERSION = 1
#: Ring index in ``ioc_mem_t.fifo``: from endpoint A to endpoint B, and back.
A2B, B2A = 0, 1
#: The protocol's usual slot: the message id and one check word.
SLOT_WORDS = 2
#: The locked ring's ``lock`` word while held: ``LOCK_HELD | owner``, the owner being the
#: holder's attach epoch (so a restarted owner recognises a lock its dead predecessor held).
LOCK_HELD = 0x8000_0000
LOCK_OWNER_MASK = EPOCH_MASK
#: Every word of a slot whose producer died after reserving it, published by its successor.
TOMBSTONE = 0

_U32 = np.dtype("<u4")


class ChannelState:
    """Values of ``ioc_mem_t.state``."""
    DOWN = 0      # endpoint B has not attached (or is rebooting)
    ATTACHED = 1  # endpoint B is serving the channel at ``ioc_mem_t.epoch``


def _word_names(dtype, base, prefix):
    """Yield ``(address, name)`` for every 32-bit word of a structured dtype."""
    if dtype.names is None:
        shape = dtype.shape
        count = 1
        for n in shape:
            count *= n
        for k in range(count):
            index, rest = "", k
            for n in reversed(shape):
                index = f"[{rest % n}]" + index
                rest //= n
            yield base + 4 * k, prefix + index
        return
    for name in dtype.names:
        sub, offset = dtype.fields[name][:2]
        if sub.shape and sub.base.names is not None:
            for k in range(sub.shape[0]):
                yield from _word_names(sub.base, base + offset + k * sub.base.itemsize,
                                       f"{prefix}{name}[{k}].")
        elif sub.names is not None:
            yield from _word_names(sub, base + offset, f"{prefix}{name}.")
        else:
            yield from _word_names(sub, base + offset, prefix + name)


@dataclass(frozen=True)
class RingView:
    """Absolute byte addresses of one ``ioc_mem_fifo``, and the register block's message FIFO
    of the same channel and direction (``fifo``: its ``FIFO_DATA`` index), which the
    ``hwfifo`` variant uses instead of the slots."""
    head: int
    tail: int
    lock: int
    depth: int
    slot_words: int
    seq_base: int
    slot_base: int
    fifo: int = 0

    def seq(self, ticket):
        """Address of the sequence number of the slot that ``ticket`` uses."""
        return self.seq_base + 4 * (ticket % self.depth)

    def slot(self, ticket, word):
        """Address of word ``word`` of the slot that ``ticket`` uses."""
        return self.slot_base + 4 * ((ticket % self.depth) * self.slot_words + word)


def _check(name, value, minimum):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, not {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value!r}")


class IocLayout:
    """The shared-RAM layout for a given configuration.

    Parameters
    ----------
    params : IocParams
        Subsystem configuration (``n_channels``, ``shm_bytes``).
    depth : int
        Slots per ring: a power of two, at least 2.
    slot_words : int
        32-bit words per slot, at least 1.

    Members
    -------
    header_dtype, fifo_dtype, channel_dtype, shm_dtype : numpy.dtype
        The structured dtypes (little-endian, packed; every field is a ``uint32``).

    Raises
    ------
    TypeError, ValueError
        On a bad parameter, or if the layout does not fit in the shared RAM.
    """

    def __init__(self, params, *, depth=4, slot_words=SLOT_WORDS):
        if not isinstance(params, IocParams):
            raise TypeError(f"params must be an IocParams, not {params!r}")
        _check("depth", depth, 2)
        if depth & (depth - 1):
            raise ValueError(f"depth must be a power of two, not {depth!r}")
        _check("slot_words", slot_words, 1)
        self._params, self._depth, self._slot_words = params, depth, slot_words
        self.header_dtype = np.dtype([("magic", _U32), ("version", _U32),
                                      ("n_channels", _U32), ("depth", _U32),
                                      ("slot_words", _U32)])
        self.fifo_dtype = np.dtype([("head", _U32), ("tail", _U32), ("lock", _U32),
                                    ("depth", _U32), ("slot_words", _U32),
                                    ("seq", _U32, (depth,)),
                                    ("slot", _U32, (depth, slot_words))])
        self.channel_dtype = np.dtype([("state", _U32), ("epoch", _U32),
                                       ("fifo", self.fifo_dtype, (2,))])
        self.shm_dtype = np.dtype([("header", self.header_dtype),
                                   ("chan", self.channel_dtype, (params.n_channels,))])
        if self.shm_dtype.itemsize > params.shm_bytes:
            raise ValueError(f"the IOC layout needs {self.shm_dtype.itemsize} bytes, more than "
                             f"shm_bytes={params.shm_bytes}")

    @property
    def params(self):
        return self._params

    @property
    def depth(self):
        return self._depth

    @property
    def slot_words(self):
        return self._slot_words

    @property
    def size(self):
        """Bytes used at the start of the shared RAM."""
        return self.shm_dtype.itemsize

    def channel_base(self, channel):
        """Address of ``chan[channel]``."""
        if not isinstance(channel, int) or not 0 <= channel < self._params.n_channels:
            raise ValueError(f"channel must be in [0, {self._params.n_channels}), "
                             f"not {channel!r}")
        return (SHM_BASE + self.shm_dtype.fields["chan"][1]
                + channel * self.channel_dtype.itemsize)

    def state_addr(self, channel):
        return self.channel_base(channel) + self.channel_dtype.fields["state"][1]

    def epoch_addr(self, channel):
        return self.channel_base(channel) + self.channel_dtype.fields["epoch"][1]

    def ring(self, channel, direction):
        """The :class:`RingView` of ``chan[channel].fifo[direction]`` (``A2B`` or ``B2A``)."""
        if direction not in (A2B, B2A):
            raise ValueError(f"direction must be A2B or B2A, not {direction!r}")
        base = (self.channel_base(channel) + self.channel_dtype.fields["fifo"][1]
                + direction * self.fifo_dtype.itemsize)
        off = {name: base + self.fifo_dtype.fields[name][1] for name in self.fifo_dtype.names}
        return RingView(off["head"], off["tail"], off["lock"], self._depth, self._slot_words,
                        off["seq"], off["slot"], fifo=2 * channel + direction)

    def field_name(self, addr):
        """The C lvalue naming the word at byte ``addr``, e.g. ``"chan[0].fifo[1].head"``."""
        if not hasattr(self, "_names"):
            self._names = dict(_word_names(self.shm_dtype, SHM_BASE, ""))
        return self._names.get(addr & ~3, f"{addr:#x}")

    def image(self):
        """The initial contents (bytes) of ``[SHM_BASE, SHM_BASE + size)``: header filled in,
        every ring empty with ``seq[i] = i``, every channel ``DOWN`` at epoch 0."""
        shm = np.zeros((), dtype=self.shm_dtype)
        shm["header"] = (IOC_MAGIC, IOC_VERSION, self._params.n_channels, self._depth,
                         self._slot_words)
        fifo = shm["chan"]["fifo"]
        fifo["depth"] = self._depth
        fifo["slot_words"] = self._slot_words
        fifo["seq"] = np.arange(self._depth, dtype=_U32)
        return shm.tobytes()

    def c_header(self):
        """C declarations of the same layout (``stdint.h`` types, no padding)."""
        structs = [("ioc_header", self.header_dtype), ("ioc_mem_fifo", self.fifo_dtype),
                   ("ioc_mem_t", self.channel_dtype), ("ioc_shm", self.shm_dtype)]
        names = {dt: name for name, dt in structs}
        lines = ["/* Generated by sw_model.layout from the numpy description: do not edit. */",
                 "#ifndef IOC_LAYOUT_H", "#define IOC_LAYOUT_H", "#include <stdint.h>", "",
                 # SHM_: the register block's ID has a magic and a version of its own
                 f"#define IOC_SHM_MAGIC 0x{IOC_MAGIC:08x}u",
                 f"#define IOC_SHM_VERSION {IOC_VERSION}u",
                 f"#define IOC_N_CHANNELS {self._params.n_channels}u",
                 f"#define IOC_DEPTH {self._depth}u", f"#define IOC_SLOT_WORDS {self._slot_words}u",
                 f"#define IOC_SHM_BASE 0x{SHM_BASE:08x}u",
                 f"#define IOC_A2B {A2B}u", f"#define IOC_B2A {B2A}u", ""]
        for name, dtype in structs:
            lines.append(f"typedef struct {name} {{")
            for field in dtype.names:
                sub = dtype.fields[field][0]
                shape = sub.shape
                base = sub.base if shape else sub
                ctype = f"struct {names[base]}" if base in names else "uint32_t"
                dims = "".join(f"[{n}]" for n in shape)
                lines.append(f"    {ctype} {field}{dims};")
            lines += [f"}} {name};",
                      f"_Static_assert(sizeof({name}) == {dtype.itemsize}, \"{name} size\");", ""]
        lines.append("#endif")
        return "\n".join(lines) + "\n"
