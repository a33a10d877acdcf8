"""Composition helpers for entry points: settings → store, pseudonymiser, signal handling."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

from customer_graph.settings import Settings, decode_master_key
from gnn.erasure import erase_users
from gnn.serving import ModelNotAvailable, RecommendationService
from gnn.serving.model_users import ANONYMOUS_PREFIX
from graph.factory import GraphConfig, open_graph_store
from graph.model import IdentifierType
from graph.port import GraphStore
from identity.config import IdentityConfig, MergeProtection
from identity.fast_scorer_adapter import compiled_scorer
from identity.service import IdentityService
from ingestion.dead_letter_erasure import PayloadMatcher
from ingestion.dead_letters import DeadLetterStore
from ingestion.event_log import EventLog
from ingestion.pipeline import IngestPipeline
from ingestion.privacy_gate import PrivacyGate
from ingestion.pseudonymise import Pseudonymiser
from nba.exposures import ExposureLog
from privacy.cipher import FieldCipher
from privacy.consent_store import ConsentService
from privacy.erasure import ErasureService, ErasureSubject
from privacy.export import AccessExport
from privacy.keys import KeyStore, MasterKeyring
from privacy.protected_store import ProtectedStore
from segments.clusters import ClusterConfig
from segments.lookalike import EmbeddingsUnavailable, EmbeddingTable, LookalikeService
from segments.on_ingest import SegmentsOnIngest
from segments.service import SegmentService

log = logging.getLogger("customer_graph")


def graph_config(settings: Settings) -> GraphConfig:
    """The graph layer's configuration, taken from the settings."""
    return GraphConfig(
        url=settings.graph_url,
        data_dir=settings.data_dir,
        graph_name=settings.graph_name,
        user=settings.neo4j_user,
        password=settings.neo4j_password.get_secret_value(),
        fsync=settings.falkordb_fsync,
        batch_size=settings.write_batch_size,
        timeout_ms=settings.query_timeout_ms,
        cypher_dir=settings.cypher_dir,
    )


def key_store(settings: Settings) -> KeyStore:
    """The data-key store, its keys wrapped by the configured master key(s)."""
    if settings.using_dev_master_key():
        log.warning("CG_MASTER_KEY is the development default: set a secret key in production")
    keyring = MasterKeyring(
        decode_master_key(settings.master_key),
        [decode_master_key(k) for k in settings.previous_master_keys],
    )
    return KeyStore(settings.keystore_path, keyring)


def protect(settings: Settings, store: GraphStore) -> GraphStore:
    """The store behind field-level encryption of personal data (unless CG_ENCRYPT_PII=false)."""
    if not settings.encrypt_pii:
        return store
    cipher = FieldCipher(key_store(settings), settings.hash_key.get_secret_value().encode())
    return ProtectedStore(store, cipher)


async def open_store(settings: Settings) -> GraphStore:
    """Open the configured store, behind encryption of personal data (the API's store: each
    query is bounded by CG_QUERY_TIMEOUT_MS)."""
    return protect(settings, await open_graph_store(graph_config(settings)))


@asynccontextmanager
async def graph_store(settings: Settings) -> AsyncIterator[GraphStore]:
    """Open the configured store for the duration of a block, and close it after; for
    commands and consumers, so each query is bounded by CG_BATCH_QUERY_TIMEOUT_MS (exports
    and full passes can take minutes on a busy machine)."""
    batch = settings.model_copy(update={"query_timeout_ms": settings.batch_query_timeout_ms})
    store = await open_store(batch)
    try:
        yield store
    finally:
        await store.close()


def pseudonymiser(settings: Settings) -> Pseudonymiser:
    """The identifier hasher, keyed from the settings (warns on the development key)."""
    if settings.using_dev_hash_key():
        log.warning("CG_HASH_KEY is the development default: set a secret key in production")
    return Pseudonymiser(settings.hash_key.get_secret_value().encode(), settings.phone_region)


def identity_config(settings: Settings, pseudo: Pseudonymiser | None = None) -> IdentityConfig:
    """Identity resolution's configuration; blocklisted values become identifier keys the
    way ingestion would store them (emails and phones hashed)."""
    pseudo = pseudo or pseudonymiser(settings)
    blocked = {
        found.key
        for raw in settings.identity_blocklist
        for kind in IdentifierType
        if (found := pseudo.identifier(kind, raw)) is not None
    }
    return IdentityConfig(
        model_dir=settings.identity_model_dir,
        auto_merge_threshold=settings.identity_auto_merge_threshold,
        review_threshold=settings.identity_review_threshold,
        veto_threshold=settings.identity_veto_threshold,
        protection=MergeProtection(
            blocked_keys=frozenset(blocked),
            max_records_per_value=dict(settings.identity_max_records_per_value),
            max_values_per_customer=dict(settings.identity_max_values_per_customer),
            type_priority=tuple(settings.identity_type_priority),
            weak_types=frozenset(settings.identity_weak_types),
        ),
        junk_dates=frozenset(settings.identity_junk_dates),
        source_trust=tuple(settings.identity_source_trust),
        seed=settings.demo_seed,
        max_candidates=settings.identity_max_candidates,
        tf_hash_key=settings.hash_key.get_secret_value().encode(),
    )


def identity_service(settings: Settings, store: GraphStore) -> IdentityService:
    """The identity service over `store`."""
    return IdentityService(store, identity_config(settings), compiled_scorer)


def consent_service(settings: Settings, store: GraphStore) -> ConsentService:
    """Consent decisions and effective consent over `store`, with the configured defaults."""
    return ConsentService(store, settings.consent_defaults)


def build_pipeline(settings: Settings, store: GraphStore, resolve: bool = False) -> IngestPipeline:
    """The ingestion pipeline over `store`, with the event log and dead letters on disk;
    with `resolve` (and CG_IDENTITY_RESOLVE_ON_INGEST) new records are resolved at once."""
    pipeline = IngestPipeline(
        store,
        EventLog(settings.ingest_dir / "events.sqlite3"),
        DeadLetterStore(settings.ingest_dir / "dead_letters.sqlite3"),
        pseudonymiser(settings),
        max_message_bytes=settings.max_message_bytes,
        apply_batch=settings.ingest_batch_size,
    )
    pipeline.privacy = PrivacyGate(store, pipeline.log, consent_service(settings, store))
    segments = SegmentsOnIngest(SegmentService(store)) if settings.segments_on_ingest else None
    if resolve and segments is not None:
        pipeline.on_events_applied = segments.events_applied
    if resolve and settings.identity_resolve_on_ingest:
        resolver = identity_service(settings, store).resolve_if_trained

        async def resolve_then_segments(keys: list[str]) -> None:
            outcomes = await resolver(keys)
            if segments is not None:  # new, changed and retired (merged) customers
                ids = [c for o in outcomes for c in (o.customer_id, *o.merged_customers)]
                await segments.customers_changed([c for c in ids if c])

        pipeline.on_records_written = resolve_then_segments
    return pipeline


def cluster_config(settings: Settings) -> ClusterConfig:
    """Behaviour clustering's k range and seed, from the settings."""
    k_min, k_max = settings.segment_cluster_k_min, settings.segment_cluster_k_max
    return ClusterConfig(k_min=k_min, k_max=k_max, seed=settings.segment_cluster_seed)


class ServedEmbeddings:
    """Lookalikes' `UserEmbeddings` port over the recommendation model being served."""

    def __init__(self, recommendations: RecommendationService) -> None:
        self.recommendations = recommendations

    def customer_embeddings(self) -> EmbeddingTable:
        """The served version's customer rows (anonymous identifiers left out)."""
        try:
            model = self.recommendations.model()
        except ModelNotAvailable as missing:
            raise EmbeddingsUnavailable(str(missing)) from missing
        rows = [i for i, u in enumerate(model.user_ids) if not u.startswith(ANONYMOUS_PREFIX)]
        ids = [model.user_ids[i] for i in rows]
        return EmbeddingTable(model.version, ids, model.user_embeddings[rows])


def lookalike_service(segments: SegmentService, served: RecommendationService) -> LookalikeService:
    """Lookalike audiences over the segments, with the served model's embeddings."""
    return LookalikeService(segments, ServedEmbeddings(served))


def erasure_service(settings: Settings, store: GraphStore) -> ErasureService:
    """Erasure over `store`, with erasers for the event log and the served embeddings."""

    def events(subject: ErasureSubject) -> int:
        log_file = EventLog(settings.ingest_dir / "events.sqlite3")
        try:
            return log_file.erase_identifiers(list(subject.identifier_keys))
        finally:
            log_file.close()

    def dead_letters(subject: ErasureSubject) -> int:
        letters = DeadLetterStore(settings.ingest_dir / "dead_letters.sqlite3")
        matcher = PayloadMatcher(
            pseudonymiser(settings), subject.identifier_keys, subject.record_keys
        )
        try:
            return letters.erase(matcher)
        finally:
            letters.close()

    def embeddings(subject: ErasureSubject) -> int:
        return erase_users(settings.gnn_model_dir, subject.user_ids)

    def exposures(subject: ErasureSubject) -> int:
        if not settings.nba_exposure_log.exists():
            return 0
        exposure_log = ExposureLog(settings.nba_exposure_log, background=False)
        try:
            return exposure_log.forget([*subject.customer_ids, *subject.identifier_keys])
        finally:
            exposure_log.close()

    cipher = store.cipher if isinstance(store, ProtectedStore) else None
    erasers = {
        "event_log": events,
        "dead_letters": dead_letters,
        "embeddings": embeddings,
        "nba_exposures": exposures,
    }
    return ErasureService(store, cipher, erasers)


def access_export(settings: Settings, store: GraphStore) -> AccessExport:
    """Access exports over `store`, with the person's events from the event log."""

    def events(keys: Sequence[str]) -> list[dict[str, Any]]:
        log_file = EventLog(settings.ingest_dir / "events.sqlite3")
        try:
            return log_file.with_identifiers(list(keys))
        finally:
            log_file.close()

    return AccessExport(store, erasure_service(settings, store), events)


@asynccontextmanager
async def ingestion(settings: Settings, resolve: bool = False) -> AsyncIterator[IngestPipeline]:
    """Store + pipeline for a block; anything left over from a crash is applied first."""
    async with graph_store(settings) as store:
        pipeline = build_pipeline(settings, store, resolve)
        try:
            recovered = await pipeline.recover()
            if recovered:
                log.info("applied %d logged events left over from an interrupted run", recovered)
            yield pipeline
        finally:
            pipeline.close()


def exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so `finally` blocks close stores and stop servers."""

    def handler(signum: int, frame: FrameType | None) -> None:
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def configure_logging(level: str) -> None:
    """Plain log lines on stderr."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
