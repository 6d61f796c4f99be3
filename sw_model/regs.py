"""Register access for guest and hypervisor code, by name, through a :class:`~sw_model.cpu.CpuPort`.

Offsets and field positions come from :data:`ioc_defs.regmap.REGMAP` (the single source of truth);
nothing here states a number.
"""

from ioc_defs.regmap import REGMAP

__all__ = ["read_reg", "read_field", "write_reg"]


async def read_reg(port, name, index=0):
    """Read register ``name`` (entry ``index`` of an array); return ``{field: value}``."""
    reg = REGMAP[name]
    word = await port.reg_read(reg.address(index))
    return {f.name: f.get(word) for f in reg.fields}


async def read_field(port, name, field, index=0):
    """Read one field of register ``name``."""
    reg = REGMAP[name]
    return reg.field(field).get(await port.reg_read(reg.address(index)))


async def write_reg(port, name, index=0, **fields):
    """Write register ``name`` with the given field values (others 0). Raises
    :class:`~sw_model.cpu.BusError` if the register block refuses the write (SLVERR)."""
    reg = REGMAP[name]
    await port.reg_write(reg.address(index), reg.compose(fields))
