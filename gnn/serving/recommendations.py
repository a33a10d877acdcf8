"""Top-k recommendations from the current registry version, hot-reloaded when it changes.

`RecommendationService.recommend` picks the user vector in this order:

1. a user known to the model: the stored final embedding (``source="model"``); when new
   interactions with items the user did not have in training are given, the embedding is
   recomputed inductively from the training items plus the new ones, starting from the
   user's own stored ``x⁰`` (``source="inductive"``);
2. an unknown user with interactions on items the model knows: the inductive embedding
   (`gnn.serving.inductive.embed_user`, ``source="inductive"``);
3. otherwise the items by training popularity (``source="popularity"``).

Scores: the user vector's inner products with every candidate item (one float32 matvec)
plus the version's ``item_bias`` if any; top-k by ``argpartition``. The same filters apply to
every source: ``categories`` restricts candidates to those categories' items (an unknown
name matches no item); ``exclude_items`` and ``blocklist`` remove items; with
``exclude_seen`` the user's training items and the given interactions' items go too.
Interaction weights only decide membership (<= 0: seen but not evidence); the embedding uses
the model's neighbour mean (recency-weighted: stored ``seen_weights``, new items weigh 1).

Without any loadable version `ModelNotAvailable` is raised: popularity comes from a trained
version too, so there is nothing to fall back on.

Speed: a full-catalogue request is memory-bound (the float32 item matrix is read once:
25.6 MB at 100k items x 64). Run the serving process with ``OPENBLAS_NUM_THREADS=1``: on a
shared 2-core machine two OpenBLAS threads made that matvec 3-4x slower. Figures:
``benchmarks/serving.py``.

Hot reload: at most every ``reload_check_seconds`` a request reads the registry's ``current``
pointer; when it names another version, that version is verified and loaded in full and then
swapped in with one reference assignment (a request always uses one model throughout). A
version that fails to load is logged, not retried until the pointer changes, and the
previous model keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from gnn.registry import GnnRegistry
from gnn.serving.inductive import embed_user
from gnn.serving.loaded_model import LoadedModel, load_version
from gnn.serving.ranking import dot_scorer, popularity_scorer, rank, user_scorer

log = logging.getLogger(__name__)

Source = Literal["model", "inductive", "popularity"]


class ModelNotAvailable(RuntimeError):  # noqa: N818 (the name callers catch)
    """No GNN model version can be served (none promoted yet, or the current one is broken)."""


class UnknownItemError(KeyError):
    """An item id the served model does not know."""


@dataclass(frozen=True)
class Recommendations:
    """Ranked ``(item_id, score)`` pairs, best first, with how they were made."""

    items: list[tuple[str, float]]
    source: Source
    version: str

    @property
    def item_ids(self) -> list[str]:
        """The recommended item ids, best first."""
        return [item for item, _ in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[tuple[str, float]]:
        return iter(self.items)


@dataclass(frozen=True)
class UserVector:
    """A user's embedding in a model version's space, and the item indices they have seen."""

    vector: np.ndarray  # (d,) float32
    source: Literal["model", "inductive"]
    version: str
    seen: np.ndarray  # int64 item indices: training items and the given interactions


class RecommendationService:
    """Recommendations from ``<registry_root>``'s current version (see the module docstring).

    Thread-safe: requests never block on a reload (a concurrent request keeps using the
    model it started with, or the old one while another thread loads the new one).
    """

    def __init__(self, registry_root: Path | str, reload_check_seconds: float = 1.0) -> None:
        self.registry = GnnRegistry(Path(registry_root))
        self.reload_check_seconds = reload_check_seconds
        self._model: LoadedModel | None = None
        self._next_check = float("-inf")
        self._failed: str | None = None
        self._revision = 0
        self._last_error: str | None = None
        self._lock = threading.Lock()
        self.refresh()

    # ---- model lifecycle -----------------------------------------------------------------

    @property
    def version(self) -> str | None:
        """The version being served, None before any loaded."""
        model = self._model
        return None if model is None else model.version

    def refresh(self) -> bool:
        """Check the ``current`` pointer now; True when another version was swapped in."""
        with self._lock:
            return self._reload()

    def _maybe_reload(self) -> None:
        if time.monotonic() < self._next_check or not self._lock.acquire(blocking=False):
            return
        try:
            self._reload()
        finally:
            self._lock.release()

    def _reload(self) -> bool:
        """Under the lock: load and swap in the version ``current`` names, if it is new."""
        self._next_check = time.monotonic() + self.reload_check_seconds
        try:
            name = self.registry.current_name()
        except OSError as unreadable:
            log.warning("GNN serving: cannot read the current pointer: %s", unreadable)
            return False
        serving = self.version
        revision = self.registry.erasure_revision()
        if name is not None and name == serving:
            self._failed = None  # pointer back on what we serve: a later retry is allowed
        if revision != self._revision:  # an erasure rewrote versions: load again
            serving, self._failed = None, None
        if name is None or name == serving or name == self._failed:
            return False
        try:
            model = load_version(self.registry, name)
        except Exception as broken:  # anything: keep serving what we have
            self._failed, self._last_error = name, str(broken)
            log.warning(
                "GNN serving: cannot load version %s, still serving %s: %s", name, serving, broken
            )
            return False
        self._model, self._failed, self._last_error = model, None, None
        self._revision = revision
        log.info(
            "GNN serving: now serving %s (was %s; loaded in %.2f s)",
            model.version,
            serving,
            model.load_seconds,
        )
        return True

    def model(self) -> LoadedModel:
        """The model to answer with (after a due reload check); `ModelNotAvailable` if none."""
        self._maybe_reload()
        model = self._model
        if model is None:
            reason = (
                f"the current version {self._failed} failed to load: {self._last_error}"
                if self._failed
                else "no version was promoted yet (GnnRegistry.promote)"
            )
            raise ModelNotAvailable(f"no GNN model to serve from {self.registry.root}: {reason}")
        return model

    # ---- requests ------------------------------------------------------------------------

    def recommend(
        self,
        user_id: str | None,
        k: int = 10,
        *,
        interactions: Sequence[tuple[str, float]] = (),
        exclude_items: Iterable[str] = (),
        exclude_seen: bool = True,
        categories: set[str] | None = None,
        blocklist: Iterable[str] = (),
    ) -> Recommendations:
        """The top `k` items for a user (known, new with interactions, or anonymous)."""
        _check_k(k)
        model = self.model()
        user = _user_vector(model, user_id, interactions)
        if user is None:
            seen = _indices(model, (item for item, _ in interactions))
            scorer = popularity_scorer(model)
            source: Source = "popularity"
        else:
            seen = user.seen
            scorer = user_scorer(model, user.vector)
            source = user.source
        excluded = [_indices(model, exclude_items), _indices(model, blocklist)]
        if exclude_seen:
            excluded.append(seen)
        ranked = rank(model, scorer, k, categories, np.concatenate(excluded))
        return Recommendations(ranked, source, model.version)

    def similar_items(
        self,
        item_id: str,
        k: int = 10,
        *,
        metric: Literal["cosine", "dot"] = "cosine",
        exclude_items: Iterable[str] = (),
        categories: set[str] | None = None,
        blocklist: Iterable[str] = (),
    ) -> Recommendations:
        """The `k` items closest to a known item (itself excluded); `UnknownItemError` otherwise."""
        _check_k(k)
        model = self.model()
        index = model.item_index.get(item_id)
        if index is None:
            raise UnknownItemError(f"item {item_id!r} is not in GNN model version {model.version}")
        vector = model.item_embeddings[index]
        dot = dot_scorer(model, vector)
        norm = np.float32(np.linalg.norm(vector))

        def cosine(rows: np.ndarray | None) -> np.ndarray:
            norms = model.item_norms if rows is None else model.item_norms[rows]
            return dot(rows) / np.maximum(norms * norm, np.float32(1e-12))

        scorer = cosine if metric == "cosine" else dot
        excluded = [np.array([index]), _indices(model, exclude_items), _indices(model, blocklist)]
        ranked = rank(model, scorer, k, categories, np.concatenate(excluded))
        return Recommendations(ranked, "model", model.version)

    def data_until(self, user_id: str) -> int | None:
        """Latest interaction time (epoch ms) the served embeddings include, when `user_id` is
        known to the model: only interactions after it can change their recommendations.
        None for unknown users, no model, or an artifact without the figure."""
        try:
            model = self.model()
        except ModelNotAvailable:
            return None
        until = model.meta.get("data_until")
        if user_id not in model.user_index or not isinstance(until, int):
            return None
        return until

    def embed_user_vector(
        self, user_id: str | None = None, *, interactions: Sequence[tuple[str, float]] = ()
    ) -> UserVector | None:
        """The vector `recommend` would score with (for other consumers, e.g. lookalike
        segments), or None when the user is unknown and none of the interactions' items is."""
        return _user_vector(self.model(), user_id, interactions)


def _check_k(k: int) -> None:
    if k < 0:
        raise ValueError(f"k must be >= 0, got {k}")


def _indices(model: LoadedModel, item_ids: Iterable[str]) -> np.ndarray:
    """Indices of the known item ids among `item_ids` (unknown ones dropped), int64."""
    index = model.item_index
    return np.fromiter(
        (index[item] for item in item_ids if item in index), dtype=np.int64, count=-1
    )


def _user_vector(
    model: LoadedModel, user_id: str | None, interactions: Sequence[tuple[str, float]]
) -> UserVector | None:
    known = None if user_id is None else model.user_index.get(user_id)
    if known is not None and not interactions:
        seen = model.seen_items(known)
        return UserVector(model.user_embeddings[known], "model", model.version, seen)
    given = _indices(model, (item for item, _ in interactions))
    evidence = _indices(model, (item for item, weight in interactions if weight > 0))
    if known is not None:
        training = model.seen_items(known)
        seen = np.concatenate([training, given])
        new = np.setdiff1d(evidence, training)
        if len(new) == 0:
            return UserVector(model.user_embeddings[known], "model", model.version, seen)
        trained = model.seen_item_weights(known)  # None: an unweighted mean
        weights = None if trained is None else np.append(trained, np.ones(len(new), np.float32))
        neighbours = np.concatenate([training, new])  # disjoint: `new` excludes training
        vector = embed_user(model, neighbours, weights, x0=model.user_layers[0][known])
        return UserVector(vector, "inductive", model.version, seen)
    if len(evidence) == 0:
        return None
    vector = embed_user(model, np.unique(evidence))
    return UserVector(vector, "inductive", model.version, given)
