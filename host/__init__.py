"""Layer 2: host software for the board.

:mod:`host.bridge` speaks the UART-to-AXI bridge's byte protocol; :mod:`host.link` turns it into
one :class:`sw_model.link.Link` per agent, so the guest code of ``sw_model`` runs on the board
as it runs on the reference model and in simulation. Pure Python: no HDL, no simulator.
"""
