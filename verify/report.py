"""``build/verify/report.md``: the sections' fragments in order, under a table of their figures.

Each section writes ``build/verify/<section>.md`` (its text) and ``build/verify/<section>.json``
(a dict with a ``"summary"`` dict of headline figures) with :func:`write_section`; sections
written by other tools follow the same convention. :func:`build_report` concatenates them in
the order of :data:`SECTIONS`; a missing one is shown as not run, with the command that runs it.

    python -m verify.report
"""

import json
import sys

from testbench.runner import BUILD_ROOT

__all__ = ["VERIFY_ROOT", "SECTIONS", "write_section", "read_section", "build_report", "main"]

VERIFY_ROOT = BUILD_ROOT / "verify"
#: ``(section, title, make target that produces it)``, in report order.
SECTIONS = (
    ("formal", "Formal proofs", "make formal"),
    ("coverage", "Coverage", "make coverage"),
    ("fuzz", "Bad-input fuzzing", "make verify"),
    ("soak", "Fault soak", "make verify"),
    ("reset", "Reset sweep", "make verify"),
    ("mutation", "Mutation testing", "make mutate"),
)


def write_section(name, summary, markdown, *, root=None, **details):
    """Write section ``name``: ``<name>.json`` (``summary`` plus ``details``) and ``<name>.md``."""
    root = VERIFY_ROOT if root is None else root
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.json").write_text(json.dumps({"summary": summary, **details}, indent=2,
                                                  default=str) + "\n")
    (root / f"{name}.md").write_text(markdown.rstrip() + "\n")


def read_section(name, *, root=None):
    """``(summary, markdown)`` of a section, or ``None`` if it was not run. A section whose
    JSON has no ``summary`` dict is shown with an empty one."""
    root = VERIFY_ROOT if root is None else root
    md, js = root / f"{name}.md", root / f"{name}.json"
    if not md.exists() and not js.exists():
        return None
    summary = {}
    if js.exists():
        summary = json.loads(js.read_text()).get("summary", {})
        if not isinstance(summary, dict):
            summary = {"summary": summary}
    return summary, md.read_text() if md.exists() else ""


def _cell(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(", ", ": "))
    return str(value).replace("|", "\\|").replace("\n", " ")


def build_report(*, root=None):
    """Assemble ``report.md`` from the sections under ``root``; returns its path."""
    root = VERIFY_ROOT if root is None else root
    root.mkdir(parents=True, exist_ok=True)
    sections = {name: read_section(name, root=root) for name, _, _ in SECTIONS}
    lines = ["# spumone-ioc verification report", "",
             "## Summary", "", "| section | figure | value |", "|---|---|---|"]
    for name, title, target in SECTIONS:
        section = sections[name]
        if section is None:
            lines.append(f"| {title} | not run — run `{target}` | |")
            continue
        summary, _ = section
        if not summary:
            lines.append(f"| {title} | (no summary) | |")
        for key, value in summary.items():
            lines.append(f"| {title} | {_cell(key)} | {_cell(value)} |")
    for name, title, target in SECTIONS:
        section = sections[name]
        lines += ["", f"## {title}", ""]
        if section is None:
            lines.append(f"not run — run `{target}`")
            continue
        body = section[1].strip()
        # A fragment may start with its own title: keep one.
        if body.startswith("# ") or body.startswith("## "):
            body = body.split("\n", 1)[1].strip() if "\n" in body else ""
        lines.append(body if body else "(no text)")
    path = root / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def main(argv=None):
    path = build_report()
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
