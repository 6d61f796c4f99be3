"""The generated Verilog: port names for AXI models, and clean builds on both simulators."""

import re
import subprocess

import pytest

from ioc_defs.axi import AXI_SIGNALS
from ioc_defs.params import TOP_NAME, IocParams
from rtl.cli import generate_verilog, main
from testbench.runner import BUILD_ROOT, WAIVERS, simulator_env

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


def test_icarus_compiles_cleanly(verilog):
    _, path = verilog
    result = subprocess.run(["iverilog", "-g2005", "-Wall", "-o", "/dev/null", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


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
