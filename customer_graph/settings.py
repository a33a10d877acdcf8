"""The one typed settings object, read from `CG_*` environment variables."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from identity import config as identity_defaults
from privacy import consent as consent_rules

DEV_HASH_KEY = "dev-only-hash-key-change-me"
DEV_MASTER_KEY = "Y3VzdG9tZXItZ3JhcGgtZGV2LW9ubHktbWFzdGVya3k="  # base64 of 32 bytes
# The API's roles; `api.graphql.permissions.Role` is the same set (a test checks).
ApiRole = Literal["frontend", "steward", "admin", "ml"]
MIN_API_KEY_LENGTH = 16


class Settings(BaseSettings):
    """Process configuration; every field maps to `CG_<FIELD>` (case-insensitive)."""

    model_config = SettingsConfigDict(env_prefix="CG_", env_file=None, extra="ignore")

    data_dir: Path = Field(
        default=Path("./data"),
        description="Root for the embedded store, demo data, models and reports.",
    )
    graph_url: str = Field(
        default="falkordb-embedded://",
        description=(
            "Graph backend: `falkordb-embedded://[DIR]` (default; DIR defaults to "
            "`$CG_DATA_DIR/falkordb`), `redis://HOST:PORT` (external FalkorDB), "
            "`bolt://…` or `neo4j://…` (Neo4j 5, routing with neo4j://)."
        ),
    )
    graph_name: str = Field(
        default="customer_graph",
        description="FalkorDB graph key / Neo4j database name.",
    )
    neo4j_user: str = Field(default="neo4j", description="Neo4j user.")
    neo4j_password: SecretStr = Field(
        default=SecretStr("neo4j"), description="Neo4j password (or FalkorDB password)."
    )
    falkordb_fsync: Literal["always", "everysec"] = Field(
        default="always",
        description="Embedded FalkorDB AOF fsync policy: `always` loses nothing acknowledged.",
    )
    write_batch_size: int = Field(
        default=2000, ge=1, le=100_000, description="Rows per UNWIND batch in bulk writes."
    )
    query_timeout_ms: int = Field(
        default=30_000, ge=100, description="Per-query timeout of the API's graph queries."
    )
    batch_query_timeout_ms: int = Field(
        default=600_000,
        ge=100,
        description="Per-query timeout of commands and consumers (demo, imports, training, full"
        " resolution, Kafka): their exports and full passes can take minutes on a busy machine.",
    )
    cypher_dir: Path | None = Field(
        default=None,
        description="Folder of `.cypher` query files; default: the repository's `cypher/`.",
    )
    hash_key: SecretStr = Field(
        default=SecretStr(DEV_HASH_KEY),
        description="HMAC key for pseudonymising emails and phones (set it in production).",
    )
    master_key: SecretStr = Field(
        default=SecretStr(DEV_MASTER_KEY),
        description=(
            "Base64 of 32 random bytes: wraps the per-subject data keys that encrypt personal "
            "data (set it in production; `openssl rand -base64 32`)."
        ),
    )
    previous_master_keys: list[SecretStr] = Field(
        default_factory=list,
        description=(
            "Master keys being rotated out (JSON list, base64): still unwrap data keys until "
            "`customer-graph privacy rotate-master-key` has re-wrapped them."
        ),
    )
    encrypt_pii: bool = Field(
        default=True,
        description="Encrypt personal attributes in the graph (names, birth dates, addresses).",
    )
    max_message_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Largest accepted event or record (bytes)."
    )
    ingest_batch_size: int = Field(
        default=5000, ge=1, le=100_000, description="Messages per ingestion batch."
    )
    phone_region: str = Field(
        default="GB", description="Region assumed for phone numbers without a country code."
    )
    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers (comma-separated)."
    )
    kafka_group_id: str = Field(default="customer-graph", description="Kafka consumer group.")
    kafka_events_topics: str = Field(
        default="cg.events", description="Comma-separated topics carrying events."
    )
    kafka_records_topics: str = Field(
        default="cg.records", description="Comma-separated topics carrying source records."
    )
    kafka_dead_letter_topic: str = Field(
        default="cg.dead-letter", description="Topic that receives rejected Kafka messages."
    )
    kafka_session_timeout_ms: int = Field(
        default=6000,
        ge=1000,
        description="Consumer group session timeout; a killed consumer's partitions move after it.",
    )
    http_max_body_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="Largest accepted HTTP request body."
    )
    demo_people: int = Field(default=5000, ge=10, description="People in the demo world.")
    demo_seed: int = Field(default=42, description="Seed of the demo world generator.")
    log_level: str = Field(default="INFO", description="Log level.")
    identity_auto_merge_threshold: float = Field(
        default=0.95,
        gt=0,
        lt=1,
        description="Match probability at or above which two records are merged automatically.",
    )
    identity_review_threshold: float = Field(
        default=0.5,
        gt=0,
        lt=1,
        description="Match probability from which a pair goes to the stewards' review queue.",
    )
    identity_veto_threshold: float = Field(
        default=0.01,
        ge=0,
        lt=1,
        description="A shared strong identifier does not merge a pair the model scores below this.",
    )
    identity_blocklist: list[str] = Field(
        default=list(identity_defaults.DEFAULT_BLOCKLIST),
        description="Placeholder identifier values never used to link (JSON list).",
    )
    identity_max_records_per_value: dict[str, int] = Field(
        default=dict(identity_defaults.DEFAULT_MAX_RECORDS_PER_VALUE),
        description="Per identifier type: an identifier held by more records does not link.",
    )
    identity_max_values_per_customer: dict[str, int] = Field(
        default=dict(identity_defaults.DEFAULT_MAX_VALUES_PER_CUSTOMER),
        description="Per identifier type: most distinct values one customer may hold.",
    )
    identity_type_priority: list[str] = Field(
        default=list(identity_defaults.DEFAULT_TYPE_PRIORITY),
        description="Identifier types, strongest first: the order links are applied in.",
    )
    identity_weak_types: list[str] = Field(
        default=["device", "cookie"],
        description="Identifier types that link only when the model corroborates the pair.",
    )
    identity_junk_dates: list[str] = Field(
        default=list(identity_defaults.DEFAULT_JUNK_DATES),
        description="Placeholder birth dates treated as missing.",
    )
    identity_source_trust: list[str] = Field(
        default=["crm", "app", "web"],
        description="Record sources, most trusted first (golden record survivorship).",
    )
    identity_max_candidates: int = Field(
        default=200,
        ge=1,
        description="Largest block (records holding one blocking key) used for a new record;"
        " a larger one is over-shared and skipped.",
    )
    identity_resolve_on_ingest: bool = Field(
        default=True,
        description="Resolve records arriving over HTTP or Kafka immediately (needs a model).",
    )
    gnn_config_file: Path | None = Field(
        default=None,
        description="GraphSAGE hyper-parameter file (TOML); default: gnn/graphsage.toml.",
    )
    gnn_reload_seconds: float = Field(
        default=5.0,
        ge=0.0,
        description="How often serving checks for a newly promoted recommendation model.",
    )
    nba_catalogue_file: Path | None = Field(
        default=None,
        description="Next-best-action catalogue (TOML or JSON); default: nba/actions.toml.",
    )
    nba_alpha: float = Field(
        default=0.2,
        ge=0.0,
        description="Next-best-action exploration: LinUCB's confidence-bonus multiplier.",
    )
    nba_epsilon: float = Field(
        default=0.01,
        ge=0.0,
        le=1.0,
        description="Share of personalised next-best-action decisions drawn at random (floor).",
    )
    nba_reward_window_hours: float = Field(
        default=24.0,
        gt=0.0,
        description="A conversion this long after an exposure rewards the action shown.",
    )
    nba_reload_seconds: float = Field(
        default=5.0,
        ge=0.0,
        description="How often the API checks for next-best-action state saved by `nba update`.",
    )
    segments_on_ingest: bool = Field(
        default=True,
        description="Re-evaluate rule and RFM segments of customers each HTTP/Kafka batch touched.",
    )
    segment_cluster_k_min: int = Field(default=2, ge=2, description="Fewest behaviour clusters.")
    segment_cluster_k_max: int = Field(default=8, ge=2, description="Most behaviour clusters.")
    segment_cluster_seed: int = Field(default=42, description="Seed of behaviour clustering.")

    api_keys: dict[str, ApiRole] = Field(
        default_factory=dict,
        repr=False,
        description=(
            "API keys of the GraphQL API (JSON: key → role, one of frontend, steward, admin, "
            "ml; a key may carry a name for the audit trail: `name:secret`)."
        ),
    )

    consent_defaults: dict[str, bool] = Field(
        default_factory=lambda: dict(consent_rules.DEFAULTS),
        description=(
            "Consent per purpose (analytics, personalisation, marketing) of someone with no "
            "decision on record (JSON; purposes left out keep their default)."
        ),
    )

    @field_validator("consent_defaults")
    @classmethod
    def _consent_purposes(cls, value: dict[str, bool]) -> dict[str, bool]:
        try:
            return consent_rules.check_defaults(value)
        except consent_rules.UnknownPurposeError as error:
            raise ValueError(f"consent_defaults: {error}") from None

    @field_validator("api_keys")
    @classmethod
    def _long_keys(cls, value: dict[str, str]) -> dict[str, str]:
        short = [key for key in value if len(key) < MIN_API_KEY_LENGTH]
        if short:
            raise ValueError(f"api_keys: every key needs at least {MIN_API_KEY_LENGTH} characters")
        return value

    @field_validator("master_key", "previous_master_keys")
    @classmethod
    def _master_keys(cls, value: SecretStr | list[SecretStr]) -> SecretStr | list[SecretStr]:
        for key in value if isinstance(value, list) else [value]:
            decode_master_key(key)
        return value

    @field_validator("graph_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        schemes = ("falkordb-embedded://", "redis://", "rediss://", "bolt", "neo4j")
        if not value.startswith(schemes):
            raise ValueError(
                "graph_url must start with falkordb-embedded://, redis://, bolt:// or neo4j://"
            )
        return value

    @model_validator(mode="after")
    def _identity_thresholds(self) -> Settings:
        if self.identity_review_threshold > self.identity_auto_merge_threshold:
            raise ValueError(
                "identity_review_threshold: must not be above identity_auto_merge_threshold"
            )
        if self.segment_cluster_k_min > self.segment_cluster_k_max:
            raise ValueError("segment_cluster_k_min: must not be above segment_cluster_k_max")
        return self

    @property
    def identity_model_dir(self) -> Path:
        """Where trained identity models are versioned."""
        return self.data_dir / "models" / "identity"

    @property
    def gnn_model_dir(self) -> Path:
        """Where trained recommendation models are versioned."""
        return self.data_dir / "models" / "gnn"

    @property
    def nba_model_dir(self) -> Path:
        """Where the next-best-action bandit state is saved."""
        return self.data_dir / "models" / "nba"

    @property
    def nba_exposure_log(self) -> Path:
        """The next-best-action exposure log (SQLite)."""
        return self.data_dir / "nba" / "exposures.sqlite3"

    @property
    def ingest_dir(self) -> Path:
        """Where the event log and the dead-letter store live."""
        return self.data_dir / "ingest"

    @property
    def keystore_path(self) -> Path:
        """The data-key store (keep it out of the graph's and event log's backups)."""
        return self.data_dir / "keys" / "data_keys.sqlite3"

    @property
    def demo_dir(self) -> Path:
        """Where the demo world's files are written."""
        return self.data_dir / "demo"

    def using_dev_master_key(self) -> bool:
        """True when the master key is still the development default."""
        return self.master_key.get_secret_value() == DEV_MASTER_KEY

    def using_dev_hash_key(self) -> bool:
        """True when the HMAC key is still the development default."""
        return self.hash_key.get_secret_value() == DEV_HASH_KEY


def decode_master_key(key: SecretStr) -> bytes:
    """The 32 bytes of a base64 master key; ValueError naming the setting otherwise."""
    try:
        raw = base64.b64decode(key.get_secret_value(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValueError("master_key: must be base64 of exactly 32 bytes")
    return raw


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
