"""Verification depth of the IOC subsystem: formal proofs, coverage, fuzzing and soaks."""
