"""A simulation SoC: two CV32E40X RISC-V cores on the IOC subsystem (issue 16).

``soc.obi`` the OBI data interface, ``soc.bridge`` the OBI -> AXI4 bridge, ``soc.top`` the SoC,
``soc.core`` the pinned and patched core sources, ``soc.build`` the firmware and Verilator builds,
``soc.run`` the scenarios (``python -m soc``).
"""
