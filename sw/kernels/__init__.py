"""Code for the cores, built with :class:`sw.rv32.Program`: assembly helpers for the cluster's
peripherals (barrier, DMA, sleeping, cycle stamps, exit) and small kernels."""
