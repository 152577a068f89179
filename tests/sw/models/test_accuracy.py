import numpy as np
import pytest

from hw.ita.config import ITAConfig
from sw.models.accuracy import evaluate, spearman


def test_spearman_of_known_rankings():
    a = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert spearman(a, a ** 3) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)
    assert spearman(np.array([1.0, 2.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0, 4.0])) == \
        pytest.approx(0.9486832980505138)


def test_minilm_accuracy_on_the_built_in_sentences(minilm):
    """The figures of docs/accuracy.md for the default engine; a change to the arithmetic
    or the quantizer that loses accuracy fails here."""
    acc = evaluate(minilm, ITAConfig())
    assert acc.sentences == 60
    assert min(mean for mean, _ in acc.layers) > 0.985
    assert acc.embedding[0] > 0.97 and acc.embedding[1] > 0.88
    assert acc.spearman > 0.955
