import pytest

from dpsynth_trainer.evaluation.memorisation import (
    count_copies,
    distance_to_closest_record,
    jaccard_to_nearest,
    membership_inference_auc,
)

TRAIN = [
    "an unexpectedly tender portrait of two brothers who drift apart across three decades of small town life",
    "the plot wanders aimlessly and the jokes land with a thud",
    "a gorgeous score carries the weaker scenes",
    "nobody in this film seems to know why they are there",
]


def test_planted_exact_copies_are_counted():
    synthetic = [
        TRAIN[1],
        "  THE plot wanders aimlessly and the jokes   land with a thud ",
        "something new entirely",
        TRAIN[2],
    ]
    copies = count_copies(synthetic, TRAIN)
    assert copies.exact == 3
    assert copies.near == 0


def test_a_one_word_edit_of_a_long_row_is_a_near_copy():
    edited = TRAIN[0].replace("tender", "gentle")
    assert jaccard_to_nearest([edited], TRAIN)[0] == pytest.approx(15 / 17)  # 16 distinct words each, 15 shared
    longer = TRAIN[0] + " and the quiet strength of family ties"
    near = longer.replace("tender", "gentle")
    train = [*TRAIN, longer]
    copies = count_copies([near, "unrelated words here"], train)
    assert (copies.exact, copies.near) == (0, 1)


def test_copies_sit_at_distance_zero_and_fresh_rows_further():
    dcr = distance_to_closest_record(list(TRAIN), ["a tender score and a gorgeous portrait", "why"], TRAIN)
    assert dcr.synthetic_to_train_median == pytest.approx(0.0, abs=1e-9)
    assert dcr.holdout_to_train_median > 0.5


def test_membership_inference_auc():
    assert membership_inference_auc([0.1, 0.2, 0.3], [1.0, 2.0]) == 1.0
    assert membership_inference_auc([2.0, 3.0], [0.1, 0.2]) == 0.0
    assert membership_inference_auc([1.0, 1.0], [1.0, 1.0]) == 0.5
