"""Bus protocols shared by the blocks: the TCDM port that cores, the DMA, the engine and the
memories speak, and the engine's beat port."""

from .tcdm import LANE_BITS, BeatPortSignature, TCDMSignature

__all__ = ["TCDMSignature", "BeatPortSignature", "LANE_BITS"]
