import numpy as np
import pytest

from dpsynth_trainer.evaluation.fidelity import (
    compare_lengths,
    label_distribution,
    ngram_jensen_shannon,
    rbf_mmd,
    total_variation,
)

REAL = ["a fine film with heart", "dull and far too long", "the cast shines", "a mess"]


def test_identical_rows_are_at_distance_zero():
    lengths = compare_lengths(REAL, list(REAL))
    assert lengths.ks == 0.0
    assert lengths.real_histogram == lengths.synthetic_histogram
    assert lengths.real_mean == lengths.synthetic_mean == pytest.approx(np.mean([5, 5, 3, 2]))
    assert ngram_jensen_shannon(REAL, list(REAL)) == pytest.approx(0.0, abs=1e-7)


def test_rows_without_a_common_word_are_at_the_largest_distance():
    assert ngram_jensen_shannon(REAL, ["zzz qqq", "xxx"]) == pytest.approx(1.0)
    assert ngram_jensen_shannon(REAL, []) == 1.0


def test_length_distributions_that_do_not_overlap_have_ks_one():
    lengths = compare_lengths(["one two"] * 5, ["one two three four five six"] * 3)
    assert lengths.ks == 1.0
    assert (lengths.real_mean, lengths.synthetic_mean) == (2.0, 6.0)
    assert sum(lengths.real_histogram) == 5 and sum(lengths.synthetic_histogram) == 3
    assert len(lengths.bin_edges) == len(lengths.real_histogram) + 1


def test_label_balance_total_variation():
    real = label_distribution(["a", "a", "b", "b"], ["a", "b", "c"])
    synthetic = label_distribution(["a", "a", "a", "c"], ["a", "b", "c"])
    assert real == {"a": 0.5, "b": 0.5, "c": 0.0}
    assert total_variation(real, synthetic) == pytest.approx(0.5)


def test_mmd_is_zero_for_the_same_sample_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8))
    assert rbf_mmd(x, x.copy()) == pytest.approx(0.0, abs=1e-6)
    near = rbf_mmd(x, rng.normal(size=(200, 8)))
    far = rbf_mmd(x, rng.normal(loc=2.0, size=(200, 8)))
    assert 0 < near < far
