"""Test bench of the ITA HWPE: harness with a TCDM memory model, job placement in memory and
the cocotb-side bench that programs jobs through the registers."""
