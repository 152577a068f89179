"""The HWPE-style shell: the ITA engine programmed through registers, reading and writing the
shared L1 (TCDM) on its own."""
