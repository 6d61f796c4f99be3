"""Builds of the SoC, cached under ``build/soc/``: firmware (RV32IMA C -> ``$readmemh`` image) and
the Verilator simulator (two CV32E40X + the Amaranth-generated SoC + the C++ driver).

The simulator is rebuilt only when one of its inputs changes (its build directory is named after
a hash of them); a program is loaded at run time, so running another program needs no rebuild.
"""

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from amaranth.back import verilog

from firmware.build import SOURCE as LIBRARY_DIR
from firmware.headers import write_headers
from rtl.regmap_gen import c_header as ioc_c_header
from sw_model.layout import IocLayout
from testbench.runner import file_lock, simulator_env

from . import memmap
from .core import BUILD_ROOT, PATCHES, core_sources, variant_name
from .top import TOP_NAME, SocTop

__all__ = ["CROSS", "MARCH", "MABI", "FIRMWARE_DIR", "LAYOUT", "FirmwareError",
           "build_firmware", "build_simulator", "emitted_amos"]

CROSS = "riscv64-unknown-elf-"
MARCH = "rv32ima_zicsr"
MABI = "ilp32"
#: picolibc ships no rv32ima multilib; rv32im has no A instructions, so linking it cannot bring in
#: an AMO (the rv32ia libraries could).
_LIBC_MARCH = "rv32im_zicsr"
_HERE = Path(__file__).resolve().parent
FIRMWARE_DIR = _HERE / "firmware"
_HDL = _HERE / "hdl"
_DRIVER = _HERE / "sim" / "main.cpp"
#: The shared-RAM layout of the IOC library (``firmware/``) on the SoC's subsystem.
LAYOUT = IocLayout(memmap.PARAMS, depth=4)
#: Mnemonics of the RV32A read-modify-write instructions the bus cannot carry.
_AMO = re.compile(r"\bamo(swap|add|xor|and|or|min|max|minu|maxu)\.w\b")


class FirmwareError(RuntimeError):
    """The firmware does not build, or the compiler emitted an AMO."""


def _locked(name):
    """One process at a time builds ``name`` (pytest runs tests in parallel)."""
    return file_lock(BUILD_ROOT / f"{name}.lock")


def _run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if result.returncode:
        raise FirmwareError(f"{' '.join(map(str, cmd))} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def generated_headers(directory):
    """Write ``ioc_regs.h``, ``soc_map.h`` and ``soc.ld`` (all generated) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ioc_regs.h").write_text(ioc_c_header())
    (directory / "soc_map.h").write_text(memmap.c_header())
    (directory / "soc.ld").write_text(memmap.linker_script())


def emitted_amos(objdump_text):
    """The AMO instructions (other than lr.w/sc.w) in a disassembly."""
    return [line.strip() for line in objdump_text.splitlines() if _AMO.search(line)]


def build_firmware(name, sources, *, defines=None, out_dir=None, library=False):
    """Compile and link C/assembly ``sources`` (with crt0) into ``<out_dir>/<name>.{elf,hex}``.

    Parameters
    ----------
    name : str
        Base name of the outputs.
    sources : list of Path
        The program's C and assembly files. Every C file's object is disassembled: an AMO
        instruction there (which the bus cannot carry) is a :class:`FirmwareError`.
    defines : dict, optional
        ``-D`` macros.
    out_dir : Path, optional
        Default ``build/soc/fw/<name>``.
    library : bool
        Link the IOC C library (``firmware/src/ioc.c``, its RV32 architecture layer and the
        headers generated for :data:`LAYOUT`); its object is checked for AMOs too.

    Returns
    -------
    Path
        The ``$readmemh`` image (words of the private RAM from its base).
    """
    if not isinstance(name, str) or not re.fullmatch(r"[\w.-]+", name):
        raise ValueError(f"name must be a file name (letters, digits, '_', '.', '-'), "
                         f"not {name!r}")
    sources = [Path(source) for source in sources]
    for source in sources:
        if source.suffix not in (".c", ".S", ".s"):
            raise ValueError(f"sources must be C (.c) or assembly (.S, .s) files, not {source}")
        if not source.is_file():
            raise FileNotFoundError(f"no source file {source}")
    if shutil.which(f"{CROSS}gcc") is None:
        raise FirmwareError(f"{CROSS}gcc is missing: run 'make setup' (tools/bootstrap.sh "
                            "installs gcc-riscv64-unknown-elf and picolibc-riscv64-unknown-elf)")
    with _locked(f"fw-{name}"):  # scenarios that share a program build it once
        return _build_firmware(name, sources, defines or {},
                               Path(out_dir) if out_dir else BUILD_ROOT / "fw" / name, library)


def _build_firmware(name, sources, defines, out, library):
    generated_headers(out)
    includes = []
    if library:
        write_headers(out, LAYOUT)
        includes = [f"-I{LIBRARY_DIR / d}" for d in ("include", "arch/rv32", "tests")]
        sources = [LIBRARY_DIR / "src" / "ioc.c", *sources]
    flags = [f"-march={MARCH}", f"-mabi={MABI}", "--specs=picolibc.specs", "-O2", "-g",
             "-ffreestanding", "-Wall", "-Wextra", "-Werror", f"-I{out}", f"-I{FIRMWARE_DIR}",
             *includes,
             # shared RAM starts at address 0, which GCC otherwise takes for a null pointer (and
             # replaces an access there with a trap) or a null page (and warns)
             "-fno-delete-null-pointer-checks", "--param=min-pagesize=0"]
    flags += [f"-D{key}={value}" for key, value in defines.items()]
    objects = []
    for source in [FIRMWARE_DIR / "crt0.S", *sources]:
        obj = out / f"{source.stem}.o"
        _run([f"{CROSS}gcc", *flags, "-c", str(source), "-o", str(obj)])
        if source.suffix == ".c":
            amos = emitted_amos(_run([f"{CROSS}objdump", "-d", str(obj)]))
            if amos:
                raise FirmwareError(f"the compiler emitted AMOs in {source.name}: {amos}")
        objects.append(obj)
    elf = out / f"{name}.elf"
    _run([f"{CROSS}gcc", f"-march={_LIBC_MARCH}", f"-mabi={MABI}", "--specs=picolibc.specs",
          "-nostartfiles", "-T", str(out / "soc.ld"), *map(str, objects), "-o", str(elf)])
    binary = out / f"{name}.bin"
    _run([f"{CROSS}objcopy", "-O", "binary", str(elf), str(binary)])
    data = binary.read_bytes()
    if len(data) > memmap.RAM_BYTES:
        raise FirmwareError(f"{name} needs {len(data)} bytes, the RAM has {memmap.RAM_BYTES}")
    data += bytes(-len(data) % 4)
    image = out / f"{name}.hex"
    image.write_text("".join(f"{int.from_bytes(data[i:i + 4], 'little'):08x}\n"
                             for i in range(0, len(data), 4)))
    return image


def build_simulator(*, patches=PATCHES, params=memmap.PARAMS, jobs=2):
    """Build (or reuse) the Verilated SoC with the core patched by ``patches`` (default: all of
    :data:`~soc.core.PATCHES`) around the IOC configured by ``params``; returns the path of its
    executable."""
    variant = f"{variant_name(patches)}-{params.name()}"
    with _locked(f"sim-{variant}"):  # one build per variant at once
        files, include = core_sources(patches=patches)
        soc_v = verilog.convert(SocTop(params), name=TOP_NAME, emit_src=False)
        hdl = [_HDL / "soc_cv32e40x.sv", _HDL / "soc_ram.sv"]
        simulator_env()
        verilator_bin = Path(os.environ["VERILATOR_ROOT"]) / "bin" / "verilator"
        digest = hashlib.sha256(soc_v.encode())
        for path in [*files, *hdl, _DRIVER]:
            digest.update(path.read_bytes())
        digest.update(str(verilator_bin.resolve()).encode())
        sim_dir = BUILD_ROOT / f"sim-{variant}-{digest.hexdigest()[:12]}"
        exe = sim_dir / "obj" / f"V{TOP_NAME}"
        if exe.exists():
            return exe
        sim_dir.mkdir(parents=True, exist_ok=True)
        (sim_dir / f"{TOP_NAME}.v").write_text(soc_v)
        cmd = [str(verilator_bin), "--cc", "--exe", "--build", "-j", str(jobs), "-O3",
               "-Wno-fatal", "-Wno-lint", "-Wno-style", "-Wno-MULTIDRIVEN", "-Wno-UNOPTFLAT",
               "--top-module", TOP_NAME, "--Mdir", str(sim_dir / "obj"),
               f"+incdir+{include}", "-CFLAGS", "-O2",
               *map(str, files), *map(str, hdl), str(sim_dir / f"{TOP_NAME}.v"), str(_DRIVER)]
        result = subprocess.run(cmd, capture_output=True, text=True)
        (sim_dir / "build.log").write_text(result.stdout + result.stderr)
        if result.returncode or not exe.exists():
            raise RuntimeError(f"Verilator build failed, see {sim_dir / 'build.log'}:\n"
                               f"{result.stderr[-3000:]}")
        for stale in BUILD_ROOT.glob(f"{sim_dir.name.rsplit('-', 1)[0]}-*"):
            if stale.is_dir() and stale != sim_dir:
                shutil.rmtree(stale)
        return exe
