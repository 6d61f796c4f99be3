"""Builds of the IOC C library: host (a shared object for the unit tests), SH-4A (the qemu
ring stress), RV32 (picolibc) and the native RTL harness (:mod:`firmware.native`).

Every build goes to ``build/firmware/<config>/`` with the headers generated for that
configuration (:mod:`firmware.headers`), and is redone only when an input changed.
"""

import pathlib
import shutil
import subprocess

from ioc_defs.params import IocParams
from sw_model.layout import IocLayout

from .headers import write_headers

__all__ = ["SOURCE", "BUILD", "WARNINGS", "TOOLCHAINS", "Toolchain", "ToolMissing", "config_dir",
           "include_dirs", "compile_c", "host_library", "host_stress", "sh4_stress", "rv32_program",
           "objdump", "default_layout"]

#: The folder of the C sources.
SOURCE = pathlib.Path(__file__).resolve().parent
_LIB = SOURCE / "src" / "ioc.c"
#: Where every build goes.
BUILD = SOURCE.parent / "build" / "firmware"
#: Every target compiles the library with these: a warning is a build failure.
WARNINGS = ("-Wall", "-Wextra", "-Werror", "-Wpedantic")
_C = ("-std=c11", "-O2", "-ffreestanding", *WARNINGS)


class ToolMissing(RuntimeError):
    """A cross compiler or emulator is not installed (``make setup`` installs them)."""


class Toolchain:
    """A C compiler for one architecture layer (``firmware/arch/<arch>``).

    Parameters
    ----------
    arch : str
        Folder name under ``firmware/arch``.
    cc : str
        The compiler command.
    flags : tuple of str
        Target flags added to every compile.
    """

    def __init__(self, arch, cc, flags=()):
        if not (SOURCE / "arch" / arch / "ioc_arch.h").is_file():
            raise ValueError(f"no architecture layer firmware/arch/{arch}")
        self.arch, self.cc, self.flags = arch, cc, tuple(flags)

    def __repr__(self):
        return f"Toolchain({self.arch!r}, {self.cc!r})"

    def require(self):
        """The compiler's path; raises :class:`ToolMissing` if it is not installed."""
        path = shutil.which(self.cc)
        if path is None:
            raise ToolMissing(f"{self.cc} not found: run make setup (tools/bootstrap.sh)")
        return path


#: The targets, by name.
TOOLCHAINS = {
    "host": Toolchain("host", "cc", ("-fPIC",)),
    # -O0: Debian's GCC 12.2 for SH-4 miscompiles conditional branches from -O1 up (a valid
    # argument check inverted, a volatile polling loop reduced to a test of a stale T bit);
    # the ring stress under qemu-sh4 fails with -O2 and passes with -O0.
    "sh4a": Toolchain("sh4a", "sh4-linux-gnu-gcc", ("-m4a", "-fno-pie", "-O0")),
    "rv32": Toolchain("rv32", "riscv64-unknown-elf-gcc",
                      ("-march=rv32ima_zicsr", "-mabi=ilp32")),
}


def config_dir(layout):
    """``build/firmware/<config>``, with the generated headers in its ``include/``."""
    if not isinstance(layout, IocLayout):
        raise TypeError(f"layout must be an IocLayout, not {layout!r}")
    path = BUILD / f"{layout.params.name()}d{layout.depth}s{layout.slot_words}"
    write_headers(path / "include", layout)
    return path


def include_dirs(layout, arch):
    """``-I`` flags: the public header, the architecture layer, the generated headers."""
    return [f"-I{SOURCE / 'include'}", f"-I{SOURCE / 'arch' / arch}",
            f"-I{config_dir(layout) / 'include'}"]


def _stale(output, inputs):
    if not output.exists():
        return True
    built = output.stat().st_mtime
    return any(pathlib.Path(i).stat().st_mtime > built for i in inputs)


def _run(cmd):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{done.stdout}{done.stderr}")


def compile_c(layout, toolchain, sources, output, *, flags=(), link=()):
    """Compile ``sources`` with the library's headers for ``toolchain`` into ``output`` (an
    object with ``-c`` in ``flags``, else a linked file); skipped if up to date."""
    toolchain.require()
    inc = include_dirs(layout, toolchain.arch)
    headers = [*(SOURCE / "include").glob("*.h"), *(SOURCE / "arch").glob("*.h"),
               SOURCE / "arch" / toolchain.arch / "ioc_arch.h",
               *(config_dir(layout) / "include").glob("*.h"), *(SOURCE / "tests").glob("*.h")]
    output = pathlib.Path(output)
    if _stale(output, [*sources, *headers]):
        output.parent.mkdir(parents=True, exist_ok=True)
        _run([toolchain.cc, *_C, *toolchain.flags, *inc, *flags, *sources, "-o", output,
              *link])
    return output


def host_library(layout):
    """The library built for the host shim as a shared object (for ctypes)."""
    out = config_dir(layout) / "host" / "libioc.so"
    return compile_c(layout, TOOLCHAINS["host"], [_LIB], out, flags=("-shared",))


def host_stress(layout):
    """The ring stress (``firmware/tests/stress.c``) on POSIX threads and the host shim."""
    out = config_dir(layout) / "host" / "stress"
    return compile_c(layout, TOOLCHAINS["host"], [_LIB, SOURCE / "tests" / "stress.c",
                                                  SOURCE / "tests" / "os_host.c"], out,
                     link=("-lpthread",))


def sh4_stress(layout):
    """The SH-4A ring stress (``firmware/tests/stress.c`` on raw Linux system calls, no C
    library) as a static executable for ``qemu-sh4``, and the library's object (for the
    ``movli.l``/``movco.l`` check)."""
    tc = TOOLCHAINS["sh4a"]
    out = config_dir(layout) / "sh4a"
    obj = compile_c(layout, tc, [_LIB], out / "ioc.o", flags=("-c",))
    exe = compile_c(layout, tc, [_LIB, SOURCE / "tests" / "stress.c",
                                 SOURCE / "tests" / "os_sh4.c"], out / "stress",
                    flags=("-static", "-nostdlib", "-no-pie"), link=("-lgcc",))
    return exe, obj


def rv32_program(layout):
    """The library and a smoke program for RV32 (``rv32ima_zicsr``), linked with picolibc
    (built, not run). Debian's picolibc has no ``rv32ima`` multilib: the link takes the
    ``rv32im`` one, whose ABI (``ilp32``) is the same; the A extension is only in our code."""
    tc = TOOLCHAINS["rv32"]
    out = config_dir(layout) / "rv32"
    obj = compile_c(layout, tc, [_LIB], out / "ioc.o", flags=("-c",))
    smoke = compile_c(layout, tc, [SOURCE / "tests" / "rv32_smoke.c"], out / "smoke.o",
                      flags=("-c", "--specs=picolibc.specs"))
    exe = out / "smoke.elf"
    if _stale(exe, [obj, smoke]):
        _run([tc.cc, "--specs=picolibc.specs", "-march=rv32im", "-mabi=ilp32", obj, smoke,
              "-o", exe])
    return exe, obj


def objdump(toolchain, path):
    """The disassembly of ``path`` by the toolchain's objdump."""
    tool = toolchain.cc.removesuffix("gcc") + "objdump"
    if shutil.which(tool) is None:
        raise ToolMissing(f"{tool} not found: run make setup (tools/bootstrap.sh)")
    return subprocess.run([tool, "-d", str(path)], check=True, capture_output=True,
                          text=True).stdout


def default_layout(depth=4):
    """The layout of the default subsystem configuration with ``depth`` slots per ring."""
    return IocLayout(IocParams(), depth=depth)
