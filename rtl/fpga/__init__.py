"""FPGA flow of the IOC subsystem: board tops, a UART-to-AXI4 bridge and its host client.

* :mod:`rtl.fpga.uart` -- UART receiver and transmitter.
* :mod:`rtl.fpga.uart_axi` -- the UART-to-AXI4 bridge (byte protocol documented there).
* :mod:`rtl.fpga.boards` -- board tops (iCEBreaker, ULX3S) and out-of-context wrappers.
* :mod:`rtl.fpga.flow` -- ``python -m rtl.fpga.flow``: synthesis, place and route, reports.
* :mod:`host.bridge` -- host-side client of the bridge protocol.
"""
