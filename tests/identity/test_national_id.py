"""National ids: equal keyed hashes, or typing errors found in the sealed text."""

from __future__ import annotations

from pathlib import Path

from api.graphql.steward_queue import record_sides
from benchmarks.identity_datasets import load_febrl3
from benchmarks.identity_project import ingest
from benchmarks.identity_records import to_records
from customer_graph.runtime import build_pipeline, graph_store, identity_service
from customer_graph.settings import Settings
from graph.port import GraphStore
from graph.queries import Cypher
from identity.graph_reads import records_by_keys
from identity.model_spec import comparisons
from tests.identity.conftest import KEY
from tests.identity.test_resolution import message

RAW_RECORD = Cypher(
    "MATCH (r:Record {key: $key}) RETURN r.national_id AS national_id, r.pii AS pii",
    "test/raw_record",
)


def _labels(columns: list[str]) -> list[str]:
    national_id = comparisons(columns)[-1].get_comparison("duckdb")  # type: ignore[union-attr]
    return [str(level.label_for_charts).lower() for level in national_id.comparison_levels]


def test_typo_levels_exist_only_when_the_text_is_there() -> None:
    with_text = _labels(["first_name", "national_id", "national_id_text"])
    assert sum("damerau" in label for label in with_text) == 2
    assert not any("damerau" in label for label in _labels(["first_name", "national_id"]))


async def _raw_record(store: GraphStore, key: str) -> dict[str, object]:
    raw: GraphStore = store.inner  # type: ignore[attr-defined]
    [row] = await raw.read(RAW_RECORD, {"key": key})
    return row


async def test_a_transposed_national_id_is_evidence_and_its_text_stays_sealed(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path, hash_key=KEY)
    async with graph_store(settings) as store:
        pipeline = build_pipeline(settings, store)
        try:
            dataset = load_febrl3()
            await ingest(pipeline, to_records(dataset).messages(), 1000)
            service = identity_service(settings, store)
            training = await service.train()
            assert "national_id_text" in training.columns
            people = {
                "near": {"national_id": "7 1 3-2-0 5 4"},  # 7123054 with 1 and 3 swapped
                "far": {"national_id": "9876543"},
            }
            for source_id, fields in people.items():
                result = await pipeline.ingest_records(
                    [
                        message(
                            source_id,
                            first_name="zoe",
                            last_name="quartermaine",
                            date_of_birth="1971-03-02",
                            **fields,
                        )
                    ]
                )
                assert result.accepted == 1
            original = message("original", first_name="zoe", national_id="7123054")
            assert (await pipeline.ingest_records([original])).accepted == 1

            keys = ["crm:original", "crm:near", "crm:far"]
            found = {r.key: r for r in await records_by_keys(store, keys)}
            original_row, near, far = (found[k] for k in keys)
            assert near.attrs["national_id"] == "7132054"  # normalised, readable to identity
            sides = await record_sides(store, ["crm:near"])  # the steward's review view
            assert sides["crm:near"]["first_name"] == "zoe"
            assert "national_id" not in sides["crm:near"]
            raw = await _raw_record(store, "crm:near")
            assert raw["national_id"] is None
            assert str(raw["pii"]).startswith("pii1.")

            _, _model, scorer = service.current_model()
            rows = [r.model_row(frozenset()) for r in (original_row, near, far)]
            near_pair, far_pair = scorer.score(rows[0], rows[1:])
            evidence = {e.comparison: e for e in near_pair.evidence}["national_id"]
            assert "damerau" in evidence.level.lower()
            assert evidence.match_weight > 0
            far_evidence = {e.comparison: e for e in far_pair.evidence}["national_id"]
            assert far_evidence.gamma == 0
            assert far_evidence.match_weight < 0
            assert near_pair.match_weight > far_pair.match_weight
        finally:
            pipeline.close()
