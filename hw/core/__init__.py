"""The RV32IM core."""
