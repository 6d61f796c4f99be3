"""The register map is consistent, and the generated Markdown, C header and JSON agree with it."""

import json
import re
import shutil
import subprocess

import pytest

from ioc_defs.axi import AxiResp
from ioc_defs.params import REG_BASE, REG_SIZE, IocParams, ScFailCause
from ioc_defs.regmap import (
    BAD_ACCESSES,
    ID_MAGIC,
    REGMAP,
    Access,
    ArrayOf,
    Check,
    Event,
    Field,
    Register,
    RegisterMap,
)
from rtl import regmap_gen

MAX = IocParams(n_agents=16, n_channels=32, n_watchdogs=8, fifo_depth=256)
SMALL = IocParams(n_agents=1, n_channels=1, n_watchdogs=0)


# -- consistency of the map ----------------------------------------------------------------------

def test_names_unique_and_upper_case():
    names = [r.name for r in REGMAP]
    assert len(names) == len(set(names))
    for reg in REGMAP:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", reg.name)
        fields = [f.name for f in reg.fields]
        assert len(fields) == len(set(fields)), reg.name
        assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", f) for f in fields)


def test_words_aligned_inside_window_without_overlap():
    seen = {}
    for reg in REGMAP:
        for i in range(reg.max_count):
            a = reg.address(i)
            assert a % 4 == 0 and 0 <= a < REG_SIZE, (reg.name, i)
            assert a not in seen, f"{reg.name}[{i}] overlaps {seen[a]}"
            seen[a] = (reg.name, i)
    assert len(seen) == sum(r.max_count for r in REGMAP)


def test_fields_inside_32_bits_without_overlap():
    for reg in REGMAP:
        used = 0
        for f in reg.fields:
            assert f.width >= 1 and 0 <= f.offset and f.offset + f.width <= 32
            assert not used & f.mask, f"{reg.name}.{f.name}"
            used |= f.mask
            if f.reset is not None:
                assert 0 <= f.reset < 1 << f.width
            if f.limit is not None:
                assert f.access.writable
                assert (1 << f.width) >= getattr(MAX, f.limit), "field too narrow for its limit"


def test_offsets_do_not_depend_on_parameters():
    small = {(r.name, i): a for r, i, a in REGMAP.instances(SMALL)}
    big = {(r.name, i): a for r, i, a in REGMAP.instances(MAX)}
    assert small.items() <= big.items()
    assert len(big) == sum(r.max_count for r in REGMAP)  # the maxima fill every array
    assert ("WDOG_CTRL", 0) not in small and ("CH_CFG", 1) not in small
    # the message FIFOs' registers exist only with fifo_depth > 0
    assert not any(name.startswith("FIFO_") for name, _ in small)
    assert ("FIFO_ERROR", 0) in big and ("FIFO_DATA", 63) in big


def test_arrays_sized_for_the_maxima():
    assert {a: a.max_count for a in ArrayOf} == {
        ArrayOf.CHANNELS: 32, ArrayOf.AGENTS: 16, ArrayOf.WATCHDOGS: 8, ArrayOf.FIFOS: 64}
    for reg in REGMAP:
        if reg.array is not None:
            lo, hi = reg.index_bits
            for i in range(reg.max_count):
                assert reg.address(i) >> lo & ((1 << (hi - lo)) - 1) == i, (reg.name, i)


def test_decode():
    p = IocParams(n_agents=3, n_channels=4, n_watchdogs=2)
    for reg, i, a in REGMAP.instances(p):
        assert REGMAP.decode(p, a) == (reg, i)
        assert REGMAP.decode(p, a + 3) == (reg, i)  # any byte of the word
    assert REGMAP.decode(p, REGMAP["CH_CFG"].address(4)) is None  # beyond n_channels
    assert REGMAP.decode(p, REGMAP["WDOG_KICK"].address(2)) is None
    assert REGMAP.decode(p, REGMAP.holes()[-1]) is None  # hole
    with pytest.raises(TypeError, match=r"^params must be an IocParams, not None$"):
        list(REGMAP.instances(None))


def test_register_helpers():
    cfg = REGMAP["CH_CFG"]
    assert cfg.address(3) == 0x10C
    with pytest.raises(IndexError, match=r"^CH_CFG has no entry 32$"):
        cfg.address(32)
    with pytest.raises(KeyError, match=r"CH_CFG has no field NOPE"):
        cfg.field("NOPE")
    word = cfg.compose({"EP_A": 2, "EP_B": 1, "ENABLE": 1})
    assert word == 0x8000_0102
    assert cfg.field("EP_B").get(word) == 1
    assert REGMAP["ID"].field("MAGIC").get(REGMAP["ID"].reset) == ID_MAGIC
    assert REGMAP["CONFIG"].reset is None
    assert REGMAP["AGENT_CTRL"].access == "W/R"
    assert REGMAP["DOORBELL"].writable and not REGMAP["DOORBELL"].readable
    assert REGMAP["EPOCH"].readable and not REGMAP["EPOCH"].writable


def test_event_fields_follow_the_enum():
    for name in ("EV_PENDING", "EV_ENABLE", "EV_STATUS"):
        assert {f.name: f.offset for f in REGMAP[name].fields} == {e.name: int(e) for e in Event}


def test_spec_contents_present():
    """SPEC §3.4: privileged setup registers, banked interrupt state, checks."""
    for name in ("CH_CFG", "CHANNEL_RESET", "AGENT_CTRL", "WDOG_PERIOD", "WDOG_CTRL",
                 "WDOG_EXPIRED"):
        assert REGMAP[name].priv_write, name
    for name in ("CH_PENDING", "CH_ENABLE", "CH_STATUS", "TX_PENDING", "EV_PENDING",
                 "EV_ENABLE", "EV_STATUS"):
        assert REGMAP[name].banked, name
    assert REGMAP["CH_PENDING"].fields[0].access is Access.RW1C
    assert REGMAP["DOORBELL"].check is Check.DOORBELL_ENDPOINT
    assert REGMAP["WDOG_KICK"].check is Check.KICK_PERMITTED
    assert REGMAP["EPOCH"].check is Check.EPOCH_READER
    assert {b.name for b in BAD_ACCESSES} >= {"HOLE", "SIZE", "MISALIGNED", "STROBE",
                                              "READ_WRITE_ONLY", "PRIVILEGE"}


@pytest.mark.parametrize("registers,message", [
    ([Register("A", 0, "", (Field("X", 0, 1, Access.R, ""),)),
      Register("A", 4, "", (Field("X", 0, 1, Access.R, ""),))], r"^duplicate register name A$"),
    ([Register("A", 0, "", (Field("X", 0, 1, Access.R, ""),)),
      Register("B", 0x100, "", (Field("X", 0, 1, Access.R, ""),), array=ArrayOf.CHANNELS,
               stride=4),
      Register("C", 0x104, "", (Field("X", 0, 1, Access.R, ""),))],
     r"^C\[0\] overlaps B\[1\] at 0x104$"),
    ([Register("A", 2, "", (Field("X", 0, 1, Access.R, ""),))],
     r"^A\[0\] at 0x2 is misaligned or outside the window$"),
    ([Register("A", REG_SIZE, "", (Field("X", 0, 1, Access.R, ""),))],
     rf"^A\[0\] at {REG_SIZE:#x} is misaligned or outside the window$"),
    ([Register("A", 0, "", (Field("X", 30, 3, Access.R, ""),))],
     r"^A\.X does not fit in 32 bits$"),
    ([Register("A", 0, "", (Field("X", 0, 4, Access.R, ""), Field("Y", 3, 1, Access.R, "")))],
     r"^A\.Y overlaps another field$"),
    ([Register("A", 0, "", (Field("X", 0, 1, Access.R, ""), Field("X", 1, 1, Access.R, "")))],
     r"^A: duplicate field X$"),
    ([Register("A", 0, "", (Field("X", 0, 2, Access.R, "", reset=4),))],
     r"^A\.X: reset value does not fit$"),
    ([Register("A", 0, "", (Field("X", 0, 1, Access.R, ""),), array=ArrayOf.AGENTS,
               stride=2)], r"^A: stride must be a power of two from 4$"),
    ([Register("A", 0x104, "", (Field("X", 0, 1, Access.R, ""),), array=ArrayOf.AGENTS,
               stride=4)], r"^A: array is not naturally aligned$"),
    ([Register("A", 0, "", ())], r"^A has no fields$"),
])
def test_inconsistent_maps_are_rejected(registers, message):
    with pytest.raises(ValueError, match=message):
        RegisterMap(registers)


def test_register_map_rejects_non_registers():
    with pytest.raises(TypeError, match=r"^registers must be Register objects, not 1$"):
        RegisterMap([1])


# -- generated files -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("regmap")
    regmap_gen.main(["--output-dir", str(out)])
    return out


def test_files_written(generated):
    assert sorted(p.name for p in generated.iterdir()) == [
        "ioc_regs.h", "regmap.json", "regmap.md"]


def test_json_round_trips(generated):
    doc = json.loads((generated / "regmap.json").read_text())
    assert RegisterMap.from_dict(doc) == REGMAP
    assert doc["enums"]["ScFailCause"] == {e.name: int(e) for e in ScFailCause}
    assert doc["enums"]["Event"] == {e.name: int(e) for e in Event}
    assert doc["enums"]["AxiResp"] == {e.name: int(e) for e in AxiResp}
    assert [b["name"] for b in doc["bad_accesses"]] == [b.name for b in BAD_ACCESSES]
    assert doc["constants"]["REG_BASE"] == REG_BASE
    assert json.loads(json.dumps(REGMAP.to_dict())) == REGMAP.to_dict()


def test_markdown_documents_everything(generated):
    text = (generated / "regmap.md").read_text()
    for reg in REGMAP:
        assert f"| 0x{reg.offset:03X} | {reg.name} |" in text
        assert f"### {reg.name}" in text
    for bad in BAD_ACCESSES:
        assert f"| {bad.name} | {bad.condition} | SLVERR |" in text
    for check in Check:
        assert check.name in text
    assert "EXOKAY" in text


def _c_expectations():
    """``{macro expression: value}`` for everything a driver takes from the header."""
    want = {"IOC_REG_BASE": REG_BASE, "IOC_REG_SIZE": REG_SIZE, "IOC_MAGIC": ID_MAGIC}
    for reg in REGMAP:
        p = f"IOC_{reg.name}"
        if reg.array is None:
            want[f"{p}_OFFSET"] = reg.offset
        else:
            for i in (0, 1, reg.max_count - 1):
                want[f"{p}_OFFSET({i})"] = reg.address(i)
            want[f"{p}_STRIDE"] = reg.stride
            want[f"{p}_COUNT_MAX"] = reg.max_count
        if reg.reset is not None:
            want[f"{p}_RESET"] = reg.reset
        for f in reg.fields:
            want[f"{p}_{f.name}_SHIFT"] = f.offset
            want[f"{p}_{f.name}_WIDTH"] = f.width
            want[f"{p}_{f.name}_MASK"] = f.mask
    want.update({f"IOC_SC_FAIL_CAUSE_{e.name}": int(e) for e in ScFailCause})
    want.update({f"IOC_EVENT_{e.name}": int(e) for e in Event})
    want.update({f"IOC_AXI_RESP_{e.name}": int(e) for e in AxiResp})
    want["IOC_FIELD_GET(IOC_CH_CFG_EP_B, 0x80000305u)"] = 3
    want["IOC_FIELD_PREP(IOC_CH_CFG_ENABLE, 1)"] = 0x8000_0000
    return want


def test_c_header_compiles_and_matches(generated, tmp_path):
    cc = shutil.which("cc")
    assert cc is not None, "the system C compiler (cc) is required"
    header = (generated / "ioc_regs.h").read_text()
    defined = re.findall(r"^#define (\w+)", header, re.M)
    assert len(defined) == len(set(defined)), "duplicate macro names"
    assert header.startswith("/*") and "#ifndef IOC_REGS_H" in header
    want = _c_expectations()
    lines = [f'    printf("%s=%llu\\n", "{k}", (unsigned long long)({k}));' for k in want]
    # the cycle helper retries until the two high words agree
    src = "\n".join([
        '#include "ioc_regs.h"',
        '#include "ioc_regs.h"  /* include guard */',
        "#include <stdio.h>",
        "static volatile uint32_t regs[IOC_REG_SIZE / 4u];",
        "int main(void)",
        "{",
        *lines,
        "    regs[IOC_CYCLE_HI_OFFSET / 4u] = 0x12u;",
        "    regs[IOC_CYCLE_LO_OFFSET / 4u] = 0x89abcdefu;",
        '    printf("cycles=%llu\\n", (unsigned long long)ioc_read_cycles(regs));',
        "    return 0;",
        "}",
        "",
    ])
    (tmp_path / "main.c").write_text(src)
    exe = tmp_path / "main"
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror",
                    f"-I{generated}", str(tmp_path / "main.c"), "-o", str(exe)],
                   check=True, capture_output=True, text=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout
    got = dict(line.split("=", 1) for line in out.splitlines())
    assert int(got.pop("cycles")) == 0x12_89AB_CDEF
    assert {k: int(v) for k, v in got.items()} == want


def test_window_and_holes_derive_from_the_map():
    """The window is the register block's 4 KiB; holes are exactly the words no register
    occupies (at the maxima, or in one configuration, where absent array entries add to them)."""
    p = IocParams(n_agents=2, n_channels=4, n_watchdogs=1)
    assert (REGMAP.base, REGMAP.window) == (REG_BASE, REG_SIZE)
    used = {addr for _, _, addr in REGMAP.instances(p)}
    assert set(REGMAP.holes(p)) == set(range(0, REG_SIZE, 4)) - used
    assert set(REGMAP.holes()) < set(REGMAP.holes(p))
    assert REGMAP["CH_CFG"].address(4) in REGMAP.holes(p)
    assert REGMAP["CH_CFG"].address(4) not in REGMAP.holes()
    assert all(REGMAP.decode(p, h) is None for h in REGMAP.holes(p))
