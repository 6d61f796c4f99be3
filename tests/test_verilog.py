"""The generated Verilog: port names for AXI models, and clean builds on both simulators."""

import json
import re
import subprocess

import pytest
from amaranth.back import verilog as amaranth_verilog

from cosim.suite_start import EXPECTED
from ioc_defs.axi import AXI_SIGNALS
from ioc_defs.params import TOP_NAME, IocParams
from rtl.cli import generate_verilog, main
from rtl.subsystem import IocSubsystem
from testbench.runner import BUILD_ROOT, WAIVERS, run, run_icarus_on, simulator_env

CONFIGS = [IocParams(), IocParams(n_agents=4, n_channels=32, shm_bytes=1024, granule_log2=3,
                                  id_width=8), IocParams(n_agents=1, id_width=1)]


@pytest.fixture(scope="module", params=CONFIGS, ids=[p.name() for p in CONFIGS])
def verilog(request):
    p = request.param
    path = BUILD_ROOT / "lint" / p.name() / f"{TOP_NAME}.v"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(generate_verilog(p))
    return p, path


def test_top_ports_are_named_for_axi_models(verilog):
    p, path = verilog
    header = re.search(rf"module {TOP_NAME}\((.*?)\);", path.read_text(), re.S).group(1)
    ports = {name.strip() for name in header.split(",")}
    want = {"clk", "rst", "irq", "resv_clear", "agent_rst"}
    want |= {f"s{k}_axi_{sig}" for k in range(p.n_agents) for sig in AXI_SIGNALS}
    assert ports == want


@pytest.mark.parametrize("generation", ["-g2005", "-g2012"])
def test_icarus_compiles_cleanly(verilog, generation):
    _, path = verilog
    result = subprocess.run(["iverilog", generation, "-Wall", "-o", "/dev/null", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_no_block_needs_a_time_zero_event(verilog):
    """``always @*`` blocks rely on an event at time 0 that SystemVerilog semantics omit."""
    _, path = verilog
    assert "always @*" not in path.read_text()


def _start_log_custom(source, name, build_args):
    """Run ``cosim.suite_start`` on Icarus with the given Verilog and flags (a build of its
    own); returns (passed, the recorded responses)."""
    log = BUILD_ROOT / "sim" / f"{name}.json"
    log.unlink(missing_ok=True)
    passed, _ = run_icarus_on(source, "cosim.suite_start", name=name, build_args=build_args,
                              env={"IOC_START_LOG": str(log)})
    return passed, json.loads(log.read_text())


def _start_log(sim):
    """Run ``cosim.suite_start`` on the project's own build for ``sim`` (cocotb's default
    flags on Icarus)."""
    params = IocParams()
    log = BUILD_ROOT / "sim" / f"start-{sim}.json"
    log.unlink(missing_ok=True)
    passed, failed, _ = run(params, sim, "cosim.suite_start", env={"IOC_START_LOG": str(log)})
    return (passed, failed) == (1, 0), json.loads(log.read_text())


@pytest.mark.cosim
def test_power_up_is_identical_under_any_flags():
    """First reads, a first failed SC and a first LL/SC pair from time 0: Icarus with
    cocotb's default flags (-g2012), Icarus -g2005 and Verilator answer alike, as SPEC says.

    Negative control: Amaranth's stock conversion (``always @*`` blocks) under cocotb's
    defaults answers X on the first read (RLAST, with the pipeline) and no answer to the failed
    SC within the suite's bound (X on a VALID or READY), and the suite catches it.
    """
    source = BUILD_ROOT / "verilog" / IocParams().name() / f"{TOP_NAME}.v"
    default_ok, default = _start_log("icarus")
    g2005_ok, g2005 = _start_log_custom(source, "start-icarus-g2005", ["-g2005"])
    verilator_ok, verilator = _start_log("verilator")
    assert default_ok and g2005_ok and verilator_ok
    assert default == g2005 == verilator
    assert [entry["step"] for entry in default] == [step for step, *_ in EXPECTED]

    stock = BUILD_ROOT / "sim" / "start-stock.v"
    top = IocSubsystem(IocParams())
    stock.write_text(amaranth_verilog.convert(top, name=TOP_NAME, ports=top.verilog_ports(),
                                              emit_src=False))
    stock_ok, stock_log = _start_log_custom(stock, "start-icarus-stock", [])
    assert not stock_ok
    # undefined: X in a response, or no response at all (an X on VALID or READY)
    undefined = [e["step"] for e in stock_log
                 if e["resp"] == "none" or any("x" in e[f].lower() for f in e if f != "step")]
    assert "first SC, no reservation" in undefined and "first read of shared RAM" in undefined


def test_verilator_lint_wall_is_clean(verilog):
    """-Wall with only the waivers listed (and justified) in rtl/verilator_waivers.vlt."""
    _, path = verilog
    simulator_env()
    result = subprocess.run(["verilator", "--lint-only", "-Wall", str(WAIVERS), str(path),
                             "--top-module", TOP_NAME], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "%Warning" not in result.stderr and "%Error" not in result.stderr, result.stderr


def test_cli_writes_the_requested_configuration(tmp_path, capsys):
    out = tmp_path / "top.v"
    main(["verilog", "--output", str(out), "--n-agents", "3"])
    assert "s2_axi_awvalid" in out.read_text() and "s3_axi_awvalid" not in out.read_text()
    assert "n_agents=3" in capsys.readouterr().out
