import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sw.models.bert import embed, forward, load_bert
from sw.models.sentences import CALIBRATION, SENTENCES

from .conftest import write_tiny_bert

REFERENCE = Path(__file__).parent / "minilm_reference.npz"


def test_float_reference_matches_sentence_transformers(minilm):
    """The embeddings the original library computed (make_minilm_reference.py), in one
    padded batch."""
    ref = np.load(REFERENCE)
    texts = [str(t) for t in ref["texts"]]
    assert texts == list(SENTENCES[:len(texts)])
    got = forward(minilm, minilm.tokenize(texts)).embeddings
    assert np.abs(got - ref["embeddings"]).max() < 1e-5


def test_padding_and_its_mask_change_no_embedding(minilm):
    short, long = SENTENCES[0], SENTENCES[55]
    alone = forward(minilm, minilm.tokenize([short])).embeddings
    batch = minilm.tokenize([short, long], multiple=64)
    assert batch.ids.shape[1] == 64 and batch.lengths[0] < 10
    padded = forward(minilm, batch).embeddings[0]
    assert np.abs(padded - alone[0]).max() < 1e-12


def test_minilm_shape_and_pooling(minilm):
    c = minilm.config
    assert (c.layers, c.emb, c.heads, c.proj, c.ff) == (6, 384, 12, 32, 1536)
    assert minilm.pooling == "mean" and minilm.normalize
    assert minilm.layers[0].heads[0].wq.shape == (384, 32)


def test_the_sentence_sets_are_disjoint_and_varied(minilm):
    assert len(SENTENCES) >= 50 and not set(SENTENCES) & set(CALIBRATION)
    lengths = minilm.tokenize(list(SENTENCES)).lengths
    assert lengths.min() <= 5 and lengths.max() >= 40      # 4 .. 41 tokens


def test_a_zip_loads_like_the_folder(tiny_bert_path, tmp_path):
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in tiny_bert_path.iterdir():
            z.write(f, f"inner/{f.name}")
    a, b = load_bert(tiny_bert_path), load_bert(archive)
    batch = a.tokenize(["the cat sleeps .", "a dog runs"])
    assert np.array_equal(batch.ids, b.tokenize(["the cat sleeps .", "a dog runs"]).ids)
    assert np.array_equal(forward(a, batch).embeddings, forward(b, batch).embeddings)
    assert not a.normalize and a.pooling == "mean"     # no sentence-transformers files


def test_tokenize_pads_to_a_multiple(tiny_bert):
    b = tiny_bert.tokenize(["the cat", "a dog runs ."], multiple=16)
    assert b.ids.shape == (2, 16)
    assert b.lengths.tolist() == [4, 6]
    assert b.ids[0, :4].tolist() == [2, 4, 5, 3] and not b.ids[0, 4:].any()


def test_bad_model_folders_say_what_is_wrong(tmp_path, tiny_bert_path):
    with pytest.raises(ValueError, match="no such folder or zip file"):
        load_bert(tmp_path / "nothing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ValueError, match="neither a folder nor a zip file"):
        load_bert(tmp_path / "file.txt")
    partial = tmp_path / "partial"
    shutil.copytree(tiny_bert_path, partial)
    (partial / "tokenizer.json").unlink()
    with pytest.raises(ValueError, match="missing tokenizer.json"):
        load_bert(partial)
    gpt = write_tiny_bert(tmp_path / "gpt", config_changes={"model_type": "gpt2"})
    with pytest.raises(ValueError, match="model_type 'gpt2'; only 'bert' encoders load"):
        load_bert(gpt)
    act = write_tiny_bert(tmp_path / "act", config_changes={"hidden_act": "swish"})
    with pytest.raises(ValueError, match="hidden_act 'swish'; supported: gelu, relu"):
        load_bert(act)
    config = json.loads((partial / "config.json").read_text())
    assert config["model_type"] == "bert"


def test_tokenize_and_embed_reject_what_they_cannot_take(tiny_bert):
    with pytest.raises(ValueError, match="expected a non-empty list of strings"):
        tiny_bert.tokenize([])
    with pytest.raises(ValueError, match="sequence length 200 is over the model's 128 "
                       "positions"):
        embed(tiny_bert, np.zeros((1, 200), dtype=np.int64))
