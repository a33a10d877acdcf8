"""The identity service: train the model, resolve everything, resolve records as they arrive."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from pydantic import BaseModel

from graph.port import GraphStore
from graph.process_lock import ProcessLock
from identity import graph_reads
from identity.audit import entry, now_ms
from identity.changes import changes_for
from identity.config import IdentityConfig
from identity.golden_record import Survivorship
from identity.graph_writes import write_changes, write_changes_at_once
from identity.incremental import IncrementalOutcome, plan_record
from identity.links import Link, LinkKind
from identity.model_registry import ModelRegistry, ModelVersion
from identity.records import model_rows
from identity.resolution import ResolutionReport, plan_resolution
from identity.scoring import PairScorer
from identity.tf_keys import HASHED, TermFrequencyKeys
from identity.training import TrainedModel, train_model

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
# Above this many records in one ingested batch, incremental resolution is skipped.
INCREMENTAL_BATCH_LIMIT = 500
ScorerFactory = Callable[[TrainedModel], PairScorer]


class TrainingReport(BaseModel):
    """A trained and promoted model version."""

    version: str
    records: int
    labels_used: int
    promoted: bool
    columns: list[str]
    probability_two_random_records_match: float
    seconds: float


class NoModelError(RuntimeError):
    """Resolution needs a trained model."""


class IdentityService:
    """Identity resolution over one graph store; writes are serialised by a lock."""

    def __init__(
        self, store: GraphStore, config: IdentityConfig, scorer_factory: ScorerFactory
    ) -> None:
        self.store = store
        self.config = config
        self.registry = ModelRegistry(config.model_dir)
        self.survivorship = Survivorship(config.source_trust, config.junk_dates)
        # One identity writer at a time, in this process and across processes.
        self.lock = ProcessLock(config.model_dir.parent / "identity.lock")
        self._scorer_factory = scorer_factory
        key = config.tf_hash_key
        self._tf_keys = TermFrequencyKeys(key) if key is not None else None
        self._loaded: tuple[str, TrainedModel, PairScorer] | None = None

    # --- model ---------------------------------------------------------------------------
    async def train(
        self, progress: Progress | None = None, use_labels: bool = True, promote: bool = True
    ) -> TrainingReport:
        """Train on the graph's records (and the stewards' approvals as labels), save a new
        version and (by default) make it current."""
        started = time.perf_counter()
        records = await graph_reads.all_records(self.store)
        rows = model_rows(records, self.config.junk_dates)
        approved = sorted((await graph_reads.decided_pairs(self.store))[0]) if use_labels else []
        model = await asyncio.to_thread(train_model, rows, self.config.seed, progress, approved)
        if self._tf_keys is not None:  # the saved tables hold no name in clear
            hashed = self._tf_keys.hash_tables(model.term_frequencies)
            model = replace(model, term_frequencies=hashed, tf_keys=HASHED)
        version = self.registry.save(model, {"labels_used": model.labels_used})
        if promote:
            self.registry.promote(version.version)
        self._loaded = None
        return TrainingReport(
            version=version.version,
            records=model.records,
            labels_used=model.labels_used,
            promoted=promote,
            columns=model.columns,
            probability_two_random_records_match=float(
                model.settings["probability_two_random_records_match"]
            ),
            seconds=round(time.perf_counter() - started, 2),
        )

    def current_model(self) -> tuple[ModelVersion, TrainedModel, PairScorer]:
        """The current model and its fast scorer (loaded once per version)."""
        version = self.registry.current()
        if version is None:
            raise NoModelError("no identity model trained yet: run `customer-graph identity train`")
        if self._loaded is None or self._loaded[0] != version.version:
            model = version.model()
            if model.tf_keys == HASHED:
                if self._tf_keys is None:
                    raise NoModelError(
                        f"identity model {version.version} keeps keyed term frequencies: "
                        "it needs the hashing key it was trained with (CG_HASH_KEY)"
                    )
                model = replace(model, tf_hasher=self._tf_keys)
            self._loaded = (version.version, model, self._scorer_factory(model))
        return version, self._loaded[1], self._loaded[2]

    # --- resolution ----------------------------------------------------------------------
    async def resolve_all(
        self, progress: Progress | None = None, actor: str = "system:resolution"
    ) -> ResolutionReport:
        """Re-resolve every record (training first when no model exists)."""
        started = time.perf_counter()
        if self.registry.current() is None:
            await self.train(progress)
        version, model, scorer = self.current_model()
        async with self.lock:
            records = await graph_reads.all_records(self.store)
            approved, rejected = await graph_reads.decided_pairs(self.store)
            plan = await asyncio.to_thread(
                plan_resolution, records, model, scorer, self.config, approved, rejected, progress
            )
            at = now_ms()
            by_key = {r.key: r for r in records}
            changes = changes_for(
                plan.clusters,
                plan.ids,
                by_key,
                actor,
                f"resolution with model {version.version}",
                at,
            )
            changes.review = plan.review
            report = ResolutionReport(
                records=len(records),
                customers=len(plan.clusters),
                created=len(plan.ids.created),
                merged=len(plan.ids.merges),
                split=len(plan.ids.splits),
                retired=len(plan.ids.retired),
                identifier_links=_count(plan.links, LinkKind.IDENTIFIER, LinkKind.WEAK_IDENTIFIER),
                model_links=_count(plan.links, LinkKind.MODEL),
                approved_links=_count(plan.links, LinkKind.APPROVED),
                refused_links=len(plan.refused) + plan.refused_identifiers,
                protected_values=plan.protected,
                review_queued=len(plan.review),
                scored_pairs=plan.scored,
                model_version=version.version,
            )
            report.seconds = round(time.perf_counter() - started, 2)
            changes.audit.append(
                entry(
                    "resolution.run",
                    actor,
                    "run",
                    f"run_{at}",
                    after=report.model_dump_json(),
                    at=at,
                )
            )
            if progress:
                progress("writing customers")
            await write_changes(self.store, changes, self.survivorship, at)
        return report

    async def resolve_records(
        self, keys: Sequence[str], actor: str = "system:incremental"
    ) -> list[IncrementalOutcome]:
        """Resolve records already written to the graph, one at a time."""
        if self.registry.current() is None:
            raise NoModelError("no identity model trained yet: run `customer-graph identity train`")
        _, _, scorer = self.current_model()
        outcomes = []
        async with self.lock:
            for key in keys:
                plan = await plan_record(self.store, key, scorer, self.config)
                outcomes.append(plan.outcome)
                if plan.ids is None or (plan.outcome.action == "unchanged" and not plan.review):
                    continue
                at = now_ms()
                changes = changes_for(
                    plan.clusters, plan.ids, plan.records, actor, f"new record {key}", at, True
                )
                changes.review = plan.review
                await write_changes_at_once(self.store, changes, self.survivorship, at)
        return outcomes

    async def resolve_if_trained(self, keys: Sequence[str]) -> list[IncrementalOutcome]:
        """Resolve new records when a model exists (none yet: a full run will do it). A bulk
        batch (a CRM export over Kafka) is left to `identity resolve`: one full run is far
        cheaper than thousands of single-record resolutions."""
        if self.registry.current() is None:
            return []
        if len(keys) > INCREMENTAL_BATCH_LIMIT:
            log.warning(
                "%d records in one batch: not resolved one by one; run `identity resolve`",
                len(keys),
            )
            return []
        return await self.resolve_records(keys)

    async def assignments(self) -> dict[str, str]:
        """Record key -> customer id."""
        return await graph_reads.assignments(self.store)


def _count(links: Sequence[Link], *kinds: LinkKind) -> int:
    return sum(1 for link in links if link.kind in kinds)
