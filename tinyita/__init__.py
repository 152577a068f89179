"""tinyita: a generator of a RISC-V + Integer Transformer Accelerator cluster for edge
Transformer inference, with its golden model, compiler and test benches."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _distribution_version

try:
    __version__ = _distribution_version("tinyita")
except PackageNotFoundError:  # running from a checkout that is not installed
    __version__ = "0+unknown"
