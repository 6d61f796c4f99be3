"""Board tops and out-of-context wrappers of :class:`~rtl.subsystem.IocSubsystem`.

Every top instantiates the whole subsystem with the given parameters and keeps all of it
observable, so synthesis cannot trim any of it away:

* :class:`BoardTop` (iCEBreaker, ULX3S): the agent ports are driven by a
  :class:`~rtl.fpga.uart_axi.UartAxiBridge` on the board's UART, ``irq`` and ``agent_rst`` are
  shown on the LEDs.
* :class:`OocTop` (out of context, no board I/O): every input of the subsystem is a bit of a
  serial-in shift register fed from one pin, every output is registered and the registers are
  XOR-reduced into one output pin. The IP sits between registers on both sides, as it does in an
  SoC whose AXI managers have registered outputs and inputs, and no input is constant or shared,
  so nothing can be folded or merged.
"""

from dataclasses import dataclass

from amaranth import Cat, Elaboratable, Module, Signal
from amaranth.build import Clock, Pins, Resource, ResourceError
from amaranth.lib import io, wiring
from amaranth.lib.wiring import In, Out
from amaranth.vendor import LatticeECP5Platform, LatticeICE40Platform

from ioc_defs.params import IocParams

from ..subsystem import IocSubsystem
from .uart_axi import UartAxiBridge

__all__ = ["OocTop", "BridgedIoc", "BoardTop", "OocICE40Platform", "OocECP5Platform", "Board",
           "BOARDS", "ECP5_DEVICES"]

#: ECP5 sizes the ULX3S is built with, ``DEVICE=`` name to Lattice device name.
ECP5_DEVICES = {"12F": "LFE5U-12F", "25F": "LFE5U-25F", "45F": "LFE5U-45F", "85F": "LFE5U-85F"}


def _check_params(params):
    if not isinstance(params, IocParams):
        raise TypeError(f"params must be an IocParams, not {params!r}")
    return params


def _ports(component, flow):
    """The leaf signals of ``component``'s ports with the given flow (from its own side)."""
    return [value for _path, member, value in component.signature.flatten(component)
            if member.flow == flow]


class OocTop(Elaboratable):
    """Out-of-context wrapper: the subsystem between a serial input chain and a XOR-reduced
    output register, on three pins (clock, ``ooc_din``, ``ooc_dout``).

    Parameters
    ----------
    params : IocParams
        Subsystem configuration.

    Attributes
    ----------
    n_input_bits, n_output_bits : int
        Number of subsystem input and output bits, i.e. flip-flops the wrapper adds on each
        side (the output side adds one more for ``ooc_dout``) plus a XOR tree over the outputs.
    """

    def __init__(self, params):
        self._params = _check_params(params)
        self._ioc = IocSubsystem(params)
        self.n_input_bits = sum(len(v) for v in _ports(self._ioc, In))
        self.n_output_bits = sum(len(v) for v in _ports(self._ioc, In.flip()))

    @property
    def params(self):
        return self._params

    def elaborate(self, platform):
        m = Module()
        m.submodules.ioc = ioc = self._ioc
        m.submodules.din = din = io.Buffer("i", platform.request("ooc_din", 0, dir="-"))
        m.submodules.dout = dout = io.Buffer("o", platform.request("ooc_dout", 0, dir="-"))

        inputs = _ports(ioc, In)
        chain = Signal(self.n_input_bits)
        m.d.sync += chain.eq(Cat(din.i, chain[:-1]))
        m.d.comb += Cat(*inputs).eq(chain)

        captured = Signal(self.n_output_bits)
        m.d.sync += [captured.eq(Cat(*_ports(ioc, In.flip()))), dout.o.eq(captured.xor())]
        return m


class BridgedIoc(wiring.Component):
    """The subsystem with every agent port and its ``resv_clear`` driven by a
    :class:`~rtl.fpga.uart_axi.UartAxiBridge`: what :class:`BoardTop` puts on a board, and what
    the bridge's simulation tests drive.

    Parameters
    ----------
    params : IocParams
        Subsystem configuration.
    divisor : int
        UART clock cycles per bit.
    timeout_cycles : int
        The bridge's timeout inside a request.

    Members
    -------
    rx : In(1)
        UART line from the host.
    tx : Out(1)
        UART line to the host.
    irq, agent_rst : Out(n_agents)
        The subsystem's outputs.

    Attributes
    ----------
    ioc : IocSubsystem
        The subsystem instance (for testbenches that watch its ports).
    """

    def __init__(self, params, *, divisor, timeout_cycles):
        self._params = _check_params(params)
        self._bridge = UartAxiBridge(n_ports=params.n_agents, id_width=params.id_width,
                                     divisor=divisor, timeout_cycles=timeout_cycles)
        self.ioc = IocSubsystem(params)
        n = params.n_agents
        super().__init__({"rx": In(1, init=1), "tx": Out(1, init=1), "irq": Out(n),
                          "agent_rst": Out(n)})

    @property
    def params(self):
        return self._params

    def elaborate(self, platform):
        m = Module()
        m.submodules.ioc = ioc = self.ioc
        m.submodules.bridge = bridge = self._bridge
        for k in range(self._params.n_agents):
            wiring.connect(m, bridge.ports[k], ioc.axi_port(k))
        m.d.comb += [
            ioc.resv_clear.eq(bridge.resv_clear),
            bridge.rx.eq(self.rx), self.tx.eq(bridge.tx),
            self.irq.eq(ioc.irq), self.agent_rst.eq(ioc.agent_rst),
        ]
        return m


class BoardTop(Elaboratable):
    """The subsystem on a development board, reachable from a host over the board's UART.

    ``uart`` 0 carries the :class:`~rtl.fpga.uart_axi.UartAxiBridge` protocol (see
    :mod:`host.bridge`); its ``resv_clear`` outputs drive the subsystem's. The LEDs show
    ``Cat(irq, agent_rst)``; ``agent_rst`` pulses are stretched to about 0.1 s so that they can be
    seen. With more bits than LEDs, bit *i* goes to LED ``i % n_leds`` (ORed).

    Parameters
    ----------
    params : IocParams
        Subsystem configuration.
    baud : int
        UART baud rate.
    """

    def __init__(self, params, *, baud=115200):
        self._params = _check_params(params)
        if not isinstance(baud, int) or isinstance(baud, bool) or baud <= 0:
            raise TypeError(f"baud must be a positive integer, not {baud!r}")
        self._baud = baud

    @property
    def params(self):
        return self._params

    @property
    def baud(self):
        return self._baud

    def elaborate(self, platform):
        m = Module()
        p = self._params
        clk_freq = int(platform.default_clk_frequency)
        divisor = clk_freq // self._baud
        if divisor < 4:
            raise ValueError(f"baud {self._baud} is too fast for a {clk_freq} Hz clock")

        m.submodules.bridged = ioc = BridgedIoc(p, divisor=divisor, timeout_cycles=clk_freq // 10)
        uart = platform.request("uart", 0, dir="-")
        m.submodules.uart_rx = uart_rx = io.Buffer("i", uart.rx)
        m.submodules.uart_tx = uart_tx = io.Buffer("o", uart.tx)
        m.d.comb += [ioc.rx.eq(uart_rx.i), uart_tx.o.eq(ioc.tx)]

        leds = []
        while True:
            try:
                port = platform.request("led", len(leds), dir="-")
            except ResourceError:
                break
            m.submodules[f"led{len(leds)}"] = buffer = io.Buffer("o", port)
            leds.append(buffer.o)
        # agent_rst lasts agent_rst_cycles; stretch it so that an LED shows it.
        stretched = Signal(p.n_agents)
        for k in range(p.n_agents):
            count = Signal(range(clk_freq // 10 + 1), name=f"rst{k}_stretch")
            with m.If(ioc.agent_rst[k]):
                m.d.sync += count.eq(clk_freq // 10)
            with m.Elif(count != 0):
                m.d.sync += count.eq(count - 1)
            m.d.comb += stretched[k].eq(ioc.agent_rst[k] | (count != 0))
        shown = Cat(ioc.irq, stretched)
        for i, led in enumerate(leds):
            m.d.comb += led.eq(Cat(shown[j] for j in range(i, len(shown), len(leds))).any())
        return m


class OocICE40Platform(LatticeICE40Platform):
    """iCE40 UP5K (SG48) with a clock pin and the two pins of :class:`OocTop` only.

    The clock is constrained to ``target_mhz`` (60 MHz, SPEC §3.6); ``floor_mhz`` (48 MHz, the
    UP5K's internal oscillator) is the least a build may reach.
    """
    device = "iCE40UP5K"
    package = "SG48"
    default_clk = "clk"
    target_mhz = 60
    floor_mhz = 48
    resources = [
        Resource("clk", 0, Pins("35", dir="i"), Clock(target_mhz * 1e6)),
        Resource("ooc_din", 0, Pins("6", dir="i")),
        Resource("ooc_dout", 0, Pins("9", dir="o")),
    ]
    connectors = []


class OocECP5Platform(LatticeECP5Platform):
    """ECP5 (CABGA381, speed 6, as on the ULX3S) with a clock pin and the pins of
    :class:`OocTop` only. The clock is constrained to ``target_mhz`` (150 MHz, SPEC §3.6);
    ``floor_mhz`` (130 MHz) is the least a build may reach.

    Parameters
    ----------
    device : str
        Lattice device name, e.g. ``"LFE5U-85F"``.
    """
    device = "LFE5U-85F"
    package = "BG381"
    speed = "6"
    default_clk = "clk"
    target_mhz = 150
    floor_mhz = 130
    resources = [
        Resource("clk", 0, Pins("G2", dir="i"), Clock(target_mhz * 1e6)),
        Resource("ooc_din", 0, Pins("M1", dir="i")),
        Resource("ooc_dout", 0, Pins("L4", dir="o")),
    ]
    connectors = []

    def __init__(self, device="LFE5U-85F"):
        if device not in ECP5_DEVICES.values():
            raise ValueError(f"device must be one of {sorted(ECP5_DEVICES.values())}, "
                             f"not {device!r}")
        self.device = device
        super().__init__()


def _icebreaker(device):
    from amaranth_boards.icebreaker import ICEBreakerPlatform
    platform = ICEBreakerPlatform()
    # The break-off PMOD (LEDs 2-6, buttons) ships attached: agent_rst gets LEDs of its own.
    platform.add_resources(platform.break_off_pmod)
    return platform


def _ulx3s(device):
    from amaranth_boards import ulx3s
    return getattr(ulx3s, f"ULX3S_{device.split('-')[1]}_Platform")()


@dataclass(frozen=True)
class Board:
    """A synthesis target of :mod:`rtl.fpga.flow`.

    Attributes
    ----------
    name : str
        ``BOARD=`` name; also the build directory ``build/synth/<name>``.
    family : str
        ``"ice40"`` or ``"ecp5"``.
    platform : callable
        ``platform(device)`` returns the Amaranth platform (``device`` is ``None`` for iCE40).
    ooc : bool
        Out-of-context build of the IP (:class:`OocTop`) rather than a board top.
    target_mhz : float
        The Fmax the IP should reach on this family (SPEC target): reported with the result.
    floor_mhz : float
        The Fmax the IP must reach on this family (SPEC floor): an out-of-context build below
        it fails.
    """
    name: str
    family: str
    platform: object
    ooc: bool
    target_mhz: float
    floor_mhz: float

    def top(self, params):
        """The elaboratable this target builds."""
        return OocTop(params) if self.ooc else BoardTop(params)


BOARDS = {board.name: board for board in (
    Board(name, family, platform, ooc=ooc, target_mhz=ooc_platform.target_mhz,
          floor_mhz=ooc_platform.floor_mhz)
    for name, family, platform, ooc, ooc_platform in (
        ("icebreaker", "ice40", _icebreaker, False, OocICE40Platform),
        ("ulx3s", "ecp5", _ulx3s, False, OocECP5Platform),
        ("ooc-ice40", "ice40", lambda device: OocICE40Platform(), True, OocICE40Platform),
        ("ooc-ecp5", "ecp5", OocECP5Platform, True, OocECP5Platform),
    ))}
