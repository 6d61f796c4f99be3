"""The FPGA flow: the iCE40 out-of-context build runs and its report is complete and plausible."""

import json
import re
from pathlib import Path

import pytest

from ioc_defs.params import IocParams
from rtl.fpga.boards import BOARDS, ECP5_DEVICES, BoardTop
from rtl.fpga.flow import REPORT_FIELDS, ROOT, TOOLS, synthesize, tool_env


@pytest.mark.fpga
def test_ooc_ice40_build(tmp_path):
    params = IocParams()
    report = synthesize("ooc-ice40", params=params, out_root=tmp_path)
    build_dir = tmp_path / "ooc-ice40"
    assert json.loads((build_dir / "report.json").read_text()) == report
    assert set(REPORT_FIELDS) <= set(report)

    assert report["device"] == "iCE40UP5K" and report["params"]["n_agents"] == 2
    assert report["clocks"], "nextpnr reported no clock"
    for clock in report["clocks"]:
        assert clock["achieved_mhz"] > 0
        assert clock["constraint_mhz"] == 48.0
        assert clock["pass"] == (clock["achieved_mhz"] >= clock["constraint_mhz"])
    assert report["pass"] == all(c["pass"] for c in report["clocks"])
    fmax = min(c["achieved_mhz"] for c in report["clocks"])
    assert report["target_met"] == (fmax >= 48)

    summary = report["summary"]
    for kind in ("logic", "ff", "bram"):
        assert summary[kind]["used"] > 0, kind
    assert summary["logic"]["available"] == 5280
    # Nothing trimmed: every flip-flop bit of the RTL is either mapped or a constant Yosys
    # reported, the subsystem's modules are all there, and the shared RAM is in block RAM
    # (4 kbit each on iCE40). The balance may be negative, not positive: Yosys adds flip-flops
    # of its own when it maps the shared RAM (``emulate_read_first``), which the RTL count
    # cannot include, and silently drops flops whose output is unused.
    ffs = report["ff_accounting"]
    assert ffs["other_removed"] <= 0, ffs
    assert ffs["rtl_bits_by_module"]["top"] == report["wrapper_ffs"]
    for module in ("ioc.frontend0", "ioc.frontend1", "ioc.monitor", "ioc.mailbox"):
        assert ffs["rtl_bits_by_module"][f"top.{module}"] > 0, module
    assert summary["ff"]["used"] == ffs["mapped"]
    assert summary["ff"]["available"] == 5280
    assert report["shm_in_bram"]
    assert summary["bram"]["used"] * 4096 >= params.shm_bytes * 8

    assert report["critical_paths"] and report["critical_paths"][0]["delay_ns"] > 0
    bitstream = build_dir / report["bitstream"]
    assert bitstream.suffix == ".bin" and bitstream.stat().st_size > 0
    assert "## Timing" in (build_dir / "report.md").read_text()


def test_tool_env_defaults_and_overrides(monkeypatch):
    monkeypatch.setenv("NEXTPNR_ICE40", "/opt/nextpnr/bin/nextpnr-ice40")
    monkeypatch.delenv("YOWASP_CACHE_DIR", raising=False)
    env = tool_env(ROOT / "build")
    assert env["NEXTPNR_ICE40"] == "/opt/nextpnr/bin/nextpnr-ice40"
    assert Path(env["YOSYS"]).name == TOOLS["YOSYS"]
    assert Path(env["YOWASP_CACHE_DIR"]) == ROOT / "build" / "yowasp-cache"


@pytest.mark.parametrize("board, device, message", [
    ("de0", None, "board must be one of"),
    ("ulx3s", "95F", "device must be one of"),
    ("icebreaker", "85F", "DEVICE is for ECP5 targets"),
])
def test_synthesize_rejects(board, device, message):
    with pytest.raises(ValueError, match=message):
        synthesize(board, device=device)


def test_every_target_has_a_top():
    assert set(BOARDS) == {"icebreaker", "ulx3s", "ooc-ice40", "ooc-ecp5"}
    for board in BOARDS.values():
        assert board.target_mhz == {"ice40": 48, "ecp5": 150}[board.family]


@pytest.mark.parametrize("board, device, pins", [
    ("icebreaker", None, {"uart_0__rx__io": "6", "uart_0__tx__io": "9", "led_0__io": "11",
                          "led_3__io": "27"}),
    ("ulx3s", "25F", {"uart_0__rx__io": "M1", "uart_0__tx__io": "L4", "led_0__io": "B2",
                      "led_3__io": "D2"}),
])
def test_board_top_pins(board, device, pins):
    """The board top binds the UART and the LEDs (irq, then agent_rst) to the board's pins."""
    platform = BOARDS[board].platform(ECP5_DEVICES.get(device))
    plan = platform.prepare(BoardTop(IocParams()), "top")
    if board == "icebreaker":
        bound = dict(line.split()[1:] for line in plan.files["top.pcf"].splitlines()
                     if line.startswith("set_io"))
    else:
        bound = dict(re.findall(r'LOCATE COMP "(\S+)" SITE "(\S+)";', plan.files["top.lpf"]))
        assert platform.device == "LFE5U-25F"
    assert pins.items() <= bound.items()
