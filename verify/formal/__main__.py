"""``python -m verify.formal``: run every proof group, write build/verify/formal.{json,md}."""

import argparse
import sys

from .jobs import GROUPS, group
from .run import main_run


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m verify.formal", description=__doc__)
    ap.add_argument("--group", action="append", help="run only this group (repeatable)",
                    choices=[g.name for g in GROUPS])
    ap.add_argument("--jobs", type=int, default=2, help="SymbiYosys jobs at a time (default 2)")
    ap.add_argument("--workdir", default="build/formal")
    ap.add_argument("--out", default="build/verify")
    args = ap.parse_args(argv)
    groups = [group(n) for n in args.group] if args.group else list(GROUPS)
    records, ok = main_run(groups, args.workdir, args.out, args.jobs)
    for r in records:
        print(f"{'ok ' if r['ok'] else 'BAD'} {r['group']:24} {r['kind']:6} {r['bug'] or '':30} "
              f"{r['verdict']:22} {r['seconds']:6.1f} s")
    print(f"report: {args.out}/formal.md")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
