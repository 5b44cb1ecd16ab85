"""Tests for ``tunex_core.report.charts``: one face's probabilities as bars."""

from __future__ import annotations

import numpy as np
import pytest

from tunex_core.emotions import DISPLAY_NAMES, EMOTIONS
from tunex_core.report.charts import probability_bars


def test_bars_follow_fer_order_with_each_emotions_colour_and_percentage():
    probabilities = np.array([0.05, 0.01, 0.04, 0.62, 0.08, 0.1, 0.1])
    bars = probability_bars(probabilities).data[0]
    assert list(bars.y) == list(DISPLAY_NAMES)
    assert list(bars.x) == pytest.approx(probabilities)
    assert list(bars.marker.color) == [emotion.colour for emotion in EMOTIONS]
    assert bars.text[3] == "62%"


def test_a_wrong_number_of_probabilities_is_refused():
    with pytest.raises(ValueError, match="expected 7 probabilities"):
        probability_bars([0.5, 0.5])
