"""Gateware of the SPUMONE IOC subsystem (Amaranth HDL 0.5)."""
