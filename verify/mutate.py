"""``make mutate``: mutation testing of the RTL with Yosys's own ``mutate`` command (mcy style).

    python -m verify.mutate [--sample N] [--seed S] [--modules m,...] [--out build/verify]

For each RTL module, mutants are drawn by ``mutate -list`` (YoWASP Yosys) from the netlist of
the module as its formal proof group elaborates it (a random sample of ``--sample``, seeded),
never chosen by hand. Each mutant is then run, cheap first:

1. **simulation**: the same mutation applied to that module inside the whole subsystem (built
   with the group's parameters; the module's netlist is the same, cell for cell), written as
   Verilog and run on Icarus with the short cocotb smoke suite (:mod:`cosim.suite_smoke`,
   scoreboard and AXI checkers on, a time limit against hangs);
2. **formal**: the group's k-induction proof on the mutated netlist (then, while none kills,
   each further proof group of the module's, ``Module.more_groups``), for every mutant of the
   modules whose score by formal alone is a goal (the LL/SC monitor and the IPI block:
   ``Module.formal_alone``), and for the others only when simulation did not kill it (cheap
   first, as mcy does: their slow proofs would make ``make mutate`` long). A mutant is killed
   when the proof that passes on the unmutated netlist fails: either the base case finds a
   counterexample trace from reset (``FAIL``), or the induction step does (``UNKNOWN``: the
   properties no longer hold inductively, as when a counter bit is stuck that a bounded run
   from reset cannot reach). Both are recorded, by kind; a tool error or a time-out is not a
   kill.

A mutant neither kills is triaged for equivalence (:func:`equivalent`): one that is proven to
behave as the unmutated module, whatever its inputs, from its initial state on, is
*equivalent* (it cannot be killed); the others are *survived* and count against the score.
``score`` = killed / (mutants - equivalent), with a Wilson 95 % interval for the sample.
Writes ``<out>/mutation.json`` (every mutant, its command and verdicts) and ``mutation.md``.
"""

import argparse
import ast
import inspect
import json
import math
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from amaranth.back import rtlil

import rtl.ioc_mailbox
from ioc_defs import probes
from ioc_defs.params import TOP_NAME
from rtl.subsystem import IocSubsystem
from testbench.runner import BUILD_ROOT, run_icarus_on
from verify.formal.jobs import group
from verify.formal.sby import ENGINE, run_written, tool_env, write_sby

__all__ = ["MODULES", "Module", "FORMAL_VERDICTS", "EQUIV_SEQ", "list_mutants", "wilson",
           "simulate_mutant", "prove_mutant", "prove_all", "formal_kill", "equivalent", "yosys",
           "run", "write_report", "main"]


@dataclass(frozen=True)
class Module:
    """An RTL module under mutation: its proof group, its instance name in the subsystem,
    whether every mutant goes through the proof (so that the score by formal alone is measured)
    or only those simulation did not kill, and optionally the part of the module mutated (a
    class or function, as ``(Python module, name)``: only cells whose source lines lie in
    it). ``more_groups`` are further proof groups of the same module, tried in turn on a
    mutant the first group's proof lets through; their DUT netlist must be the first one's,
    cell for cell (:func:`run` checks it), so that every mutation means the same there."""
    name: str
    group: str
    instance: str
    formal_alone: bool = False
    scope: object = None
    more_groups: tuple = ()


MODULES = (
    Module("ll_sc_monitor", "ll_sc_monitor", probes.MONITOR, formal_alone=True),
    Module("ioc_mailbox", "ioc_mailbox", probes.MAILBOX, formal_alone=True),
    # the register block's message FIFOs, against the FIFO proofs (the rest of the block is
    # ioc_mailbox's)
    # (the words themselves: the bounded data proof; the read forwarding is reachable only
    # there, as no front end issues two receives in consecutive cycles)
    Module("msg_fifo", "msg_fifo", probes.MAILBOX, scope=(rtl.ioc_mailbox, "_Fifos"),
           more_groups=("msg_fifo_data",)),
    Module("axi_frontend", "axi_frontend", probes.frontend(0)),
    Module("arbiter", "arbiter", probes.ARBITER),
)
_FORMAL_MODULE = "top.dut"


def yosys(script, cwd):
    """Run YoWASP Yosys on ``script`` in ``cwd``; raise with its output on failure."""
    env = tool_env()
    proc = subprocess.run([env["YOSYS"], "-q", "-p", script], cwd=cwd, env=env,
                          capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"yosys failed on {script!r}:\n{proc.stdout}{proc.stderr}")


def list_mutants(il, workdir, sample, seed, scope=None):
    """``sample`` mutation commands (``mutate -mode ...``) of module ``top.dut`` in ``il``; with
    ``scope`` (``(Python module, class or function name)``), a random sample of those whose
    cell comes from its source lines (``-src``)."""
    # the list starts with the unmutated design ("-mode none"): ask for one more
    wanted = sample + 1 if scope is None else _SCOPE_POOL
    yosys(f"read_rtlil {il.name}; mutate -list {wanted} -seed {seed} -none "
          f"-o mutants.txt {_FORMAL_MODULE}", workdir)
    lines = (workdir / "mutants.txt").read_text().splitlines()
    commands = [line for line in lines if line.startswith("mutate ") and "-mode none" not in line]
    if scope is None:
        return commands
    module, name = scope
    path = inspect.getsourcefile(module)
    (node,) = [n for n in ast.walk(ast.parse(Path(path).read_text()))
               if isinstance(n, ast.ClassDef | ast.FunctionDef) and n.name == name]
    where = re.compile(re.escape(path) + r":(\d+)")
    inside = [c for c in commands
              if any(node.lineno <= int(n) <= node.end_lineno for n in where.findall(c))]
    return random.Random(seed).sample(inside, min(sample, len(inside)))


#: mutants listed to sample a scoped module's from
_SCOPE_POOL = 3000


def wilson(killed, n, z=1.96):
    """Wilson score interval ``(low, high)`` of a proportion ``killed / n`` (95 % by default)."""
    if n == 0:
        return (0.0, 1.0)
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def simulate_mutant(mod, params, command, workdir, index):
    """Kill by simulation: the mutation inside the subsystem, cocotb smoke on Icarus."""
    sub = workdir / "subsystem.il"
    if not sub.exists():
        top = IocSubsystem(params)
        sub.write_text(rtlil.convert(top, name=TOP_NAME, ports=top.verilog_ports()))
    inner = command.replace(f"-module {_FORMAL_MODULE} ", f"-module {TOP_NAME}.{mod.instance} ")
    verilog = workdir / f"mutant{index}.v"
    yosys(f"read_rtlil {sub.name}; {inner}; proc -norom; memory_collect; "
          f"write_verilog -noattr {verilog.name}", workdir)
    passed, _ = run_icarus_on(verilog, "cosim.suite_smoke", params=params,
                              name=f"mutate-{mod.name}-{index}")
    return not passed


#: how a proof's status counts against a mutant (see the module documentation)
FORMAL_VERDICTS = {"FAIL": "base case", "UNKNOWN": "induction", "PASS": None}


def prove_mutant(g, command, workdir, index):
    """Kill by formal: the group's proof on the mutated netlist. Returns ``(status, failed)``:
    the proof's status (``FAIL``, ``UNKNOWN``: killed; ``PASS``: survived; ``ERROR`` or
    ``TIMEOUT``: undecided) and the first failed assertion's name."""
    name = f"mutant{index}-{g.name}"
    top = g.top()
    write_sby(name, top, g.mode, g.prove_depth, workdir)
    yosys(f"read_rtlil {name}.il; {command}; write_rtlil {name}.il", workdir)
    result = run_written(name, top.props, g.mode, g.prove_depth, workdir)
    return result.status, result.failed[:1]


def prove_all(groups, command, workdir, index):
    """:func:`prove_mutant` in each of ``groups`` until one kills: ``(status, failed, group
    name)`` of that one, else of the first undecided one, else of the last."""
    verdicts = []
    for g in groups:
        verdicts.append((*prove_mutant(g, command, workdir, index), g.name))
        if formal_kill(verdicts[-1][0]):
            return verdicts[-1]
    return next((v for v in verdicts if v[0] in ("ERROR", "TIMEOUT")), verdicts[-1])


def _dut_cells(top):
    """The cells of ``top``'s DUT module in its RTLIL, by name."""
    il = rtlil.convert(top, name="top", ports=top.ports())
    (dut,) = re.findall(rf"\n(module \\{re.escape(_FORMAL_MODULE)}\n.*?\nend)\n", il, re.S)
    return dict(re.findall(r"\n  cell \S+ (\S+)\n(.*?)\n  end", dut, re.S))


#: cycles of the equivalence induction's hypothesis, and of the bounded check from the start
EQUIV_SEQ = 4


def equivalent(il, command, workdir, index, seq=EQUIV_SEQ):
    """Whether the mutant ``command`` of module ``top.dut`` in ``il`` is proven equivalent to
    the module: every named signal (ports, state elements and named internal nets, matched by
    name) equal in every cycle, whatever the inputs, reset included. That is stricter than
    equal outputs (a mutant on a bit of a named net no output reads is not proven
    equivalent), so the score errs low. Two proofs, both needed:

    * Yosys ``equiv_make``/``equiv_simple``/``equiv_induct``: once the two agree for ``seq``
      cycles, they agree forever (induction);
    * SymbiYosys BMC of a ``miter -equiv`` of the two: they agree for the first ``seq + 1``
      cycles from their initial state (the base the induction needs).

    Returns ``(equivalent, why)``: ``why`` names the proof that did not close (or a tool
    error)."""
    # mutated as listed (before ``proc``, which renumbers cells), then both elaborated, their
    # memories (the message FIFOs' block RAM) as flip-flops, which equiv_make needs
    pair = (f"read_rtlil {Path(il).name}; hierarchy -top {_FORMAL_MODULE}; "
            f"copy {_FORMAL_MODULE} gold; {command}; rename {_FORMAL_MODULE} gate; "
            f"proc; memory; opt_clean; ")
    try:
        yosys(pair + f"async2sync; equiv_make gold gate equiv; hierarchy -top equiv; "
              f"equiv_simple -seq {seq}; equiv_induct -seq {seq}; equiv_status -assert",
              workdir)
    except RuntimeError as e:
        return False, "induction" if "unproven $equiv cells" in str(e) else "tool error"
    name = f"equiv{index}"
    yosys(pair + f"miter -equiv -flatten -make_assert -ignore_gold_x gold gate miter; "
          f"hierarchy -top miter; write_rtlil {name}.il", workdir)
    (Path(workdir) / f"{name}.sby").write_text(
        f"[options]\nmode bmc\ndepth {seq + 1}\nmulticlock off\n\n[engines]\n{ENGINE}\n\n"
        f"[script]\nread_rtlil {name}.il\nprep -top miter\n\n[files]\n{name}.il\n")
    result = run_written(name, _NO_NAMES, "bmc", seq + 1, workdir)
    return result.status == "PASS", None if result.status == "PASS" else "from the start"


class _NoNames:
    """A miter's assertions have no property names."""

    @staticmethod
    def lookup(location):
        return None


_NO_NAMES = _NoNames()


def formal_kill(status):
    """Whether a proof status kills the mutant (:data:`FORMAL_VERDICTS`)."""
    return FORMAL_VERDICTS.get(status) is not None


def run(modules, sample, seed, workdir, progress=print):
    """Mutate and test ``modules``; returns the records, one per module."""
    rng = random.Random(seed)
    records = []
    for mod in modules:
        g = group(mod.group)
        groups = (g, *map(group, mod.more_groups))
        wd = Path(workdir) / mod.name
        wd.mkdir(parents=True, exist_ok=True)
        top = g.top()
        differ = [h.name for h in groups[1:] if _dut_cells(h.top()) != _dut_cells(top)]
        if differ:
            raise ValueError(f"{mod.name}: the DUT of proof group(s) {', '.join(differ)} is "
                             f"not {g.name}'s cell for cell: its mutants would differ there")
        il = wd / "formal.il"
        il.write_text(rtlil.convert(top, name="top", ports=top.ports()))
        commands = list_mutants(il, wd, sample, rng.randrange(1 << 30), mod.scope)
        mutants = []
        for i, command in enumerate(commands):
            start = time.monotonic()
            by_sim = simulate_mutant(mod, g.params, command, wd, i)
            status, failed, proof = (prove_all(groups, command, wd, i)
                                     if mod.formal_alone or not by_sim else
                                     ("NOT RUN", [], None))
            by_formal = formal_kill(status)
            same, why = ((False, "killed") if by_sim or by_formal else
                         equivalent(il, command, wd, i))
            mutants.append({"command": command, "killed_sim": by_sim,
                            "killed_formal": by_formal, "formal_status": status,
                            "equivalent": same, "not_proven_equivalent": why,
                            "formal_kill": FORMAL_VERDICTS.get(status), "formal_failed": failed,
                            "formal_group": proof,
                            "seconds": round(time.monotonic() - start, 1)})
            progress(f"  {mod.name} mutant {i}: sim {'kill' if by_sim else 'live'}, "
                     f"formal {status}{', equivalent' if same else ''}  ({command[:90]})")
        records.append(_summary(mod, g, mutants))
    return records


def _summary(mod, g, mutants):
    n = len(mutants)
    killed = sum(m["killed_sim"] or m["killed_formal"] for m in mutants)
    formal = sum(m["killed_formal"] for m in mutants)
    same = sum(m["equivalent"] for m in mutants)
    scored = n - same
    return {"module": mod.name, "group": g.name, "more_groups": list(mod.more_groups),
            "params": g.describe_params(),
            "mutants": n, "killed_formal": formal,
            "killed_formal_base": sum(m["formal_kill"] == "base case" for m in mutants),
            "killed_formal_induction": sum(m["formal_kill"] == "induction" for m in mutants),
            "formal_undecided": sum(m["formal_status"] in ("ERROR", "TIMEOUT")
                                    for m in mutants),
            "killed_sim": sum(m["killed_sim"] for m in mutants),
            "killed": killed, "survived": n - killed - same, "equivalent": same,
            "score": killed / scored if scored else None,
            "score_ci95": wilson(killed, scored),
            "formal_score": formal / scored if scored and mod.formal_alone else None,
            "formal_score_ci95": wilson(formal, scored) if mod.formal_alone else None,
            "survivors": [m["command"] for m in mutants
                          if not (m["killed_sim"] or m["killed_formal"] or m["equivalent"])],
            "equivalents": [m["command"] for m in mutants if m["equivalent"]],
            "mutant_records": mutants}


def _alone(r):
    """The score by formal alone, where every mutant went through the proof."""
    if r["formal_score_ci95"] is None:
        return "– (proof only for mutants simulation left)"
    lo, hi = r["formal_score_ci95"]
    return f"{_pct(r['formal_score'])} ({_pct(lo)}–{_pct(hi)})"


def _formal(r):
    """Formal kills, by kind: base case / induction step."""
    return f"{r['killed_formal']} ({r['killed_formal_base']} / {r['killed_formal_induction']})"


def _more(records):
    """The further proof groups of the modules in ``records``."""
    more = [f"{r['module']}: {', '.join(r['more_groups'])}" for r in records
            if r.get("more_groups")]
    return "; ".join(more) or "none"


def _pct(x):
    return "–" if x is None else f"{100 * x:.0f} %"


def write_report(records, out, sample, seed, wall):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    total = {k: sum(r[k] for r in records)
             for k in ("mutants", "killed_formal", "killed_formal_base", "killed_formal_induction",
                       "formal_undecided", "killed_sim", "killed", "survived", "equivalent")}
    scored = total["mutants"] - total["equivalent"]
    total["score"] = total["killed"] / scored if scored else None
    total["score_ci95"] = wilson(total["killed"], scored)
    summary = {"mutants": total["mutants"], "score": _pct(total["score"]),
               "score 95 % interval": "–" if not scored else
               f"{_pct(total['score_ci95'][0])} – {_pct(total['score_ci95'][1])}",
               "survived": total["survived"], "sample per module": sample, "seed": seed}
    (out / "mutation.json").write_text(json.dumps(
        {"summary": summary, "total": total, "modules": records, "sample": sample,
         "seed": seed, "wall_s": round(wall)}, indent=2))
    lines = ["# Mutation testing", "",
             f"Mutants drawn by Yosys `mutate -list` from each module's netlist (its formal "
             f"group's parameters), a random sample of {sample} per module, seed {seed}; each "
             f"run against the short cocotb smoke on Icarus (the same mutation inside the "
             f"subsystem) and the group's k-induction proof, then any further proof of the "
             f"same netlist the module names ({_more(records)}) (for every mutant of the LL/SC "
             f"monitor and the IPI block, for the others' mutants simulation left; a kill: a "
             f"counterexample in the base case or in the induction step, counted as "
             f"`killed (formal)` = base / "
             f"induction; a tool error or time-out is not a kill: {total['formal_undecided']} "
             f"such). A mutant neither kills is `equivalent` when proven to behave as the "
             f"module whatever its inputs (Yosys `equiv_induct` plus a bounded check of a "
             f"miter from the initial state), else `survived`; score = killed / (mutants − "
             f"equivalent). Wall time "
             f"{wall:.0f} s.", "",
             "| module | group | mutants | killed (formal) | killed (sim) | killed | survived "
             "| equivalent | score (95 % CI) | formal alone (95 % CI) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        lo, hi = r["score_ci95"]
        lines.append(f"| {r['module']} | {r['group']} | {r['mutants']} | {_formal(r)} | "
                     f"{r['killed_sim']} | {r['killed']} | {r['survived']} | {r['equivalent']} "
                     f"| {_pct(r['score'])} ({_pct(lo)}–{_pct(hi)}) | "
                     f"{_alone(r)} |")
    lo, hi = total["score_ci95"]
    lines.append(f"| **total** | | {total['mutants']} | {_formal(total)} | "
                 f"{total['killed_sim']} | {total['killed']} | {total['survived']} | "
                 f"{total['equivalent']} | {_pct(total['score'])} ({_pct(lo)}–{_pct(hi)}) | |")
    lines += ["", "Survivors:", ""]
    lines += [f"- {r['module']}: `{c}`" for r in records for c in r["survivors"]] or ["- none"]
    lines += ["", "Proven equivalent:", ""]
    lines += [f"- {r['module']}: `{c}`" for r in records for c in r["equivalents"]] or ["- none"]
    (out / "mutation.md").write_text("\n".join(lines) + "\n")
    return total


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m verify.mutate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=20, help="mutants per module")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--modules", default=",".join(m.name for m in MODULES))
    parser.add_argument("--workdir", default=str(BUILD_ROOT / "mutate"))
    parser.add_argument("--out", default=str(BUILD_ROOT / "verify"))
    args = parser.parse_args(argv)
    known = {m.name: m for m in MODULES}
    names = [n for n in args.modules.split(",") if n]
    bad = [n for n in names if n not in known]
    if bad or not names or args.sample < 1:
        parser.error(f"--modules takes names from {', '.join(known)}; --sample >= 1")
    start = time.monotonic()
    records = run([known[n] for n in names], args.sample, args.seed, args.workdir)
    total = write_report(records, args.out, args.sample, args.seed, time.monotonic() - start)
    print(f"mutation score {_pct(total['score'])} of {total['mutants']} mutants; "
          f"report: {args.out}/mutation.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
