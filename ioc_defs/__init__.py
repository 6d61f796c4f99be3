"""Layer 0: the pure definitions every other layer takes its facts from.

Parameters and address map (:mod:`ioc_defs.params`), the register map (:mod:`ioc_defs.regmap`),
the AXI4 encodings and the bus rules of the subsystem (:mod:`ioc_defs.axi`), and the byte
protocol of the UART-to-AXI bridge (:mod:`ioc_defs.bridge`). Plain Python, no Amaranth and no
simulator: the gateware (``rtl``), the reference model (``sw_model``), the testbench library and
host software all import from here, and nothing here imports from them.
"""
