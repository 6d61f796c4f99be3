"""Command line of the gateware: ``python -m rtl.cli verilog --output build/ioc_subsystem.v``."""

import argparse
from pathlib import Path

from amaranth._toolchain.yosys import find_yosys
from amaranth.back import rtlil

from ioc_defs.params import TOP_NAME, IocParams

from .subsystem import IocSubsystem

__all__ = ["generate_verilog", "main"]


# The Yosys script that turns the RTLIL into Verilog. Amaranth's own ``verilog.convert`` runs
# ``proc -nomux``, which leaves every combinational switch as an ``always @*`` block; Yosys wakes
# those at time 0 with an initialised dummy register, an event that exists under Verilog-2005
# semantics only: under SystemVerilog (cocotb's default ``iverilog -g2012``) the blocks whose
# inputs do not change stay X (first read answers, a failed SC's BRESP, an SC's write). ``proc``
# with muxes leaves only continuous assignments and clocked blocks, which every standard
# simulator evaluates from time 0. Without ``-norename`` the muxes' helper functions get plain
# names (``_12_``): Icarus takes an escaped ``\$procmux$..`` call for a system function.
_YOSYS_SCRIPT = ("proc -norom", "memory_collect", "write_verilog")


def generate_verilog(params=None):
    """Verilog text of an :class:`IocSubsystem` with top module ``ioc_subsystem``.

    Plain Verilog-2005 with no ``always @*`` block, so that it behaves the same from time 0
    under any standard simulator flags (Icarus ``-g2005`` or ``-g2012``, Verilator).
    """
    top = IocSubsystem(params if params is not None else IocParams())
    text = rtlil.convert(top, name=TOP_NAME, ports=top.verilog_ports(), emit_src=False)
    yosys = find_yosys(lambda version: version >= (0, 40))
    script = "\n".join([f"read_rtlil <<rtlil\n{text}\nrtlil", *_YOSYS_SCRIPT])
    return yosys.run(["-q", "-"], script)


def _param_args(parser):
    defaults = IocParams()
    for field in IocParams.__dataclass_fields__:
        parser.add_argument(f"--{field.replace('_', '-')}", type=int,
                            default=getattr(defaults, field), metavar="N")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m rtl.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("verilog", help="write the subsystem as Verilog")
    gen.add_argument("--output", type=Path, required=True)
    _param_args(gen)
    args = parser.parse_args(argv)

    params = IocParams(**{f: getattr(args, f) for f in IocParams.__dataclass_fields__})
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(generate_verilog(params))
    print(f"wrote {args.output} ({params})")


if __name__ == "__main__":
    main()
