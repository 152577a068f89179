"""Mutation scores (``tinyita mutate``): Yosys mutants of a block behind one ``mutsel`` input
(:mod:`.yosys`), the block's Amaranth-simulator unit tests run on them on Verilator
(:mod:`.bridge`), and the score with the survivors' equivalence checks (:mod:`.score`)."""
