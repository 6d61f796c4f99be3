"""Verification at length: bad-input fuzzing, fault soaks, reset sweeps and the report.

``make verify`` (``python -m verify``) runs them at full length and writes
``build/verify/report.md``; ``make test`` runs reduced versions through ``tests/test_verify.py``.
"""
