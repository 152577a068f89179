"""The deployment flow's compiler: stages that turn an integer encoder into programs for the
cluster, each with one data structure and a verifier. Built so far: the graph
(:mod:`sw.compiler.graph`), its lowering to engine jobs and core kernels
(:mod:`sw.compiler.lowering`), and the engine's part of the cost model
(:mod:`sw.compiler.cost`)."""
