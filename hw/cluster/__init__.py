"""The cluster: cores, banked L1 with its interconnect, L2, instruction caches, DMA, event
unit, peripherals and (optionally) the ITA engine on the shared L1."""
