"""k-means behaviour clusters: k chosen by silhouette, clusters described by their centroids.

Pure computation over `BehaviourFeatures` (scikit-learn): the features are standardised
(zero mean, unit variance per feature), k-means is fitted for every k of the configured
range, and the k with the highest silhouette score wins (ties: the smaller k). Clusters
are numbered by size, largest first; each member's score is 1 / (1 + its distance to the
centroid in standardised units). Deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from segments.behaviour_features import BehaviourFeatures


@dataclass(frozen=True)
class ClusterConfig:
    """The k range, the seed, and how many customers the silhouette is computed on."""

    k_min: int = 2
    k_max: int = 8
    seed: int = 42
    silhouette_sample: int = 3000  # silhouette is O(n²): a seeded sample beyond this
    n_init: int = 10

    def __post_init__(self) -> None:
        if self.k_min < 2:
            raise ValueError(f"k_min: must be at least 2, got {self.k_min}")
        if self.k_max < self.k_min:
            raise ValueError(f"k_max: must not be below k_min ({self.k_min}), got {self.k_max}")
        if self.silhouette_sample < 2 or self.n_init < 1:
            raise ValueError("silhouette_sample: must be >= 2; n_init: must be >= 1")


class TooFewCustomers(ValueError):  # noqa: N818 (a ValueError callers already catch)
    """Not enough customers (or distinct behaviours) for the smallest k."""


@dataclass(frozen=True)
class Cluster:
    """One cluster: its number, size, a readable name and description, raw-unit means."""

    number: int
    size: int
    name: str
    description: str
    centroid: dict[str, float]  # feature -> mean of the members, in the feature's own units


@dataclass(frozen=True)
class Clustering:
    """The chosen k, the silhouette of every k tried, the clusters and who is in which."""

    k: int
    silhouettes: dict[int, float]
    clusters: list[Cluster]
    assignments: dict[str, tuple[int, float]]  # customer id -> (cluster number, score)


def _fit(x: np.ndarray, k: int, config: ClusterConfig) -> KMeans:
    return KMeans(n_clusters=k, n_init=config.n_init, random_state=config.seed).fit(x)


def _silhouette(x: np.ndarray, labels: np.ndarray, config: ClusterConfig) -> float:
    sample = config.silhouette_sample if len(x) > config.silhouette_sample else None
    return float(silhouette_score(x, labels, sample_size=sample, random_state=config.seed))


def _value(features: BehaviourFeatures, name: str, value: float) -> str:
    if features.is_share(name):
        return f"{100 * value:.0f} %"
    return f"{value:,.1f}"


def _describe(
    features: BehaviourFeatures, members: np.ndarray, centre: np.ndarray, number: int
) -> Cluster:
    """Name and describe a cluster by the features its centroid stands out on most."""
    means = features.raw[members].mean(axis=0)
    overall = features.raw.mean(axis=0)
    order = sorted(range(len(features.names)), key=lambda i: (-abs(centre[i]), i))
    top = order[:3]
    traits = [
        f"{'high' if centre[i] > 0 else 'low'} {features.label(features.names[i])}" for i in top[:2]
    ]
    size = len(members)
    share = 100 * size / len(features.customer_ids)
    details = "; ".join(
        f"{features.label(features.names[i])} {_value(features, features.names[i], means[i])}"
        f" (all: {_value(features, features.names[i], overall[i])})"
        for i in top
    )
    return Cluster(
        number=number,
        size=size,
        name=f"Cluster {number}: {', '.join(traits)}",
        description=f"{size:,} customers ({share:.0f} %): {details}",
        centroid={name: round(float(v), 4) for name, v in zip(features.names, means, strict=True)},
    )


def fit_clusters(features: BehaviourFeatures, config: ClusterConfig) -> Clustering:
    """Standardise, fit k-means for each k in range, keep the best silhouette, describe."""
    n = len(features.customer_ids)
    distinct = len(np.unique(features.model_input, axis=0)) if n else 0
    k_high = min(config.k_max, distinct, n - 1)
    if k_high < config.k_min:
        raise TooFewCustomers(
            f"k_min: {n} customers with behaviour ({distinct} distinct) cannot make "
            f"{config.k_min} clusters"
        )
    x = StandardScaler().fit_transform(features.model_input)
    fitted = {k: _fit(x, k, config) for k in range(config.k_min, k_high + 1)}
    silhouettes = {k: round(_silhouette(x, m.labels_, config), 6) for k, m in fitted.items()}
    k = max(silhouettes, key=lambda c: (silhouettes[c], -c))
    model = fitted[k]
    labels = np.asarray(model.labels_)
    sizes = np.bincount(labels, minlength=k)
    order = sorted(range(k), key=lambda c: (-sizes[c], c))  # old label, largest first
    number = {old: new for new, old in enumerate(order)}
    distance = np.linalg.norm(x - model.cluster_centers_[labels], axis=1)
    assignments = {
        cid: (number[int(label)], round(float(1.0 / (1.0 + d)), 6))
        for cid, label, d in zip(features.customer_ids, labels, distance, strict=True)
    }
    clusters = [
        _describe(features, np.flatnonzero(labels == old), model.cluster_centers_[old], new)
        for new, old in enumerate(order)
    ]
    return Clustering(k, silhouettes, clusters, assignments)
