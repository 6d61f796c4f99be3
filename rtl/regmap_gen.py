"""Generate the register documentation, C header and JSON from :data:`ioc_defs.regmap.REGMAP`.

Usage: ``python -m rtl.regmap_gen --output-dir DIR`` writes ``DIR/regmap.md``,
``DIR/ioc_regs.h`` and ``DIR/regmap.json``. All three are build outputs: never edit them.
"""

import argparse
import json
import pathlib

from ioc_defs import regmap
from ioc_defs.axi import AxiResp
from ioc_defs.params import REG_BASE, REG_SIZE, ScFailCause
from ioc_defs.regmap import BAD_ACCESSES, REGMAP, Check, Event

from .access import HANDSHAKE_TO_ANSWER

__all__ = ["markdown", "c_header", "json_text", "write_all", "main"]

_ENUMS = {"Event": Event, "ScFailCause": ScFailCause, "AxiResp": AxiResp}
_CONSTANTS = {
    "REG_BASE": REG_BASE, "REG_SIZE": REG_SIZE, "RESP_OKAY": regmap.RESP_OKAY,
    "RESP_SLVERR": regmap.RESP_SLVERR, "MAGIC": regmap.ID_MAGIC,
    "VERSION_MAJOR": regmap.VERSION_MAJOR, "VERSION_MINOR": regmap.VERSION_MINOR,
    "EPOCH_WIDTH": regmap.EPOCH_WIDTH,
}


def _snake_upper(name):
    return "".join("_" + c if c.isupper() and i else c for i, c in enumerate(name)).upper()


def _reset_text(reg):
    if not reg.readable:
        return "–"
    return "config/live" if reg.reset is None else f"0x{reg.reset:08X}"


def _bits(f):
    return f"{f.offset}" if f.width == 1 else f"{f.offset + f.width - 1}:{f.offset}"


def markdown():
    """The register table for people, as Markdown."""
    out = [
        "# IOC mailbox + IPI controller: register map",
        "",
        f"Generated from `ioc_defs/regmap.py` (map version {regmap.VERSION_MAJOR}."
        f"{regmap.VERSION_MINOR}); do not edit.",
        "",
        f"The window starts at `0x{REG_BASE:08X}` and is `0x{REG_SIZE:X}` bytes. Offsets below are "
        "from the window base and do not depend on the configuration: arrays are sized for the "
        "maxima and entries at or beyond the configured count are holes. All registers are 32 "
        "bits. *Banked* registers show the calling agent's own copy (the agent is the AXI port "
        "index, which software cannot forge). *Priv* registers accept only privileged writes "
        "(`AxPROT[0]=1`); reads are open unless the register's check says otherwise. Reserved "
        "bits read 0 and ignore writes.",
        "",
        "## Registers",
        "",
        "| Offset | Name | Access | Priv write | Banked | Count (stride) | Reset | Description |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for reg in REGMAP:
        count = "1" if reg.array is None else (
            f"{reg.array.param} ≤ {reg.array.max_count} (0x{reg.stride:X})")
        if reg.requires is not None:
            count += f" if {reg.requires} > 0"
        desc = reg.desc + ("" if reg.check is None else f" **Check:** {reg.check.desc}")
        out.append(f"| 0x{reg.offset:03X} | {reg.name} | {reg.access} | "
                   f"{'yes' if reg.priv_write else 'no'} | {'yes' if reg.banked else 'no'} | "
                   f"{count} | {_reset_text(reg)} | {desc} |")
    out += ["", "## Fields", ""]
    for reg in REGMAP:
        out += [f"### {reg.name}", "",
                "| Bits | Field | Access | Reset | Limit | Description |",
                "|---|---|---|---|---|---|"]
        for f in reg.fields:
            reset = "config/live" if f.reset is None else f"0x{f.reset:X}"
            limit = "" if f.limit is None else f"< {f.limit}"
            out.append(f"| {_bits(f)} | {f.name} | {f.access.value} | {reset} | {limit} | "
                       f"{f.desc} |")
        out.append("")
    out += [
        "## Bad accesses",
        "",
        "Every refused access gets **SLVERR** with read data 0, changes no state, and raises "
        "the `BUS_ERROR` event of the agent that made it at the end of the response cycle. "
        "Exclusive accesses (`AxLOCK=1`) are "
        "performed as plain accesses and answered OKAY (never EXOKAY): the register window "
        "does not support exclusives.",
        "",
        "| Case | Condition | Response |",
        "|---|---|---|",
    ]
    out += [f"| {b.name} | {b.condition} | SLVERR |" for b in BAD_ACCESSES]
    out += ["", "## Register-specific checks", "", "| Check | Registers | Condition |",
            "|---|---|---|"]
    for check in Check:
        regs = ", ".join(r.name for r in REGMAP if r.check is check)
        out.append(f"| {check.name} | {regs} | {check.desc} |")
    for name, enum in _ENUMS.items():
        out += ["", f"## {name}", "", "| Name | Value |", "|---|---|"]
        out += [f"| {e.name} | {int(e)} |" for e in enum]
    out += [
        "", "## Timing", "",
        "One access per cycle across all agents. The register block performs an access in its "
        f"*access cycle* (stage E of the pipeline), {HANDSHAKE_TO_ANSWER - 1} cycles after the "
        "AR handshake (a write: the later of its AW and W handshakes) when uncontended; its "
        "response comes in the next cycle (the response cycle: R or B valid, "
        f"{HANDSHAKE_TO_ANSWER} cycles after the handshake). Register writes, doorbells and "
        "acknowledges take effect at the end of the access cycle, so `irq` reflects them in "
        "the response cycle, the first cycle the write's B can be handshaken. Accesses are "
        "performed in grant order, one per cycle, so a read sees every write granted before "
        "it, however close. `AGENT_CTRL.RESET`, `CHANNEL_RESET` and the `BUS_ERROR` event of "
        "a refused access act one cycle later, at the end of the response cycle (their "
        "fan-out is latched to keep the logic shallow). A set and a clear of the same pending "
        "bit in one cycle: the set wins.", "",
    ]
    return "\n".join(out)


def c_header():
    """A C header for guest drivers: offsets, strides, field masks and shifts, enums."""
    out = [
        "/* IOC mailbox + IPI controller register map.",
        " * Generated by rtl.regmap_gen from ioc_defs/regmap.py: do not edit. */",
        "#ifndef IOC_REGS_H",
        "#define IOC_REGS_H",
        "",
        "#include <stdint.h>",
        "",
    ]
    for name, value in _CONSTANTS.items():
        out.append(f"#define IOC_{name} 0x{value:X}u")
    for reg in REGMAP:
        p = f"IOC_{reg.name}"
        summary = reg.desc.split(". ")[0].rstrip(".").replace("*/", "")
        out += ["", f"/* {reg.name}: {summary}. */"]
        if reg.array is None:
            out.append(f"#define {p}_OFFSET 0x{reg.offset:03X}u")
        else:
            out += [f"#define {p}_OFFSET(i) (0x{reg.offset:03X}u + (uint32_t)(i) * "
                    f"0x{reg.stride:X}u)",
                    f"#define {p}_STRIDE 0x{reg.stride:X}u",
                    f"#define {p}_COUNT_MAX {reg.array.max_count}u"]
        if reg.reset is not None:
            out.append(f"#define {p}_RESET 0x{reg.reset:08X}u")
        for f in reg.fields:
            q = f"{p}_{f.name}"
            out += [f"#define {q}_SHIFT {f.offset}u", f"#define {q}_WIDTH {f.width}u",
                    f"#define {q}_MASK 0x{f.mask:08X}u"]
    for name, enum in _ENUMS.items():
        out += ["", f"/* {name} */"]
        out += [f"#define IOC_{_snake_upper(name)}_{e.name} {int(e)}u" for e in enum]
    out += [
        "",
        "/* Extract / insert a field, e.g. IOC_FIELD_GET(IOC_CH_CFG_EP_A, word). */",
        "#define IOC_FIELD_GET(f, word) (((uint32_t)(word) & f##_MASK) >> f##_SHIFT)",
        "#define IOC_FIELD_PREP(f, value) (((uint32_t)(value) << f##_SHIFT) & f##_MASK)",
        "",
        "/* Consistent 64-bit cycle count with 32-bit reads: high, low, high; retry on carry. */",
        "static inline uint64_t ioc_read_cycles(const volatile uint32_t *regs)",
        "{",
        "    uint32_t hi, lo;",
        "    do {",
        "        hi = regs[IOC_CYCLE_HI_OFFSET / 4u];",
        "        lo = regs[IOC_CYCLE_LO_OFFSET / 4u];",
        "    } while (regs[IOC_CYCLE_HI_OFFSET / 4u] != hi);",
        "    return ((uint64_t)hi << 32) | lo;",
        "}",
        "",
        "#endif /* IOC_REGS_H */",
        "",
    ]
    return "\n".join(out)


def json_text():
    """The map as JSON: registers (loadable by :meth:`RegisterMap.from_dict`), rules, enums."""
    doc = {
        "constants": _CONSTANTS,
        **REGMAP.to_dict(),
        "bad_accesses": [{"name": b.name, "condition": b.condition, "resp": "SLVERR"}
                         for b in BAD_ACCESSES],
        "checks": {c.name: c.desc for c in Check},
        "enums": {name: {e.name: int(e) for e in enum} for name, enum in _ENUMS.items()},
    }
    return json.dumps(doc, indent=2) + "\n"


def write_all(output_dir):
    """Write ``regmap.md``, ``ioc_regs.h`` and ``regmap.json``; return their paths."""
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in (("regmap.md", markdown()), ("ioc_regs.h", c_header()),
                       ("regmap.json", json_text())):
        path = output_dir / name
        path.write_text(text)
        paths.append(path)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m rtl.regmap_gen",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", required=True, type=pathlib.Path,
                        help="directory for regmap.md, ioc_regs.h and regmap.json")
    args = parser.parse_args(argv)
    for path in write_all(args.output_dir):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
