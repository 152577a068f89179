"""``tinyita eval`` and ``tinyita fetch`` on a tiny random BERT folder: the report, the
ablation, and clear errors."""

import json

import pytest

from hw.ita.config import ITAConfig
from sw.models.ablation import VARIANTS, ablation
from sw.models.fetch import model_path
from tinyita.cli import main

TEXTS = ("the cat sleeps .", "a dog runs", "the dog", "cat . a cat runs the dog sleeps")
SMALL = ["--n", "8", "--m", "16"]


def test_eval_prints_the_accuracy_as_json(tiny_bert_path, capsys):
    assert main(["eval", "--model", str(tiny_bert_path), *SMALL, "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["sentences"] == 60 and len(r["layers"]) == 2
    assert 0.9 < r["embedding"][1] <= r["embedding"][0] <= 1.0
    assert "n=8, m=16" in r["engine"]


def test_eval_prints_a_table(tiny_bert_path, capsys):
    assert main(["eval", "--model", str(tiny_bert_path), *SMALL]) == 0
    out = capsys.readouterr().out
    assert "embedding cosine: mean" in out and "Spearman" in out


def test_every_ablation_variant_runs(tiny_bert):
    rows = ablation(tiny_bert, ITAConfig(n=8, m=16), texts=TEXTS, calibration=TEXTS)
    assert [name for name, _ in rows] == [name for name, _ in VARIANTS]
    for name, acc in rows:
        assert 0.5 < acc.embedding[1] <= 1.0, name


def test_bad_models_are_errors_that_name_them(tmp_path, capsys):
    assert main(["eval", "--model", str(tmp_path / "none")]) == 2
    assert "no such folder or zip file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["fetch", "bert-large"])
    with pytest.raises(ValueError, match="model 'bert-large': not a known model; known: "
                       "minilm"):
        model_path("bert-large")
