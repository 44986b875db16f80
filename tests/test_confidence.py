"""The confidence model's calibration: a monotone restatement of its probabilities, with an exact inverse."""

from libya_qa.confidence import before_calibration, on_calibrated_scale


def test_the_calibration_restates_a_bar_and_its_inverse_takes_it_back() -> None:
    for bar in (0.05, 0.2, 0.38, 0.9):
        assert abs(before_calibration(on_calibrated_scale(bar)) - bar) < 1e-9
    assert on_calibrated_scale(0.0) < 1e-6 and on_calibrated_scale(1.0) > 1 - 1e-6  # the ends stay ends
    assert on_calibrated_scale(0.2) < on_calibrated_scale(0.38)  # order is kept
