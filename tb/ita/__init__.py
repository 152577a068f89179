"""Test bench of the ITA engine: stream order, HDL harness and the cocotb-side bench."""
