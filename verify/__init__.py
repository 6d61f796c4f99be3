"""Verification depth of the IOC subsystem: coverage, formal proofs, fuzzing and soaks."""
