"""Gradient-boosted regression trees for the song-emotion model, in numpy (training only).

Least-squares boosting of shallow trees on quantile-binned features (32 bins per feature), with row
and column subsampling and an L2 penalty on leaf values, like LightGBM's histogram method in
miniature. The fitted trees are plain arrays (feature, threshold, children, value per node), which
``tunex_core.music.audio.model`` applies at run time; a row goes left when its value is below the
node's threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tunex_core.music.audio.model import predict_trees

BINS = 32
ROUNDS = 300
LEARNING_RATE = 0.03
DEPTH = 3
MIN_LEAF = 10
SUBSAMPLE = 0.8
COLUMN_SAMPLE = 0.5
LEAF_PENALTY = 1.0
NODES = 2 ** (DEPTH + 1) - 1


@dataclass(frozen=True)
class Trees:
    """(trees, NODES) arrays; a leaf has feature -1; children index the same tree's nodes."""

    base: float
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray

    def predict(self, rows: np.ndarray) -> np.ndarray:
        """Estimates for rows of (standardised) features."""
        return predict_trees(self.base, self.feature, self.threshold, self.left, self.right, self.value, rows)


def _bin_edges(rows: np.ndarray) -> np.ndarray:
    return np.quantile(rows, np.linspace(0, 1, BINS + 1)[1:-1], axis=0).T  # (features, BINS - 1)


def fit_trees(rows: np.ndarray, target: np.ndarray, seed: int = 0, rounds: int = ROUNDS) -> Trees:
    """Boost ``rounds`` trees of depth ``DEPTH`` on ``rows`` (songs × features) toward ``target``."""
    generator = np.random.default_rng(seed)
    edges = _bin_edges(rows)
    binned = np.stack([np.searchsorted(edges[column], rows[:, column], side="right")
                       for column in range(rows.shape[1])], axis=1)
    count, features = binned.shape
    base = float(target.mean())
    estimate = np.full(count, base)
    shape = (rounds, NODES)
    feature, threshold = np.full(shape, -1, dtype=np.int64), np.zeros(shape)
    left, right, value = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64), np.zeros(shape)
    for tree in range(rounds):
        residual = target - estimate
        sampled = np.flatnonzero(generator.random(count) < SUBSAMPLE)
        columns = np.flatnonzero(generator.random(features) < COLUMN_SAMPLE)
        if columns.size == 0:
            columns = np.arange(features)
        members = {0: sampled}
        depth = {0: 0}
        used = 1
        for node in range(NODES):
            if node not in members:
                continue
            rows_here = members.pop(node)
            gradient = residual[rows_here]
            value[tree, node] = LEARNING_RATE * gradient.sum() / (rows_here.size + LEAF_PENALTY)
            if depth[node] >= DEPTH or rows_here.size < 2 * MIN_LEAF:
                continue
            bins_here = binned[np.ix_(rows_here, columns)]
            flat = (bins_here + BINS * np.arange(columns.size)[None, :]).ravel()
            sums = np.bincount(flat, weights=np.repeat(gradient, columns.size), minlength=BINS * columns.size)
            counts = np.bincount(flat, minlength=BINS * columns.size)
            left_sums = np.cumsum(sums.reshape(columns.size, BINS), axis=1)[:, :-1]
            left_counts = np.cumsum(counts.reshape(columns.size, BINS), axis=1)[:, :-1]
            total, size = gradient.sum(), rows_here.size
            allowed = (left_counts >= MIN_LEAF) & (size - left_counts >= MIN_LEAF)
            with np.errstate(divide="ignore", invalid="ignore"):
                gain = (left_sums ** 2 / (left_counts + LEAF_PENALTY)
                        + (total - left_sums) ** 2 / (size - left_counts + LEAF_PENALTY)
                        - total ** 2 / (size + LEAF_PENALTY))
            gain = np.where(allowed, gain, -np.inf)
            best = int(np.argmax(gain))
            if not np.isfinite(gain.flat[best]) or gain.flat[best] <= 0:
                continue
            column, split_bin = columns[best // (BINS - 1)], best % (BINS - 1)
            goes_left = binned[rows_here, column] <= split_bin
            feature[tree, node], threshold[tree, node] = column, edges[column, split_bin]
            left[tree, node], right[tree, node] = used, used + 1
            members[used], members[used + 1] = rows_here[goes_left], rows_here[~goes_left]
            depth[used] = depth[used + 1] = depth[node] + 1
            used += 2
        estimate += predict_trees(0.0, feature[tree:tree + 1], threshold[tree:tree + 1], left[tree:tree + 1],
                                  right[tree:tree + 1], value[tree:tree + 1], rows)
    return Trees(base=base, feature=feature, threshold=threshold, left=left, right=right, value=value)
