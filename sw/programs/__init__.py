"""Whole programs for the cluster: the hand-written attention head offloaded to the engine, and
the same head in software on the cores (the baseline)."""
