"""Verification beyond the unit tests: formal proofs, coverage, fuzzing and soaks (issue #8)."""
