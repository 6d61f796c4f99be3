"""Command line of the gateware: ``python -m rtl.cli verilog --output build/ioc_subsystem.v``."""

import argparse
from pathlib import Path

from amaranth.back import verilog

from ioc_defs.params import TOP_NAME, IocParams

from .subsystem import IocSubsystem

__all__ = ["generate_verilog", "main"]


def generate_verilog(params=None):
    """Verilog text of an :class:`IocSubsystem` with top module ``ioc_subsystem``."""
    top = IocSubsystem(params if params is not None else IocParams())
    return verilog.convert(top, name=TOP_NAME, ports=top.verilog_ports(), emit_src=False)


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
