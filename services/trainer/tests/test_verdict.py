"""The report's verdict: one rule, read against the real-data classifier and the majority-label line."""

from __future__ import annotations

from dpsynth_trainer.report.verdict import classify, fine_tuning_effect, measurable


def test_rows_that_keep_nine_tenths_of_the_real_accuracy_are_useful() -> None:
    assert classify(0.72, 0.78, 0.5, 1000) == "useful"


def test_keeping_the_ratio_is_not_enough_when_real_data_barely_beats_the_majority() -> None:
    # 0.52 / 0.56 is 93%, but it covers only a third of the real classifier's distance from the majority line.
    assert classify(0.52, 0.56, 0.5, 100_000) == "weak"


def test_beating_the_majority_by_less_than_the_holdouts_noise_is_not_useful() -> None:
    assert classify(0.54, 0.62, 0.51, 200) == "not-useful"  # 3 points: within two standard errors of 200 rows
    assert classify(0.54, 0.62, 0.51, 20_000) == "weak"  # the same 3 points on a large holdout is signal


def test_below_the_majority_line_is_not_useful() -> None:
    assert classify(0.43, 0.74, 0.5, 1000) == "not-useful"


def test_what_fine_tuning_added_is_said_only_when_the_holdout_can_tell() -> None:
    # 1,000 holdout rows around 70%: two standard errors are 2.9 points.
    assert measurable(0.70, 1000) > 0.028
    assert "nothing measurable" in fine_tuning_effect(0.705, 0.697, 1000)
    assert fine_tuning_effect(0.75, 0.70, 1000) == "fine-tuning on your data added 5 points."
    assert fine_tuning_effect(0.64, 0.70, 1000) == "fine-tuning on your data lost 6 points against them."
    assert fine_tuning_effect(0.60, 0.50, 100_000) == "fine-tuning on your data added 10 points."
