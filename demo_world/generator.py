"""Orchestrates a full demo-world run: people, records, catalogue, events, files, manifest."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from importlib import metadata

from demo_world.accounts import SOURCES, plan_accounts
from demo_world.behaviour import ItemSampler, build_behaviours
from demo_world.config import DemoWorldConfig, iso_ms
from demo_world.event_log import EVENT_TYPES
from demo_world.events import EventSimulator
from demo_world.items import ITEM_COLUMNS, build_catalogue
from demo_world.manifest import (
    MANIFEST_FILE,
    Manifest,
    is_up_to_date,
    load_manifest,
    write_manifest,
)
from demo_world.people import Household, Person, generate_people
from demo_world.records import RECORD_COLUMNS, build_records
from demo_world.seeding import IdFactory, make_faker, stage_rng
from demo_world.truth import IdentifierRegistry
from demo_world.writer import AtomicWriter

ProgressCallback = Callable[[str, int, int], None]
PERSON_COLUMNS: tuple[str, ...] = (
    "person_id", "household_id", "first_name", "last_name", "date_of_birth", "email", "phone",
    "postcode", "city", "country", "address",
)  # fmt: skip
IDENTIFIER_COLUMNS: tuple[str, ...] = ("type", "value", "person_id", "shared", "junk", "person_ids")
FILES: tuple[str, ...] = (
    "records.csv",
    "items.csv",
    "events.jsonl",
    "truth/record_person.csv",
    "truth/identifier_person.csv",
    "truth/persons.csv",
    "truth/heldout_interactions.csv",
)


def _person_row(person: Person) -> list[str]:
    return [
        person.person_id,
        person.household_id,
        person.first_name,
        person.last_name,
        person.date_of_birth.isoformat(),
        person.email,
        "+44" + person.phone[1:],
        person.address.postcode,
        person.address.city,
        person.country,
        person.address.line,
    ]


def _library_versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in ("faker", "numpy")}


def generate(
    config: DemoWorldConfig | None = None, progress: ProgressCallback | None = None
) -> Manifest:
    """Generate the world into ``config.output_dir`` and return its manifest (always runs)."""
    config = config or DemoWorldConfig()
    report: ProgressCallback = progress or (lambda stage, done, total: None)
    seed = config.seed
    root = config.output_dir
    root.mkdir(parents=True, exist_ok=True)
    (root / MANIFEST_FILE).unlink(missing_ok=True)  # a partial run must never look up to date

    report("people", 0, config.people)
    ids = IdFactory(stage_rng(seed, "ids"))
    persons, households = generate_people_stage(config)
    accounts = plan_accounts(persons, households, stage_rng(seed, "accounts"), ids)
    report("people", len(persons), config.people)

    registry = IdentifierRegistry()
    records = build_records(
        config, persons, households, accounts, stage_rng(seed, "records"), registry
    )
    report("records", len(records), len(records))

    items = build_catalogue(stage_rng(seed, "catalogue"))
    sampler = ItemSampler(items)
    report("catalogue", len(items), len(items))

    behaviours = build_behaviours(persons, households, sampler, stage_rng(seed, "behaviour"))
    tablets = frozenset(h.tablet_id for h in households if h.tablet_id)
    simulator = EventSimulator(config, sampler, stage_rng(seed, "events"), ids, registry, tablets)
    log = simulator.simulate(
        persons, accounts, behaviours, lambda done, total: report("events", done, total)
    )

    writer = AtomicWriter(root)
    person_ids = [p.person_id for p in persons]
    steps = len(FILES)
    try:
        report("write", 0, steps)
        writer.write_csv("records.csv", RECORD_COLUMNS, (r.row() for r in records))
        writer.write_csv("items.csv", ITEM_COLUMNS, (item.row() for item in items))
        report("write", 2, steps)
        writer.write_lines("events.jsonl", log.sorted_lines())
        report("write", 3, steps)
        writer.write_csv(
            "truth/record_person.csv",
            ("source", "source_id", "person_id", "noise"),
            ([r.source, r.source_id, person_ids[r.person], ";".join(r.noise)] for r in records),
        )
        writer.write_csv(
            "truth/identifier_person.csv", IDENTIFIER_COLUMNS, registry.rows(person_ids)
        )
        writer.write_csv("truth/persons.csv", PERSON_COLUMNS, (_person_row(p) for p in persons))
        log.heldout.sort()
        writer.write_csv(
            "truth/heldout_interactions.csv",
            ("person_id", "item_id", "type", "occurred_at"),
            ([person, item, kind, iso_ms(ms)] for ms, person, item, kind in log.heldout),
        )
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    report("write", steps, steps)

    by_source = Counter(r.source for r in records)
    counts = {
        "persons": len(persons),
        "households": len(households),
        "households_shared_email": sum(1 for h in households if h.family_email),
        "households_shared_device": sum(1 for h in households if h.tablet_id),
        "records": len(records),
        **{f"records.{source}": by_source[source] for source in SOURCES},
        "items": len(items),
        "events": len(log.lines),
        **{f"events.{kind}": log.counts[kind] for kind in EVENT_TYPES},
        "identifiers": len(registry),
        "heldout_interactions": len(log.heldout),
    }
    manifest = Manifest(
        config=config.world_params(),
        files=writer.entries,
        counts=counts,
        libraries=_library_versions(),
    )
    write_manifest(root, manifest)
    return manifest


def generate_people_stage(config: DemoWorldConfig) -> tuple[list[Person], list[Household]]:
    """Create the true people and households of the world (seeded Faker + numpy)."""
    return generate_people(
        config.people, config.start, make_faker(config.seed), stage_rng(config.seed, "people")
    )


def ensure(
    config: DemoWorldConfig | None = None, progress: ProgressCallback | None = None
) -> Manifest:
    """Return the existing manifest when the files are up to date, else generate them."""
    config = config or DemoWorldConfig()
    if is_up_to_date(config.output_dir, config):
        manifest = load_manifest(config.output_dir)
        if manifest is not None:
            return manifest
    return generate(config, progress)
