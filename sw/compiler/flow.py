"""The compiler's stages in order, from a graph to a program: :func:`compile_graph`, and the
text of each stage for ``tinyita compile --dump STAGE``."""

import numpy as np

from hw.config import ClusterConfig

from .codegen import Compiled, generate
from .graph import Graph, GraphError
from .lowering import lower
from .schedule import schedule
from .tiling import tile

__all__ = ["STAGES", "compile_graph", "dump"]

#: The stages ``dump`` prints.
STAGES = ("graph", "lowering", "tiling", "memory", "schedule")


def compile_graph(graph: Graph, cluster: ClusterConfig, inputs: dict[str, np.ndarray]
                  ) -> Compiled:
    """Compile ``graph`` for ``cluster`` with its ``inputs`` in the L2 image; each stage's
    verifier runs on its result."""
    if not cluster.ita:
        raise GraphError("the compiler maps the graph onto the engine: the cluster has none "
                         "(--no-ita)")
    lowered = lower(graph, cluster.ita_config())
    return generate(schedule(tile(lowered, cluster)), inputs)


def dump(compiled: Compiled, stage: str) -> str:
    """The text of one of :data:`STAGES` of a compiled graph."""
    s = compiled.schedule
    texts = {"graph": s.tiled.lowered.graph.dump, "lowering": s.tiled.lowered.dump,
             "tiling": s.tiled.dump, "memory": s.memory.dump, "schedule": s.dump}
    if stage not in texts:
        raise GraphError(f"unknown stage {stage!r}; stages: {', '.join(STAGES)}")
    return texts[stage]()
