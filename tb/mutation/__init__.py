"""Mutation scores (``tinyita mutate``): Yosys mutants of a block behind one ``mutsel`` input
(:mod:`.yosys`), the block's Amaranth-simulator unit tests run on them on Verilator
(:mod:`.bridge`), or, for a block tested only through harnesses, its mutants spliced into the
harness builds and selected by a plusarg (:mod:`.harness`); the score with the survivors'
equivalence checks (:mod:`.score`)."""
