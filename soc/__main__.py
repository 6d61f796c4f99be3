"""``python -m soc``: the SoC's command line.

``python -m soc scenarios [--quick]``  run the scenarios and print the table (``make soc``)
``python -m soc build NAME SRC... [-D KEY=VALUE] [--library]``  compile a program into a RAM
image (``--library``: with the IOC C library)
``python -m soc run IMAGE [IMAGE1]``  run an image on core 0 (and IMAGE1, default the same, on
core 1); prints both consoles and exits with core 0's exit code
"""

import argparse
import sys
from pathlib import Path

from .build import FirmwareError, build_firmware
from .core import PATCHES
from .run import format_table, run_program, run_scenarios


def _define(text):
    key, sep, value = text.partition("=")
    if not sep or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    return key, value


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m soc", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    scen = sub.add_parser("scenarios", help="run the scenarios, print the table")
    scen.add_argument("--quick", action="store_true", help="the short version (make test)")
    build = sub.add_parser("build", help="compile C/assembly sources into a RAM image")
    build.add_argument("name")
    build.add_argument("sources", nargs="+", type=Path)
    build.add_argument("-D", dest="defines", action="append", type=_define, default=[])
    build.add_argument("--library", action="store_true",
                       help="link the IOC C library (firmware/) with the SoC's headers")
    run = sub.add_parser("run", help="run RAM images on the two cores")
    run.add_argument("image", type=Path)
    run.add_argument("image1", type=Path, nargs="?")
    run.add_argument("--max-cycles", type=int, default=10_000_000)
    core = run.add_mutually_exclusive_group()
    core.add_argument("--unpatched", action="store_true",
                      help="the core as pinned, without the LR/SC patches")
    core.add_argument("--only-patch", choices=[p.name for p in PATCHES],
                      help="the core with this one of its patches")
    args = parser.parse_args(argv)
    try:
        return _command(args)
    except (FileNotFoundError, ValueError, FirmwareError) as error:
        parser.error(str(error))


def _command(args):
    if args.command == "scenarios":
        runs = run_scenarios(quick=args.quick)
        print(format_table(runs))
        bad = [run.scenario.name for run in runs if not run.as_expected]
        if bad:
            print(f"scenarios not as expected: {', '.join(bad)}", file=sys.stderr)
            return 1
        return 0
    if args.command == "build":
        print(build_firmware(args.name, args.sources, defines=dict(args.defines),
                             library=args.library))
        return 0
    patches = PATCHES
    if args.unpatched:
        patches = ()
    elif args.only_patch:
        patches = tuple(p for p in PATCHES if p.name == args.only_patch)
    result = run_program(args.image, args.image1, patches=patches, max_cycles=args.max_cycles)
    for k, lines in enumerate(result.console):
        for line in lines:
            print(f"[{k}] {line}")
        print(f"core {k} exits: {list(result.exits[k])}")
    print(f"cycles={result.cycles} exit={result.exit_code} timeout={int(result.timeout)}")
    return 1 if result.timeout else result.exit_code


if __name__ == "__main__":
    sys.exit(main())
