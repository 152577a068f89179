"""Test bench of the cluster: harness, memory access in bulk, program runner, benchmark."""
