"""The C guest library of the IOC protocol (``firmware/``), and the Python that serves it.

The C sources live beside this package (``include/``, ``src/``, ``arch/<target>/``, ``tests/``,
``native/``); :mod:`firmware.headers` generates the headers that carry every offset and size
from the single sources (``ioc_defs/regmap.py``, ``sw_model/layout.py``); :mod:`firmware.build`
compiles the library for the host, SH-4A, RV32 and the native RTL harness.
"""
