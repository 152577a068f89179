"""Test benches: the Verilator/cocotb simulation runner, drivers, memory models and benches.

``tb`` may import ``hw`` and ``sw``; neither imports ``tb``.
"""
