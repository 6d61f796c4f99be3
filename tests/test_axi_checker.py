"""The AXI protocol checker itself: each rule fires on a trace that breaks it (and only then)."""

import re

import pytest

from testbench.axi_checker import AxiProtocolChecker


class _Value:
    def __init__(self, v):
        self._v = v

    @property
    def is_resolvable(self):
        return self._v is not None

    def __int__(self):
        return self._v


class _Signal:
    def __init__(self):
        self.value = _Value(0)


class _Port:
    """A fake DUT with one AXI port named ``p_<signal>``, driven cycle by cycle."""

    def __init__(self):
        self.signals = {}

    def __getattr__(self, name):
        return self.signals.setdefault(name, _Signal())


def run(cycles):
    """``cycles``: one dict of {signal: value} per cycle (unset signals keep their value)."""
    dut = _Port()
    rst = _Signal()
    checker = AxiProtocolChecker(dut, "p_", clock=None, reset=rst)
    for cycle in cycles:
        for name, value in cycle.items():
            getattr(dut, "p_" + name).value = _Value(value)
        checker.sample()
    return checker


READY = {"awready": 1, "wready": 1, "arready": 1, "bready": 1, "rready": 1}
AR = {"arvalid": 1, "arid": 3, "araddr": 0x40, "arlen": 1, "arsize": 2, "arburst": 1,
      "arlock": 0, "arprot": 0}
R0 = {"arvalid": 0, "rvalid": 1, "rid": 3, "rdata": 1, "rresp": 0, "rlast": 0}
R1 = {"rvalid": 1, "rid": 3, "rdata": 2, "rresp": 0, "rlast": 1}
IDLE_R = {"rvalid": 0}
AW = {"awvalid": 1, "awid": 1, "awaddr": 0, "awlen": 0, "awsize": 2, "awburst": 1, "awlock": 0,
      "awprot": 0, "wvalid": 1, "wdata": 5, "wstrb": 15, "wlast": 1}
B = {"awvalid": 0, "wvalid": 0, "bvalid": 1, "bid": 1, "bresp": 0}


def test_a_clean_trace_passes():
    checker = run([READY, AR, R0, R1, IDLE_R, AW, B, {"bvalid": 0}])
    checker.check()
    assert checker.handshakes == 6


@pytest.mark.parametrize("trace,message", [
    ([READY, R1], "answers no outstanding read"),
    ([READY, AR, {**R0, "rlast": 1}], "RLAST=1 with 1 beat(s) still due"),
    ([READY, AR, R0, {**R1, "rlast": 0}], "RLAST=0 with 0 beat(s) still due"),
    ([READY, {**AR, "arlen": 0}, {**R1, "arvalid": 0, "rresp": 1}], "EXOKAY on R of a normal"),
    ([READY, AW, {**B, "bresp": 1}], "EXOKAY on B of a normal"),
    ([READY, {**B, "bid": 2}], "answers no completed write burst"),
    ([{**READY, "rready": 0}, AR, {**R0, "rready": 0}, IDLE_R], "RVALID dropped before"),
    ([{**READY, "rready": 0}, AR, {**R0, "rready": 0}, {"rdata": 9}], "payload changed"),
    ([READY, {**AR, "arvalid": None}], "ARVALID is X/Z"),
    ([READY, AR, {**R0, "rdata": None}], "rdata X/Z while RVALID is high"),
    ([READY, {**AW, "wlast": 0}], "WLAST=0 on beat 1 of a 1-beat burst"),
])
def test_each_rule_fires(trace, message):
    checker = run(trace)
    with pytest.raises(AssertionError, match=re.escape(message)):
        checker.check(idle=False)


def test_unanswered_requests_are_reported_at_the_end():
    checker = run([READY, AR, R0, IDLE_R, AW, {"awvalid": 0, "wvalid": 0}])
    checker.check(idle=False)
    with pytest.raises(AssertionError, match="never"):
        checker.check()
