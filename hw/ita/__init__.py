"""The Integer Transformer Accelerator (ITA) engine."""

from .config import Activation, ITAConfig, Mode

__all__ = ["ITAConfig", "Mode", "Activation"]
