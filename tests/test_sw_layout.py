"""The shared-RAM layout: numpy description, derived addresses, initial image, C header."""

import shutil
import subprocess

import numpy as np
import pytest

from ioc_defs.params import IocParams
from sw_model.layout import A2B, B2A, IOC_MAGIC, IocLayout


@pytest.fixture
def layout():
    return IocLayout(IocParams(n_channels=3, shm_bytes=1024), depth=4, slot_words=2)


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_c_header_matches_numpy_layout(layout, tmp_path):
    (tmp_path / "ioc_layout.h").write_text(layout.c_header())
    checks = []
    for struct, dtype in (("ioc_header", layout.header_dtype),
                          ("ioc_mem_fifo", layout.fifo_dtype),
                          ("ioc_mem_t", layout.channel_dtype), ("ioc_shm", layout.shm_dtype)):
        checks.append((f"sizeof({struct})", dtype.itemsize))
        for field in dtype.names:
            checks.append((f"offsetof({struct}, {field})", dtype.fields[field][1]))
    checks.append(("offsetof(ioc_shm, chan[2].fifo[1].seq[3])",
                   layout.ring(2, B2A).seq(3)))
    checks.append(("offsetof(ioc_shm, chan[1].fifo[0].slot[3][1])",
                   layout.ring(1, A2B).slot(3, 1)))
    body = "\n".join(f'    printf("%zu\\n", (size_t){expr});' for expr, _ in checks)
    (tmp_path / "t.c").write_text('#include <stddef.h>\n#include <stdio.h>\n'
                                  '#include "ioc_layout.h"\n'
                                  f"int main(void) {{\n{body}\n    return 0;\n}}\n")
    subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", "-o", str(tmp_path / "t"),
                    str(tmp_path / "t.c")], check=True)
    out = subprocess.run([str(tmp_path / "t")], check=True, capture_output=True, text=True)
    assert [int(x) for x in out.stdout.split()] == [value for _, value in checks]


def test_ring_addresses_follow_the_dtype(layout):
    ring = layout.ring(1, B2A)
    base = layout.channel_base(1) + layout.channel_dtype.fields["fifo"][1]
    base += layout.fifo_dtype.itemsize
    assert ring.head == base and ring.tail == base + 4
    assert ring.seq(5) == ring.seq(1) == ring.seq_base + 4
    assert ring.slot(6, 1) == ring.slot_base + 4 * (2 * 2 + 1)
    assert layout.field_name(ring.slot(6, 1)) == "chan[1].fifo[1].slot[2][1]"
    assert layout.field_name(layout.epoch_addr(2)) == "chan[2].epoch"


def test_initial_image(layout):
    shm = np.frombuffer(layout.image(), dtype=layout.shm_dtype)
    assert shm["header"]["magic"][0] == IOC_MAGIC
    assert shm["header"]["n_channels"][0] == 3
    assert (shm["chan"]["fifo"]["seq"] == np.arange(4)).all()
    assert (shm["chan"]["fifo"]["depth"] == 4).all()
    assert (shm["chan"]["fifo"]["head"] == 0).all()


@pytest.mark.parametrize("kwargs, error, message", [
    ({"depth": 3}, ValueError, r"depth must be a power of two, not 3"),
    ({"depth": 1}, ValueError, r"depth must be at least 2, not 1"),
    ({"depth": 2.0}, TypeError, r"depth must be an integer, not 2.0"),
    ({"slot_words": 0}, ValueError, r"slot_words must be at least 1, not 0"),
    ({"depth": 64}, ValueError, r"the IOC layout needs \d+ bytes, more than shm_bytes=256"),
])
def test_validation(kwargs, error, message):
    with pytest.raises(error, match=message):
        IocLayout(IocParams(n_channels=2, shm_bytes=256), **kwargs)


def test_bad_channel_and_direction(layout):
    with pytest.raises(ValueError, match=r"channel must be in \[0, 3\), not 3"):
        layout.ring(3, A2B)
    with pytest.raises(ValueError, match=r"direction must be A2B or B2A, not 2"):
        layout.ring(0, 2)
