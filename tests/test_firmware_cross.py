"""The C guest library on the paper's ISA and on RV32: SH-4A and RV32 cross builds
(``movli.l`` / ``movco.l`` and ``lr.w`` / ``sc.w`` really emitted) and a multi-producer ring
stress under ``qemu-sh4`` and ``qemu-riscv32`` at -O2 (the shipped level), -Os and -O0; the
register reads kept apart at -O2 (volatile); the reduced reproducer of the SH-4 GCC
miscompilation, wrong without the workaround plugin and right with it; the RV32 build with
picolibc; the same stress on host threads; and the hwfifo variant's one-word path on every
target.

QEMU implements ``movco.l`` as a compare on the loaded value, so these runs show exactly-once,
in-order delivery under real thread interleavings, never ABA-freedom (the RTL soak does)."""

import re
import shutil
import subprocess

import pytest

from firmware.build import (
    SOURCE,
    TOOLCHAINS,
    Toolchain,
    compile_c,
    default_layout,
    host_stress,
    linux_stress,
    objdump,
    rv32_program,
    sh4_reproducer,
)
from ioc_defs.params import IocParams
from sw_model.layout import IocLayout

_LINE = re.compile(r"stress (\w+): producers=(\d+) delivered=(\d+) busy=(\d+) violations=(\d+)")


def _check_stress(stdout):
    runs = {m[1]: [int(x) for x in m.groups()[1:]] for m in _LINE.finditer(stdout)}
    assert set(runs) == {"lockfree", "locked"}, stdout
    for name, (producers, delivered, _busy, violations) in runs.items():
        assert producers > 1 and delivered == producers * 3000, (name, stdout)
        assert violations == 0, (name, stdout)


def _ops(disassembly, mnemonic):
    return len(re.findall(rf"\t{re.escape(mnemonic)}\s", disassembly))


def _qemu(arch, exe):
    tool = {"sh4a": "qemu-sh4", "rv32": "qemu-riscv32"}[arch]
    return subprocess.run([shutil.which(tool) or tool, str(exe)], capture_output=True,
                          text=True, timeout=120)


_LL_SC = {"sh4a": ("movli.l", "movco.l", "synco"), "rv32": ("lr.w", "sc.w", "fence")}


@pytest.mark.parametrize("opt", ["-O2", "-Os", "-O0"])
@pytest.mark.parametrize("arch", ["sh4a", "rv32"])
def test_cross_build_uses_ll_sc_and_the_qemu_stress_passes(arch, opt):
    exe, obj = linux_stress(arch, default_layout(4), opt)
    asm = objdump(TOOLCHAINS[arch], obj)
    assert all(_ops(asm, mnemonic) >= 1 for mnemonic in _LL_SC[arch]), asm
    done = _qemu(arch, exe)
    assert done.returncode == 0, done.stdout + done.stderr
    _check_stress(done.stdout)


#: A load instruction, per target.
_LOAD = {"sh4a": re.compile(r"\tmov\.l\s+@"), "rv32": re.compile(r"\tlw\s")}


def _loads_in(asm, function, arch):
    body = asm.split(f"<{function}>:\n", 1)[1]
    body = re.split(r"\n[0-9a-f]+ <ioc_\w+>:", body, maxsplit=1)[0]
    return len(_LOAD[arch].findall(body))


@pytest.mark.parametrize("arch", ["sh4a", "rv32"])
def test_register_reads_are_volatile_at_o2(arch, tmp_path):
    """ioc_cycles reads CYCLE_HI, CYCLE_LO and CYCLE_HI again until the highs agree: at -O2 the
    object loads the port's register base and all three. The ring stress cannot see a lost
    volatile (each loop it runs passes through a system call or an asm barrier); this does:
    the same library with volatile stripped from ioc_mmio.h merges the reads (the negative
    control)."""
    source = SOURCE / "src" / "ioc.c"
    shipped = compile_c(default_layout(2), TOOLCHAINS[arch], [source], tmp_path / "ioc.o",
                        flags=("-c",))
    assert _loads_in(objdump(TOOLCHAINS[arch], shipped), "ioc_cycles", arch) >= 4
    plain = tmp_path / "arch"
    (plain / arch).mkdir(parents=True)
    mmio = (SOURCE / "arch" / "ioc_mmio.h").read_text()
    assert mmio.count("volatile") == 2
    (plain / "ioc_mmio.h").write_text(mmio.replace("volatile ", ""))
    shutil.copy(SOURCE / "arch" / arch / "ioc_arch.h", plain / arch)
    # -iquote comes before -I for "ioc_arch.h": the copy wins over the library's own
    broken = compile_c(default_layout(2), TOOLCHAINS[arch], [source], tmp_path / "plain.o",
                       flags=("-c", "-iquote", str(plain / arch)))
    assert _loads_in(objdump(TOOLCHAINS[arch], broken), "ioc_cycles", arch) < 4


_MISCOMPILED = ("wait_flag: the polled load was dropped",
                "check_args: a range check inverted or dropped",
                "is_zero: the loaded value was never tested")


@pytest.mark.parametrize("opt", ["-O2", "-Os"])
def test_sh4_gcc_miscompilation_is_reproduced_and_worked_around(opt):
    """The reproducer's three cases come out wrong from the SH-4 GCC as Debian ships it (if
    this part fails, the compiler was fixed: drop firmware/toolchain/sh_treg_combine_off.cc)
    and right with the plugin that turns its sh_treg_combine pass off."""
    raw = _qemu("sh4a", sh4_reproducer(opt, workaround=False))
    assert raw.returncode != 0 and all(case in raw.stdout for case in _MISCOMPILED), raw.stdout
    fixed = _qemu("sh4a", sh4_reproducer(opt))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert fixed.stdout == "sh_treg_combine reproducer: all right\n"


def test_rv32_build_links_with_picolibc():
    exe, obj = rv32_program(default_layout(4))
    asm = objdump(TOOLCHAINS["rv32"], obj)
    assert _ops(asm, "lr.w") >= 3 and _ops(asm, "sc.w") >= 3
    head = exe.read_bytes()[:20]
    assert head[:4] == b"\x7fELF" and head[4] == 1 and head[18] == 0xF3  # ELF32, RISC-V


def test_host_thread_stress_passes():
    done = subprocess.run([str(host_stress(default_layout(4)))], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    _check_stress(done.stdout)


@pytest.mark.parametrize("opt", ["-O2", "-Os", "-O0"])
@pytest.mark.parametrize("arch", ["host", "sh4a", "rv32"])
def test_library_is_warning_free_and_freestanding(arch, opt, tmp_path):
    """-Wall -Wextra -Werror -Wpedantic -ffreestanding (the build's flags) at every level a
    user may pick, and the object needs nothing from a C library."""
    obj = compile_c(default_layout(2), TOOLCHAINS[arch], [SOURCE / "src" / "ioc.c"],
                    tmp_path / "ioc.o", flags=("-c", opt))
    nm = TOOLCHAINS[arch].cc.removesuffix("gcc") + "nm" if arch != "host" else "nm"
    undefined = subprocess.run([nm, "-u", str(obj)], capture_output=True, text=True,
                               check=True).stdout.split()
    assert [u for u in undefined if u not in ("U",)] == []


@pytest.mark.parametrize("arch", ["host", "sh4a", "rv32"])
def test_one_word_hwfifo_layout_builds(arch, tmp_path):
    """One-word messages: the host shim (and the RTL harness) send hwfifo messages without the
    lock, seeing a refused write (IOC_ARCH_TRY_STORE); the real CPUs, where a refusal would
    trap, send them under the lock. Both builds are warning-free (the default layout compiles
    the framed path on every target)."""
    layout = IocLayout(IocParams(fifo_depth=4), depth=4, slot_words=1)
    obj = compile_c(layout, TOOLCHAINS[arch], [SOURCE / "src" / "ioc.c"], tmp_path / "ioc.o",
                    flags=("-c",))
    assert obj.stat().st_size > 0


def test_build_arguments_are_checked():
    with pytest.raises(ValueError, match=r"no architecture layer firmware/arch/z80"):
        Toolchain("z80", "cc")
    with pytest.raises(ValueError, match=r"no GCC plugin source firmware/toolchain/nope\.cc"):
        Toolchain("sh4a", "sh4-linux-gnu-gcc", plugins=("nope.cc",))
    with pytest.raises(ValueError, match=r"arch must be one of sh4a, rv32, not 'host'"):
        linux_stress("host", default_layout(4))
    with pytest.raises(ValueError, match=r"opt must be one of -O0, -O1, -O2, -O3, -Os, not '-O9'"):
        linux_stress("rv32", default_layout(4), "-O9")
    assert TOOLCHAINS["sh4a"].without_plugins().plugins == ()
