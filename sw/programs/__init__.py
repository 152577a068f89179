"""Whole programs for the cluster: the hand-written attention head offloaded to the engine, the
same head in software on the cores (the baseline), and the idle load of ``tinyita bench sim``."""
