"""The pieces every property module uses: named properties, past values, internal probes.

Properties are Amaranth ``Assert`` / ``Assume`` / ``Cover`` statements in the ``sync`` domain, so
that one module serves two purposes: SymbiYosys proves it (the DUT's inputs are free), and an
``amaranth.sim`` testbench that includes it fails on the first violated ``Assert`` (or
``Assume``: a testbench that breaks the environment's rules is wrong too). In both, a ``sync``
property is checked at the clock edge on the values of the cycle that edge ends.
"""

import inspect

from amaranth.hdl import (
    Assert,
    Assume,
    Cover,
    Elaboratable,
    Fragment,
    Module,
    ResetSignal,
    Signal,
    Value,
)

__all__ = ["PropertySet", "Past", "Probe", "FormalTop", "Mutation", "wait_cycles"]


class PropertySet:
    """Records every property a module states, with a name and the source line that states it.

    SymbiYosys names a failed or reached property by its source location; :meth:`lookup`
    turns that back into the name.
    """

    def __init__(self, group):
        self.group = group
        self.entries = []  # (kind, name, "file:line")

    def _add(self, m, kind, ctor, name, test):
        # A property in a loop shares its source line with its siblings; the tools name a
        # property by its location only, so each gets a unique one: "p<index>@file:line".
        frame = inspect.stack()[2]
        filename = f"p{len(self.entries)}@{frame.filename}"
        stmt = ctor(test, name)
        stmt.src_loc = (filename, frame.lineno)
        self.entries.append((kind, name, f"{filename}:{frame.lineno}"))
        m.d.sync += stmt

    def assert_(self, m, name, test):
        self._add(m, "assert", Assert, name, test)

    def assume(self, m, name, test):
        self._add(m, "assume", Assume, name, test)

    def cover(self, m, name, test):
        self._add(m, "cover", Cover, name, test)

    def implies(self, m, name, premise, conclusion):
        """``Assert(premise -> conclusion)`` and ``Cover(premise)``: the premise is reachable."""
        self._add(m, "assert", Assert, name, ~Value.cast(premise) | conclusion)
        self._add(m, "cover", Cover, f"premise of: {name}", premise)

    def count(self, kind):
        return sum(1 for k, _, _ in self.entries if k == kind)

    def lookup(self, location):
        """The name of the property at ``location`` (as the tools print it), or ``None``."""
        for _, name, loc in self.entries:
            if loc == location:
                return name
        return None


class Past:
    """Registers holding last cycle's value of anything (Amaranth 0.5 has no ``Past``).

    The registers are reset-less, so that after a reset they still hold the cycle of the reset;
    ``rst`` is last cycle's reset and ``ok`` is 1 once there is a previous cycle, i.e. from the
    second cycle of a run. Premises about the past must include ``ok & ~rst``.
    """

    def __init__(self, m):
        self._m = m
        self.ok = Signal(name="past_ok", reset_less=True)
        self.rst = Signal(name="past_rst", reset_less=True)
        m.d.sync += [self.ok.eq(1), self.rst.eq(ResetSignal())]
        self.clean = Signal(name="past_clean")
        m.d.comb += self.clean.eq(self.ok & ~self.rst)

    def __call__(self, value, name=None):
        value = Value.cast(value)
        reg = Signal(len(value), name=name or "past", reset_less=True)
        self._m.d.sync += reg.eq(value)
        return reg


def wait_cycles(m, waiting, limit, name):
    """A ghost counter: consecutive cycles before this one in which ``waiting`` held
    (saturating at ``limit``; 0 once ``waiting`` drops)."""
    wait = Signal(range(limit + 1), name=name)
    with m.If(waiting & (wait < limit)):
        m.d.sync += wait.eq(wait + 1)
    with m.Elif(~waiting):
        m.d.sync += wait.eq(0)
    return wait


class Probe:
    """Finds a design's internal signals by the names the RTL gives them (from
    :mod:`ioc_defs.probes`, where every property module takes them too).

    The names are those that show in waveforms and in the generated Verilog, alone or prefixed
    with the submodule path (``frontend0.rd``); a name that is missing, or given to more than
    one signal, is an error rather than a silent mismatch.
    """

    def __init__(self, fragment):
        self._by_name = {}
        self._walk(fragment)

    def _walk(self, fragment, path=""):
        for stmts in fragment.statements.values():
            for stmt in stmts:
                for sig in (*stmt._lhs_signals(), *stmt._rhs_signals()):
                    # a signal compares by expression, not by identity: keyed by its id
                    self._by_name.setdefault(sig.name, {})[id(sig)] = sig
                    # also by hierarchical name (``frontend0.rd``), for names that recur in
                    # several instances of one module
                    if path:
                        self._by_name.setdefault(f"{path}{sig.name}", {})[id(sig)] = sig
        for sub, name, _src in fragment.subfragments:
            self._walk(sub, f"{path}{name}." if name else path)

    def __getitem__(self, name):
        found = self._by_name.get(name)
        if not found:
            raise KeyError(f"the design has no signal named {name!r}")
        if len(found) > 1:
            raise KeyError(f"more than one signal is named {name!r}")
        return next(iter(found.values()))


class Mutation(Elaboratable):
    """A DUT with a seeded bug: the DUT's own logic, plus statements that override some of it.

    ``mutate(m, dut, probe)`` adds statements to the fresh Module ``m``; they are appended after
    the DUT's own statements, so (Amaranth's last-assignment-wins rule) they replace the logic
    they assign. The object behaves as the DUT otherwise (same ports, same ``params``).
    """

    def __init__(self, dut, name, mutate):
        self.dut, self.name, self._mutate = dut, name, mutate

    def __getattr__(self, name):
        return getattr(self.__dict__["dut"], name)

    def elaborate(self, platform):
        fragment = Fragment.get(self.dut, platform)
        m = Module()
        self._mutate(m, self.dut, Probe(fragment))
        for domain, stmts in Fragment.get(m, platform).statements.items():
            fragment.add_statements(domain, *stmts)
        return fragment


class FormalTop(Elaboratable):
    """The DUT plus its property module; the DUT's ports are the top level's ports.

    Parameters
    ----------
    dut : wiring.Component or Mutation
        The design under test.
    properties : callable
        ``properties(dut, probe) -> Elaboratable`` stating properties over the DUT's ports and,
        through ``probe`` (a :class:`Probe`), its internal state. It must expose ``props``, a
        :class:`PropertySet`.
    """

    def __init__(self, dut, properties):
        self.dut = dut
        self._properties = properties
        self.props = None

    def ports(self):
        """``{name: (value, None)}`` of every DUT port (inputs become free in a proof)."""
        ports = {}
        for path, _member, value in self.dut.signature.flatten(self.dut):
            ports["__".join(map(str, path))] = (Value.cast(value), None)
        return ports

    def elaborate(self, platform):
        m = Module()
        fragment = Fragment.get(self.dut, platform)
        m.submodules.dut = fragment
        checker = self._properties(self.dut, Probe(fragment))
        self.props = checker.props
        m.submodules.properties = checker
        return m
