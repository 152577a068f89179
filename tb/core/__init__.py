"""Test bench of the RV32IM core: a minimal SoC harness, program loading and running."""
