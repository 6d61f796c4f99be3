# amaranth: UnusedElaboratable=no
"""The SoC (two CV32E40X on the IOC subsystem, Verilator): bring-up scenario, the LR/SC patches,
the firmware build's AMO check, and the SoC's configuration checks."""

import pytest

from ioc_defs.params import IocParams, ScFailCause
from soc.build import FIRMWARE_DIR, FirmwareError, build_firmware, emitted_amos
from soc.core import PATCHES, variant_name
from soc.memmap import RAM_BASE, RAM_BYTES, c_header, linker_script
from soc.run import run_program, scenarios
from soc.top import SocTop

pytestmark = pytest.mark.slow


def _scenario(name):
    (scenario,) = [s for s in scenarios(quick=True) if s.name == name]
    return scenario


def test_bringup_on_patched_cores_is_exact():
    scenario = _scenario("bringup")
    incs, irqs = scenario.defines["INCS"], scenario.defines["IRQS"]
    result = scenario.run().result
    assert not result.timeout and result.exit_code == 0, result.console
    v = result.values()
    assert result.console[0][-1] == "PASS" and result.exits == ((0,), ())
    # no lost update: both cores' increments are all there
    assert v["counter"] == v["expected"] == 2 * incs
    # the monitor's counters agree with what the cores saw: INCS successes each, and core 0's
    # failures are the ones its own loop counted (core 1's are printed by core 1)
    assert v["sc_ok0"] == v["sc_ok1"] == incs
    assert v["sc_fail0"] == v["sw_sc_fail"]
    assert v["sc_fail1"] == result.values(core=1, prefix="simpleos sw_sc_fail")["sw_sc_fail"]
    # every doorbell reached core 1's C handler, one interrupt each
    assert v["irqs"] == irqs
    # doorbell write -> the peer's handler, on the IOC cycle counter: the same every time (its
    # exact value, derived part by part, is tests/test_soc_irq_latency.py's)
    assert v["irq_latency_min"] == v["irq_latency_max"]
    # AGENT_CTRL reset core 1: second boot, channel epoch bumped
    assert v["boots"] == 2 and v["epoch"] == 1
    assert [line for line in result.console[1] if line.startswith("simpleos boot")] == [
        "simpleos boot boots=1 ", "simpleos boot boots=2 "]
    # amoadd.w was answered with a bus error (store-fault NMI) and did not change the word
    assert v["amo_cause"] == 1025 and v["amo_word"] == 7
    # a trap (ecall) between lr.w and sc.w pulses resv_clear: the SC fails, cause PREEMPTED;
    # the same pair without the trap succeeds
    assert v["sc_plain_fail"] == 0
    assert v["sc_after_trap_fail"] == 1 and v["sc_after_trap_cause"] == ScFailCause.PREEMPTED
    # loads that no SoC target decodes, or that the subsystem answers DECERR: load-fault NMIs
    assert v["unmapped_cause"] == v["decerr_cause"] == 1024
    # core 1 is unprivileged on the IOC: its AGENT_CTRL write is refused, core 0 runs on
    assert v["priv_cause"] == 1025 and result.console[0].count("linux up") == 1
    assert result.cycles < 20_000


def test_unpatched_core_loses_increments():
    """Negative control of soc/patches: the core as pinned issues lr.w/sc.w as byte accesses
    (so no exclusive ever succeeds) and reports the bus read data as the SC result (so the
    loop believes it succeeded): the count is wrong and the program says so."""
    result = _scenario("bringup-unpatched-core").run().result
    v = result.values()
    assert result.exit_code == 1 and result.console[0][-1] == "FAIL" and result.exits[0] == (1,)
    assert v["counter"] == 0 and v["expected"] == 200
    assert v["sc_ok0"] == v["sc_ok1"] == 0


def test_only_the_word_size_patch_takes_failed_sc_for_success():
    """Negative control of patch 0002 (sc.w result from EXOKAY), with 0001 applied: the
    exclusives now reach the monitor as words, but a failed sc.w still writes the bus read data
    (0 = success) into rd. The SC after a trap fails in the monitor (PREEMPTED) and the core
    reports success; and the loops never see a failure, so each SC the monitor failed is an
    increment lost (the count falls short by exactly the monitor's failure count)."""
    run = _scenario("bringup-only-patch-0001").run()
    v = run.result.values()
    assert run.result.exit_code == 1 and run.result.console[0][-1] == "FAIL"
    assert v["sc_after_trap_cause"] == ScFailCause.PREEMPTED and v["sc_after_trap_fail"] == 0
    assert v["sw_sc_fail"] == 0 and v["stuck"] == 0
    assert v["counter"] == v["sc_ok0"] + v["sc_ok1"] == 200 - v["sc_fail0"] - v["sc_fail1"]


def test_only_the_sc_result_patch_never_completes_an_increment():
    """Negative control of patch 0001 (lr.w/sc.w are words), with 0002 applied: lr.w/sc.w go
    out as byte accesses, which the bus cannot make exclusive, so the monitor sees no LL/SC at
    all (its counters stay 0) and every sc.w fails, now reported: the increment gives up."""
    run = _scenario("bringup-only-patch-0002").run()
    v = run.result.values()
    assert run.result.exit_code == 1 and run.result.console[0][-1] == "FAIL"
    assert v["stuck"] == 1 and v["sw_sc_fail"] > 0 and v["counter"] == 0
    assert v["sc_ok0"] == v["sc_ok1"] == v["sc_fail0"] == v["sc_fail1"] == 0


def test_core_variants_are_named_by_their_patches(tmp_path):
    assert variant_name(PATCHES) == "patched" and variant_name(()) == "unpatched"
    assert [variant_name([p]) for p in PATCHES] == ["only-0001", "only-0002"]
    stray = tmp_path / "0003-stray.patch"
    with pytest.raises(ValueError, match="^patches must be taken from soc/patches, not "):
        variant_name([stray])


def test_amo_check_rejects_compiler_emitted_amos(tmp_path):
    source = tmp_path / "atomic.c"
    source.write_text("#include <stdint.h>\n"
                      "uint32_t bump(volatile uint32_t *p) { return __atomic_fetch_add(p, 1, "
                      "__ATOMIC_SEQ_CST); }\n"
                      "int main(void) { return 0; }\n"
                      "uint32_t soc_trap(uint32_t c, uint32_t e) { (void)c; return e; }\n")
    with pytest.raises(FirmwareError, match="the compiler emitted AMOs in atomic.c"):
        build_firmware("atomic", [source], out_dir=tmp_path / "out")


@pytest.mark.parametrize(("name", "sources", "error", "message"), [
    ("a/b", [], ValueError, r"name must be a file name \(letters, digits, '_', '.', '-'\), "
                            r"not 'a/b'"),
    ("x", ["prog.cpp"], ValueError, r"sources must be C \(.c\) or assembly \(.S, .s\) files, "
                                    r"not prog.cpp"),
    ("x", ["missing.c"], FileNotFoundError, "no source file missing.c"),
])
def test_build_firmware_rejects_bad_input(name, sources, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        build_firmware(name, sources)


def test_run_program_rejects_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="^no firmware image .*missing.hex$"):
        run_program(tmp_path / "missing.hex")
    with pytest.raises(ValueError, match="^max_cycles must be a positive integer, not 0$"):
        run_program(tmp_path / "missing.hex", max_cycles=0)


def test_emitted_amos_sees_only_amos():
    text = ("80000010:\t100727af\tlr.w\ta5,(a4)\n"
            "80000014:\t18f726af\tsc.w\ta3,a5,(a4)\n"
            "80000018:\t00b5252f\tamoadd.w\ta0,a1,(a0)\n"
            "8000001c:\t0cb5252f\tamoswap.w.aqrl\ta0,a1,(a0)\n")
    assert [line.split("\t")[2] for line in emitted_amos(text)] == ["amoadd.w", "amoswap.w.aqrl"]


def test_firmware_image_is_in_ram_words(tmp_path):
    image = build_firmware("bringup", [FIRMWARE_DIR / "bringup.c", FIRMWARE_DIR / "amo_probe.S"],
                           out_dir=tmp_path)
    words = image.read_text().split()
    assert 0 < len(words) <= RAM_BYTES // 4
    assert all(len(w) == 8 for w in words)
    assert f"ORIGIN = 0x{RAM_BASE:08X}" in linker_script()
    assert f"#define SOC_RAM_BASE 0x{RAM_BASE:08X}" in c_header()


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"params": 2}, TypeError, "params must be an IocParams, not 2"),
    ({"params": IocParams(n_agents=3)}, ValueError, "params.n_agents must be 2 .one per role., "
                                                    "not 3"),
    ({"privileged": (True,)}, TypeError, r"privileged must be a tuple of 2 bools, not \(True,\)"),
])
def test_soc_constructor_validation(kwargs, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        SocTop(**kwargs)
