# amaranth: UnusedElaboratable=no
"""The UART-to-AXI4 bridge driving the real IocSubsystem (amaranth.sim), through the host client.

The host side is :class:`host.bridge.BridgeClient` over :class:`host.bridge.SimTransport`,
the same client code that drives a board; a dict of words is the shared-RAM oracle.
The constructor tests at the end expect constructors to raise, hence the linter directive above.
"""

import asyncio
import os

import pytest
from amaranth.sim import Simulator
from simutil import run as run_sim

from host.bridge import BridgeClient, BridgeError, SerialTransport, SimTransport, encode_request
from host.link import BridgeLink
from ioc_defs.axi import AxiBurst, AxiResp
from ioc_defs.bridge import REPLY_SYNC, BridgeOp, BridgeStatus
from ioc_defs.params import REG_BASE, IocParams
from ioc_defs.regmap import REGMAP
from rtl.fpga.boards import BridgedIoc
from rtl.fpga.uart import UartRx, UartTx
from rtl.fpga.uart_axi import UartAxiBridge
from sw_model.checkers import check_delivery
from sw_model.history import History
from sw_model.layout import A2B, SLOT_WORDS, IocLayout
from sw_model.link import BusCpuPort
from sw_model.ring import VARIANTS

DIVISOR = 4          # clock cycles per UART bit
TIMEOUT = 400        # bridge timeout inside a request: ten byte times


class ProtRecorder:
    """Records ``(channel, AxPROT, AxLOCK)`` of every AR/AW handshake on an agent port."""

    def __init__(self, port):
        self.port = port
        self.seen = []

    async def process(self, ctx):
        while True:
            await ctx.tick()
            for ch in ("ar", "aw"):
                if ctx.get(getattr(self.port, f"{ch}valid")) and \
                        ctx.get(getattr(self.port, f"{ch}ready")):
                    self.seen.append((ch, ctx.get(getattr(self.port, f"{ch}prot")),
                                      ctx.get(getattr(self.port, f"{ch}lock"))))


def run(script, *, name, params=None):
    """Run ``script(client, uart, dut, recorders)`` against a bridged subsystem."""
    params = params or IocParams()
    dut = BridgedIoc(params, divisor=DIVISOR, timeout_cycles=TIMEOUT)
    uart = SimTransport(dut.rx, dut.tx, DIVISOR, timeout_cycles=20 * TIMEOUT)
    recorders = [ProtRecorder(dut.ioc.axi_port(k)) for k in range(params.n_agents)]
    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(uart.monitor, background=True)
    for recorder in recorders:
        sim.add_testbench(recorder.process, background=True)

    async def testbench(ctx):
        await script(BridgeClient(uart.bind(ctx)), uart, dut, recorders)
        assert uart.framing_errors == 0

    sim.add_testbench(testbench)
    run_sim(sim, name)


def merge(old, new, strb):
    mask = sum(0xFF << (8 * i) for i in range(4) if strb >> i & 1)
    return (old & ~mask) | (new & mask)


def test_write_read_shared_ram():
    async def script(ioc, uart, dut, rec):
        mem = {}
        words = [0x1111_0000 + i for i in range(4)]
        result = await ioc.write(0x40, words, agent=0, id=3)
        assert (result.status, result.resp, result.id) == (BridgeStatus.OK, AxiResp.OKAY, 3)
        mem.update({0x40 + 4 * i: w for i, w in enumerate(words)})
        # The other agent sees the same memory; RLAST only on the last beat, RID echoed.
        beats = await ioc.request(BridgeOp.READ, agent=1, addr=0x40, length=3, id=5)
        assert [(r, d) for r, d, _, _ in beats] == [(AxiResp.OKAY, mem[0x40 + 4 * i])
                                                     for i in range(4)]
        assert [last for _, _, last, _ in beats] == [False, False, False, True]
        assert {rid for _, _, _, rid in beats} == {5}
        # Byte strobes are honoured.
        await ioc.write(0x44, [0xAABB_CCDD], agent=1, strb=0b0101)
        mem[0x44] = merge(mem[0x44], 0xAABB_CCDD, 0b0101)
        assert await ioc.read(0x44, agent=0) == [(AxiResp.OKAY, mem[0x44])]
        # Shared RAM starts as zeros.
        assert await ioc.read(0xFFC, agent=0) == [(AxiResp.OKAY, 0)]
    run(script, name="uart_axi_rw")


def test_exclusive_pair():
    async def script(ioc, uart, dut, rec):
        value, ok = await ioc.movli(0x100, agent=0)
        assert (value, ok) == (0, True)
        assert await ioc.movco(0x100, 1, agent=0)
        assert await ioc.read(0x100, agent=1) == [(AxiResp.OKAY, 1)]
        # Another agent's store between the pair: the SC fails and writes nothing.
        assert (await ioc.movli(0x100, agent=0)) == (1, True)
        await ioc.write(0x100, [7], agent=1)
        assert not await ioc.movco(0x100, 2, agent=0)
        assert await ioc.read(0x100, agent=0) == [(AxiResp.OKAY, 7)]
        # A reservation clear from the bridge (resv_clear pulse): the SC fails.
        assert (await ioc.movli(0x100, agent=1)) == (7, True)
        await ioc.clear(agent=1)
        assert not await ioc.movco(0x100, 8, agent=1)
        assert await ioc.read(0x100, agent=1) == [(AxiResp.OKAY, 7)]
        assert [lock for _, _, lock in rec[0].seen if lock] == [1] * 4
    run(script, name="uart_axi_exclusive")


def test_privileged_access():
    async def script(ioc, uart, dut, rec):
        await ioc.write(0x200, [0xC0FFEE], agent=1, priv=True)
        assert await ioc.read(0x200, agent=1, priv=True) == [(AxiResp.OKAY, 0xC0FFEE)]
        await ioc.read(0x200, agent=1, prot=0b110)
        assert rec[1].seen == [("aw", 0b001, 0), ("ar", 0b001, 0), ("ar", 0b110, 0)]
        assert rec[0].seen == []
        # The register block: CH_CFG is written by privileged accesses only.
        ch_cfg = REG_BASE + REGMAP["CH_CFG"].address(0)
        cfg = REGMAP["CH_CFG"].compose({"EP_A": 0, "EP_B": 1, "ENABLE": 1})
        assert (await ioc.write(ch_cfg, [cfg], agent=0)).resp == AxiResp.SLVERR
        assert await ioc.read(ch_cfg, agent=0) == [(AxiResp.OKAY, 0)]
        assert (await ioc.write(ch_cfg, [cfg], agent=0, priv=True)).resp == AxiResp.OKAY
        assert await ioc.read(ch_cfg, agent=1) == [(AxiResp.OKAY, cfg)]
    run(script, name="uart_axi_priv")


def test_errors_reported():
    async def script(ioc, uart, dut, rec):
        assert await ioc.read(0x8000_0000, agent=0) == [(AxiResp.DECERR, 0)]
        assert (await ioc.write(0x8000_0000, [1], agent=0)).resp == AxiResp.DECERR
        # A WRAP burst: SLVERR, nothing written.
        result = await ioc.write(0x300, [5, 6], agent=1, burst=AxiBurst.WRAP)
        assert (result.status, result.resp) == (BridgeStatus.OK, AxiResp.SLVERR)
        assert await ioc.read(0x300, 2, agent=1) == [(AxiResp.OKAY, 0)] * 2
        with pytest.raises(BridgeError, match="BAD_AGENT"):
            await ioc.read(0, agent=2)
        with pytest.raises(BridgeError, match="BAD_HEADER"):
            await ioc.request(3, agent=0)
        with pytest.raises(BridgeError, match="BAD_HEADER"):
            await ioc.read(0, agent=0, id=16)          # id_width is 4
        assert rec[0].seen[-1][0] == "aw"              # refused requests reached no port
        assert await ioc.read(0x300, agent=0) == [(AxiResp.OKAY, 0)]
    run(script, name="uart_axi_errors")


def test_framing_errors_do_not_hang():
    async def script(ioc, uart, dut, rec):
        header = encode_request(BridgeOp.READ, agent=0, addr=0x10)
        # A framing error (stop bit 0) inside the header.
        await uart.send(header[:3])
        await uart.send(b"\x42", stop_bit=0)
        assert await uart.recv(2) == bytes([REPLY_SYNC, BridgeStatus.TRUNCATED])
        # Silence inside the header: the timeout ends the request.
        await uart.send(header[:5])
        assert await uart.recv(2) == bytes([REPLY_SYNC, BridgeStatus.TRUNCATED])
        # Garbage, a broken byte and a break while idle are skipped silently; the receiver
        # resynchronizes once the line has been idle.
        await uart.send(b"\x00\x13\x37")
        await uart.send(b"\xff", stop_bit=0)
        await uart.send_bits([1] * 10)
        await uart.send_bits([0] * 30 + [1] * 10)
        await ioc.write(0x10, [0x5555_AAAA], agent=0)
        assert await ioc.read(0x10, agent=1) == [(AxiResp.OKAY, 0x5555_AAAA)]
        # A write whose data is cut off: the missing beats write nothing.
        await ioc.write(0x20, [1, 2, 3], agent=0)
        request = encode_request(BridgeOp.WRITE, agent=1, addr=0x20, length=2,
                                 beats=[(0xF, 0x10), (0xF, 0x20), (0xF, 0x30)])
        await uart.send(request[:-8])                    # first beat and 2 bytes of the second
        assert await uart.recv(4) == bytes([REPLY_SYNC, BridgeStatus.ABORTED, AxiResp.OKAY, 0])
        assert await ioc.read(0x20, 3, agent=0) == [(AxiResp.OKAY, w) for w in (0x10, 2, 3)]
    run(script, name="uart_axi_framing")


def test_guest_code_runs_on_the_board_through_the_bridge():
    """The ring protocol of sw_model, unchanged, on CPU ports over bridge links (what runs on a
    board): agent 0 sends, agent 1 receives, every operation a bridge request into the real
    subsystem; movli/movco are exclusive (a resv_clear in between fails the movco); tick waits
    for the hardware's cycle counter."""
    params = IocParams(n_channels=1, shm_bytes=1024)
    layout = IocLayout(params, depth=2, slot_words=SLOT_WORDS)
    ring, variant = layout.ring(0, A2B), VARIANTS["lockfree"]

    async def script(ioc, uart, dut, rec):
        image = layout.image()
        words = [int.from_bytes(image[i:i + 4], "little") for i in range(0, len(image), 4)]
        for i in range(0, len(words), 256):
            await ioc.write(4 * i, words[i:i + 256], agent=0)
        tx, rx = BridgeLink(ioc, 0), BridgeLink(ioc, 1)
        producer, consumer = BusCpuPort(tx), BusCpuPort(rx)
        history, sent, got = History(), [0x100 | k for k in range(3)], []
        for msg in sent:
            assert await history.send(variant, producer, ring, thread="P", channel=0, msg=msg,
                                      slot_words=SLOT_WORDS)
            got.append(await history.receive(variant, consumer, ring, thread="C", channel=0))
        assert got == sent and check_delivery(history).ok
        assert rx.transactions > len(sent) and producer.counts["movco_fail"] == 0
        scratch = params.shm_bytes - 4
        value = await producer.movli(scratch)
        await producer.resv_clear()
        assert not await producer.movco(scratch, value + 1)
        assert await producer.movco(scratch, await producer.movli(scratch) + 1)
        assert await consumer.load(scratch) == value + 1
        await tx.tick()
        before = tx.now
        await tx.tick(200)
        assert tx.now - before >= 200
        assert not tx.irq() and not rx.irq()

    run(script, name="bridge_guest_code", params=params)


def test_uart_loopback():
    """UartTx into UartRx: every byte value arrives, and nothing else."""
    from amaranth import Module

    m = Module()
    m.submodules.tx = tx = UartTx(5)
    m.submodules.rx = rx = UartRx(5)
    m.d.comb += rx.rx.eq(tx.tx)

    async def testbench(ctx):
        got = []
        for byte in (0x00, 0xFF, 0x55, 0xA5, 0x01, 0x80):
            ctx.set(tx.data, byte)
            ctx.set(tx.valid, 1)
            await ctx.tick().until(tx.ready)
            ctx.set(tx.valid, 0)
            for _ in range(60):
                await ctx.tick()
                assert not ctx.get(rx.err)
                if ctx.get(rx.valid):
                    got.append(ctx.get(rx.data))
        assert got == [0x00, 0xFF, 0x55, 0xA5, 0x01, 0x80]

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(testbench)
    sim.run()


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(n_ports=0), ValueError, "n_ports must be an integer from 1 to 16, not 0"),
    (dict(n_ports=2.0), TypeError, "n_ports must be an integer from 1 to 16, not 2.0"),
    (dict(id_width=9), ValueError, "id_width must be an integer from 1 to 8, not 9"),
    (dict(divisor=3), ValueError, "divisor must be an integer >= 4, not 3"),
    (dict(timeout_cycles=True), TypeError, "timeout_cycles must be an integer >= 1, not True"),
])
def test_bridge_constructor(kwargs, error, message):
    args = dict(n_ports=2, id_width=4, divisor=4, timeout_cycles=10) | kwargs
    with pytest.raises(error, match=f"^{message}$"):
        UartAxiBridge(**args)


@pytest.mark.parametrize("agent", [-1, True, 1.0, "0"])
def test_bridge_link_constructor(agent):
    with pytest.raises(TypeError, match=r"^agent must be a non-negative integer, not "):
        BridgeLink(None, agent)


def test_uart_constructor():
    with pytest.raises(ValueError, match="^divisor must be an integer >= 4, not 2$"):
        UartRx(2)
    with pytest.raises(TypeError, match="^divisor must be an integer >= 4, not '8'$"):
        UartTx("8")


def test_serial_transport_over_a_pty():
    """The client over SerialTransport (raw termios), with a fake bridge on a pseudo-terminal."""
    controller, device = os.openpty()
    request = encode_request(BridgeOp.READ, agent=1, addr=0x40, prot=1)

    async def fake_bridge():
        got = b""
        while len(got) < len(request):
            got += await asyncio.to_thread(os.read, controller, 64)
        assert got == request
        os.write(controller, bytes([REPLY_SYNC, BridgeStatus.OK, 0b100 | AxiResp.OKAY, 0]) +
                 (0xDEAD_BEEF).to_bytes(4, "little"))

    async def main():
        with SerialTransport(os.ttyname(device), timeout=0.5) as port:
            client = BridgeClient(port)
            answer, _ = await asyncio.gather(client.read(0x40, agent=1, priv=True),
                                             fake_bridge())
            assert answer == [(AxiResp.OKAY, 0xDEAD_BEEF)]
            with pytest.raises(TimeoutError):          # no bridge answers
                await client.clear(agent=0)

    try:
        asyncio.run(main())
    finally:
        os.close(controller)
        os.close(device)
