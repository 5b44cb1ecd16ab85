import numpy as np

from tunex_core.music.audio.model import Component
from tunex_core.music.build.gradient_boosting import NODES, fit_trees


def test_boosted_trees_learn_a_step_and_a_slope_out_of_sample():
    generator = np.random.default_rng(0)
    rows = generator.standard_normal((600, 6))
    target = np.where(rows[:, 0] > 0.3, 1.0, 0.0) + 0.5 * rows[:, 1] + 0.05 * generator.standard_normal(600)
    trees = fit_trees(rows[:400], target[:400])
    predicted = trees.predict(rows[400:])
    assert np.corrcoef(predicted, target[400:])[0, 1] > 0.85
    assert trees.feature.shape[1] == NODES
    # Features 2..5 are noise: the slope's feature is split on most, the step's more than a typical noise feature.
    counts = np.bincount(trees.feature[trees.feature >= 0], minlength=6)
    assert counts[1] == counts.max() and counts[0] > np.median(counts[2:])
    assert trees.feature[0, 0] in (0, 1)


def test_the_run_time_model_applies_the_trees_as_fitted():
    generator = np.random.default_rng(1)
    rows = generator.standard_normal((200, 4))
    trees = fit_trees(rows, rows[:, 0] - rows[:, 1], rounds=40)
    component = Component(kind="trees", weight=1.0, bias=trees.base,
                          trees=(trees.feature, trees.threshold, trees.left, trees.right, trees.value))
    fresh = generator.standard_normal((50, 4))
    assert np.allclose(component.predict(fresh), trees.predict(fresh))
    assert not np.allclose(trees.predict(fresh), trees.base)  # the trees do something
