"""Verification depth of the IOC subsystem: formal proofs, coverage, fuzzing and soaks.

``make verify`` (``python -m verify``) runs the bad-input fuzz, the fault soaks and the reset
sweeps at full length and writes ``build/verify/report.md``; ``make test`` runs reduced
versions through ``tests/test_verify.py``.
"""
