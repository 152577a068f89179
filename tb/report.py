"""The measurements every benchmark reports, in one shape: cycles, MACs, the engine's peak and
utilization, bit-exactness and the first mismatch. Used inside the simulator, where a cocotb
benchmark hands its report to :func:`tb.sim.write_result`."""

__all__ = ["throughput"]


def throughput(*, cycles: int, macs: int, peak: int, mismatch: str | None = None,
               **more) -> dict:
    """The report of a run of ``cycles`` cycles doing ``macs`` multiply-accumulates on an
    array of ``peak`` MACs per cycle; ``mismatch`` describes the first wrong result (None:
    bit-exact); ``more`` are the benchmark's own fields."""
    report = {"cycles": cycles, "macs": macs, "macs_per_cycle": macs / cycles,
              "peak_macs_per_cycle": peak, "utilization": macs / (cycles * peak),
              "bit_exact": mismatch is None, **more}
    if mismatch is not None:
        report["mismatch"] = mismatch
    return report
