"""ClusterConfig rejects what the hardware cannot build, naming the value and the limit."""

import pytest

from hw.cluster.cluster import Cluster
from hw.config import ClusterConfig


@pytest.mark.parametrize("kwargs, message", [
    ({"cores": 0}, "cores = 0: must be in 1..8"),
    ({"cores": 9}, "cores = 9: must be in 1..8"),
    ({"l1_bytes": 100_000}, "l1_bytes = 100000: must be a power of two"),
    ({"l1_banks": 4}, "l1_banks = 4: must be a power of two in 8..64"),
    ({"l2_bytes": 1 << 29}, "l2_bytes = 536870912"),
    ({"l2_latency": 1}, "l2_latency = 1: must be in 2..32"),
    ({"icache_lines": 3}, "icache_lines = 3"),
    ({"m": 48}, "m = 48"),
    ({"l1_banks": 8, "m": 128, "max_tiles": 4}, "must be at least the engine's M/8 = 16 lanes"),
    ({"cores": "8"}, "cores must be an int"),
])
def test_bad_configurations_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        ClusterConfig(**kwargs)


def test_engine_parameters_are_checked_only_with_the_engine():
    assert ClusterConfig(ita=False, m=48).engine_lanes == 0


def test_cluster_elaborates_for_other_parameters():
    from amaranth.back import rtlil

    cfg = ClusterConfig(cores=3, l1_bytes=32 * 1024, l1_banks=16, l2_bytes=64 * 1024,
                        n=8, m=32, icache_lines=4, l2_latency=3)
    assert "module" in rtlil.convert(Cluster(cfg), name="c")
