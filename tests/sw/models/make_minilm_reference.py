"""Make ``minilm_reference.npz``: all-MiniLM-L6-v2's embeddings as the original library
computes them, for checking :mod:`sw.models.bert`'s float reference.

Run once, in an environment that has sentence-transformers (and so PyTorch), which this
project does not need::

    python -m venv /tmp/st && /tmp/st/bin/pip install sentence-transformers safetensors \\
        tokenizers numpy
    /tmp/st/bin/python tests/sw/models/make_minilm_reference.py MODEL_FOLDER

``MODEL_FOLDER`` is the unpacked model (``tinyita fetch minilm`` prints it). The texts are the
first 16 of the built-in sentence set, encoded as one padded batch.
"""

import ast
import sys
from pathlib import Path

import numpy as np
import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

HERE = Path(__file__).parent
COUNT = 16


def sentences() -> list[str]:
    """The built-in set, read without importing tinyita (this environment may lack it)."""
    src = (HERE.parents[2] / "sw" / "models" / "sentences.py").read_text()
    tree = ast.parse(src)
    node = next(n for n in tree.body if isinstance(n, ast.Assign)
                and n.targets[0].id == "SENTENCES")
    return list(ast.literal_eval(node.value))[:COUNT]


def main() -> None:
    model = SentenceTransformer(sys.argv[1], device="cpu")
    texts = sentences()
    with torch.no_grad():
        emb = model.encode(texts, batch_size=COUNT, convert_to_numpy=True)
    np.savez_compressed(HERE / "minilm_reference.npz", texts=np.array(texts),
                        embeddings=emb.astype(np.float32),
                        versions=np.array([sentence_transformers.__version__,
                                           torch.__version__]))
    print(f"wrote {len(texts)} embeddings of {emb.shape[1]}")


if __name__ == "__main__":
    main()
