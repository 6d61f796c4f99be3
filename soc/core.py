"""The CV32E40X sources: the pinned ``pythondata-cpu-cv32e40x`` package, copied under ``build/``
and patched there (never in site-packages) with ``soc/patches/*.patch``.

The pinned snapshot (0.6.0.post161, upstream 727c573e of November 2022) predates two LR/SC fixes
made upstream in February 2023 (commits 242887b9 and 45488675): the A-extension decoder issues
``lr.w``/``sc.w`` as byte accesses, and ``sc.w`` writes the bus read data into rd instead of the
exclusive-okay result. The patches make those two changes; ``patches=()`` gives the snapshot as
shipped, and one patch alone the snapshot with only that fix, which the tests run to show that
each patch is needed.
"""

import re
import shutil
import subprocess
from pathlib import Path

__all__ = ["PATCHES", "BUILD_ROOT", "core_sources", "variant_name"]

PATCHES = tuple(sorted((Path(__file__).resolve().parent / "patches").glob("*.patch")))
BUILD_ROOT = Path(__file__).resolve().parent.parent / "build" / "soc"
_PIN = "0.6.0.post161"


def _package_root():
    try:
        import pythondata_cpu_cv32e40x as core
    except ImportError as exc:
        raise RuntimeError("the CV32E40X core is missing: install the 'soc' extra "
                           "(pip install -e '.[soc]', done by 'make setup')") from exc
    if core.version_str != _PIN:
        raise RuntimeError(f"pythondata-cpu-cv32e40x must be {_PIN} (the patches are made "
                           f"against it), not {core.version_str}")
    return Path(core.data_location)


def _manifest(root):
    """The RTL files in the manifest's order, and the simulation clock gate (the RVFI tracer and
    the other behavioural parts are left out)."""
    files = []
    for line in (root / "cv32e40x_manifest.flist").read_text().splitlines():
        match = re.fullmatch(r"\$\{DESIGN_RTL_DIR\}/([\w/]+\.sv)", line.strip())
        if match:
            files.append(root / "rtl" / match.group(1))
    return [*files, root / "bhv" / "cv32e40x_sim_clock_gate.sv"]


def variant_name(patches):
    """``patched`` (every patch), ``unpatched`` (none) or ``only-<number>`` (the patches of
    that number, e.g. ``only-0001``): the name of a core variant's build folders."""
    patches = tuple(patches)
    unknown = [p for p in patches if p not in PATCHES]
    if unknown:
        raise ValueError(f"patches must be taken from soc/patches, not {unknown!r}")
    if set(patches) == set(PATCHES):
        return "patched"
    if not patches:
        return "unpatched"
    return "only-" + "-".join(sorted(p.name.split("-", 1)[0] for p in patches))


def core_sources(*, patches=PATCHES):
    """Copy the core to ``build/soc/cv32e40x-<variant>`` (once), apply ``patches`` (paths from
    :data:`PATCHES`) there, and return ``(files, include_dir)``."""
    src = _package_root()
    dest = BUILD_ROOT / f"cv32e40x-{variant_name(patches)}"
    stamp = dest / ".ready"
    if not stamp.exists():
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(src / "rtl", dest / "rtl")
        shutil.copytree(src / "bhv", dest / "bhv")
        shutil.copy(src / "cv32e40x_manifest.flist", dest)
        for patch in patches:
            result = subprocess.run(["patch", "-p1", "--batch", "--forward", "-i", str(patch)],
                                    cwd=dest, capture_output=True, text=True)
            if result.returncode:
                raise RuntimeError(f"{patch.name} does not apply to the pinned core:\n"
                                   f"{result.stdout}{result.stderr}")
        stamp.touch()
    return _manifest(dest), dest / "rtl" / "include"
