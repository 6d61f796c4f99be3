"""Formal proofs of the IOC subsystem's blocks: ``python -m verify.formal`` (``make formal``).

Properties are Amaranth ``Assert``/``Assume``/``Cover`` statements (:mod:`.llsc`,
:mod:`.subsystem`, :mod:`.arbiter`, :mod:`.mailbox`, :mod:`.axi`), usable in ``amaranth.sim``
as well; :mod:`.jobs` says on which configuration each is proven, :mod:`.run` runs the proofs,
covers and seeded bugs, and :mod:`.sby` drives SymbiYosys from YoWASP with the yices solver.
"""
