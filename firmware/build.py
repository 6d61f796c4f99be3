"""Builds of the IOC C library: host (a shared object for the unit tests), SH-4A and RV32 (the
ring stress under qemu-user; RV32 also with picolibc) and the native RTL harness
(:mod:`firmware.native`).

Every build goes to ``build/firmware/<config>/`` with the headers generated for that
configuration (:mod:`firmware.headers`), and is redone only when an input changed.
"""

import pathlib
import shutil
import subprocess

from ioc_defs.params import IocParams
from sw_model.layout import IocLayout
from testbench.runner import file_lock

from .headers import write_headers

__all__ = ["SOURCE", "BUILD", "WARNINGS", "OPT_LEVELS", "TOOLCHAINS", "Toolchain", "ToolMissing",
           "config_dir", "include_dirs", "stale", "compile_c", "gcc_plugin", "host_library",
           "host_stress", "linux_stress", "sh4_reproducer", "rv32_program", "objdump",
           "default_layout"]

#: The folder of the C sources.
SOURCE = pathlib.Path(__file__).resolve().parent
_LIB = SOURCE / "src" / "ioc.c"
#: Where every build goes.
BUILD = SOURCE.parent / "build" / "firmware"
#: Every target compiles the library with these: a warning is a build failure.
WARNINGS = ("-Wall", "-Wextra", "-Werror", "-Wpedantic")
_C = ("-std=c11", "-O2", "-ffreestanding", *WARNINGS)
#: Optimization levels a build may ask for instead of the default ``-O2``.
OPT_LEVELS = ("-O0", "-O1", "-O2", "-O3", "-Os")


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
    plugins : tuple of str
        GCC plugins (sources under ``firmware/toolchain``, built by :func:`gcc_plugin`) loaded
        by every compile.
    """

    def __init__(self, arch, cc, flags=(), plugins=()):
        if not (SOURCE / "arch" / arch / "ioc_arch.h").is_file():
            raise ValueError(f"no architecture layer firmware/arch/{arch}")
        for plugin in plugins:
            if not (SOURCE / "toolchain" / plugin).is_file():
                raise ValueError(f"no GCC plugin source firmware/toolchain/{plugin}")
        self.arch, self.cc, self.flags, self.plugins = arch, cc, tuple(flags), tuple(plugins)

    def __repr__(self):
        return f"Toolchain({self.arch!r}, {self.cc!r})"

    def require(self):
        """The compiler's path; raises :class:`ToolMissing` if it is not installed."""
        path = shutil.which(self.cc)
        if path is None:
            raise ToolMissing(f"{self.cc} not found: run make setup (tools/bootstrap.sh)")
        return path

    def without_plugins(self):
        """The same compiler as it comes, without the plugins (to show what they fix)."""
        return Toolchain(self.arch, self.cc, self.flags)


#: The targets, by name.
TOOLCHAINS = {
    "host": Toolchain("host", "cc", ("-fPIC",)),
    # Debian's GCC 12.2 for SH-4 miscompiles conditional branches from -O1 up (its
    # sh_treg_combine pass deletes the set and the test of a register a branch tests);
    # the plugin turns that pass off (firmware/toolchain/sh_treg_combine_off.cc).
    "sh4a": Toolchain("sh4a", "sh4-linux-gnu-gcc", ("-m4a", "-fno-pie"),
                      plugins=("sh_treg_combine_off.cc",)),
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


def stale(output, inputs):
    """True if ``output`` is missing or older than one of ``inputs``."""
    output = pathlib.Path(output)
    if not output.exists():
        return True
    built = output.stat().st_mtime
    return any(pathlib.Path(i).stat().st_mtime > built for i in inputs)


def _run(cmd):
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def gcc_plugin(toolchain, source):
    """Build the GCC plugin ``firmware/toolchain/<source>`` for ``toolchain``'s compiler with the
    host C++ compiler (against that GCC's plugin headers); return the shared object's path."""
    toolchain.require()
    headers = pathlib.Path(_run([toolchain.cc, "-print-file-name=plugin"]).strip()) / "include"
    if not (headers / "gcc-plugin.h").is_file():
        raise ToolMissing(f"no GCC plugin headers for {toolchain.cc} in {headers}: run make "
                          "setup (tools/bootstrap.sh installs gcc-12-plugin-dev-sh4-linux-gnu)")
    src = SOURCE / "toolchain" / source
    out = BUILD / "toolchain" / toolchain.arch / src.with_suffix(".so").name
    with file_lock(BUILD / "locks" / f"plugin-{toolchain.arch}.lock"):
        if stale(out, [src, headers / "plugin-version.h"]):
            out.parent.mkdir(parents=True, exist_ok=True)
            _run(["g++", "-std=c++17", "-shared", "-fPIC", "-fno-rtti", "-O2", "-Wall",
                  "-Werror", f"-I{headers}", src, "-o", out])
    return out


def compile_c(layout, toolchain, sources, output, *, flags=(), link=()):
    """Compile ``sources`` with the library's headers for ``toolchain`` into ``output`` (an
    object with ``-c`` in ``flags``, else a linked file); skipped if up to date. An
    optimization level in ``flags`` (one of :data:`OPT_LEVELS`) replaces the default -O2."""
    toolchain.require()
    inc = include_dirs(layout, toolchain.arch)
    plugins = [gcc_plugin(toolchain, p) for p in toolchain.plugins]
    headers = [*(SOURCE / "include").glob("*.h"), *(SOURCE / "arch").glob("*.h"),
               SOURCE / "arch" / toolchain.arch / "ioc_arch.h",
               *(config_dir(layout) / "include").glob("*.h"), *(SOURCE / "tests").glob("*.h")]
    output = pathlib.Path(output)
    if stale(output, [*sources, *headers, *plugins]):
        output.parent.mkdir(parents=True, exist_ok=True)
        _run([toolchain.cc, *_C, *toolchain.flags, *(f"-fplugin={p}" for p in plugins), *inc,
              *flags, *sources, "-o", output, *link])
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


def _opt(opt):
    if opt not in OPT_LEVELS:
        raise ValueError(f"opt must be one of {', '.join(OPT_LEVELS)}, not {opt!r}")
    return opt


#: The Linux system calls of each cross target's freestanding test programs (``os_linux.c``:
#: start-up, threads by clone) and its link flags. RV32: no linker relaxation, since _start sets
#: no gp for gp-relative addressing.
_LINUX = {"sh4a": ("os_sh4.c", ("-no-pie",)), "rv32": ("os_rv32.c", ("-Wl,--no-relax",))}


def _linux_program(layout, toolchain, sources, output, opt):
    """A static Linux executable on raw system calls, no C library, for ``qemu-<arch>``."""
    os_source, link = _LINUX[toolchain.arch]
    return compile_c(layout, toolchain,
                     [*sources, SOURCE / "tests" / os_source, SOURCE / "tests" / "os_linux.c"],
                     output, flags=(_opt(opt), "-static", "-nostdlib", *link), link=("-lgcc",))


def linux_stress(arch, layout, opt="-O2"):
    """The ring stress (``firmware/tests/stress.c``: producers on real threads) for the cross
    target ``arch`` (``sh4a`` or ``rv32``) built at ``opt`` as a static Linux executable for
    ``qemu-sh4`` / ``qemu-riscv32``, and the library's object at ``opt`` (for the LL/SC
    check)."""
    if arch not in _LINUX:
        raise ValueError(f"arch must be one of {', '.join(_LINUX)}, not {arch!r}")
    tc = TOOLCHAINS[arch]
    out = config_dir(layout) / arch / _opt(opt).lstrip("-")
    obj = compile_c(layout, tc, [_LIB], out / "ioc.o", flags=("-c", opt))
    exe = _linux_program(layout, tc, [_LIB, SOURCE / "tests" / "stress.c"], out / "stress", opt)
    return exe, obj


def sh4_reproducer(opt="-O2", *, workaround=True):
    """The reduced reproducer of the SH-4 GCC miscompilation
    (``firmware/tests/sh4_treg_combine.c``) built at ``opt``, with the compiler's workaround
    plugin or, ``workaround=False``, without it; a static executable for ``qemu-sh4``."""
    tc = TOOLCHAINS["sh4a"] if workaround else TOOLCHAINS["sh4a"].without_plugins()
    out = BUILD / "sh4a-reproducer" / f"{_opt(opt).lstrip('-')}-{'fixed' if workaround else 'raw'}"
    return _linux_program(default_layout(), tc, [SOURCE / "tests" / "sh4_treg_combine.c"], out,
                          opt)


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
    if stale(exe, [obj, smoke]):
        _run([tc.cc, "--specs=picolibc.specs", "-march=rv32im", "-mabi=ilp32", obj, smoke,
              "-o", exe])
    return exe, obj


def objdump(toolchain, path):
    """The disassembly of ``path`` by the toolchain's objdump."""
    tool = toolchain.cc.removesuffix("gcc") + "objdump"
    if shutil.which(tool) is None:
        raise ToolMissing(f"{tool} not found: run make setup (tools/bootstrap.sh)")
    return _run([tool, "-d", path])


def default_layout(depth=4):
    """The layout of the default subsystem configuration with ``depth`` slots per ring."""
    return IocLayout(IocParams(), depth=depth)
