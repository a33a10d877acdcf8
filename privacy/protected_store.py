"""Field-level encryption at the graph port: a GraphStore that never sends personal data.

Like client-side field-level encryption in database drivers, the rules are declared once
(`PROTECTED_WRITES`, `HASHED_PARAMS`) and applied to every statement on its way to the
backend; callers keep reading and writing plain attributes:
- writes of records and customers seal their personal attributes into one `pii` token
  (a data key per record, per customer) and replace blocking keys by keyed hashes;
- reads of blocking candidates hash their parameters the same way, and the suppression
  list stores and looks up keyed hashes of identifier keys (`HASHED_LOOKUPS`);
- every row read is opened: a `pii` token (a column, or a property of a returned node) is
  replaced by the attributes it seals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graph.port import GraphStore, Params, Row, ServerInfo, Statement, WriteResult, WriteSummary
from graph.queries import QueryRef
from privacy.cipher import FieldCipher, is_token

PII_ATTRIBUTES = (
    "first_name",
    "last_name",
    "date_of_birth",
    "address",
    "postcode",
    "national_id",
)
BLOCKING_KEYS = ("name_key", "dob_key", "postcode_key")
PII_PROPERTY = "pii"


@dataclass(frozen=True)
class ProtectedWrite:
    """A write whose `$rows` carry personal attributes in `row.attrs`."""

    kind: str  # the data-key family: record or customer
    subject_field: str  # the row field naming the subject


PROTECTED_WRITES = {
    "records/upsert_records": ProtectedWrite("record", "key"),
    "customers/upsert_customers": ProtectedWrite("customer", "id"),
}
# Reads whose parameters are blocking keys: parameter -> blocking key name.
HASHED_PARAMS = {
    "identity/candidate_records": {
        "name_key": "name_key",
        "swapped_name_key": "name_key",
        "dob_key": "dob_key",
        "postcode_key": "postcode_key",
    },
}

# The suppression list holds keyed hashes of identifier keys, not the keys: an erased
# person's identifiers appear nowhere. Query -> the `$rows` field or parameter holding keys;
# returned `key` columns are mapped back to the caller's keys.
HASHED_LOOKUPS = {
    "suppression/add_keys": "rows.key",
    "suppression/find_keys": "keys",
}
SUPPRESSED_HASH = "suppressed"


def _name(query: QueryRef) -> str:
    return query if isinstance(query, str) else query.name


def _unhash(rows: list[Row], originals: Mapping[str, str]) -> list[Row]:
    if originals:
        for row in rows:
            if row.get("key") in originals:
                row["key"] = originals[row["key"]]
    return rows


class ProtectedStore(GraphStore):
    """Wraps a store: encrypts personal attributes on write, decrypts on read."""

    def __init__(self, inner: GraphStore, cipher: FieldCipher) -> None:
        self.inner = inner
        self.cipher = cipher
        self.backend = inner.backend
        self.queries = inner.queries
        self.batch_size = inner.batch_size
        self._redacted: RedactedStore | None = None

    async def read(self, query: QueryRef, params: Params | None = None) -> list[Row]:
        """Read with blocking parameters hashed; personal attributes come back opened."""
        params, originals = self._lookups(query, params)
        rows = await self.inner.read(query, self._params(query, params))
        return self.open_rows(_unhash(rows, originals))

    async def write(self, query: QueryRef, params: Params | None = None) -> WriteResult:
        """Write with personal attributes sealed."""
        params, originals = self._lookups(query, params)
        result = await self.inner.write(query, self._params(query, params))
        return WriteResult(self.open_rows(_unhash(result.rows, originals)), result.summary)

    def _lookups(
        self, query: QueryRef, params: Params | None
    ) -> tuple[Params | None, dict[str, str]]:
        """Keys of a hashed lookup replaced by their keyed hashes, and the way back."""
        where = HASHED_LOOKUPS.get(_name(query))
        if where is None or params is None:
            return params, {}
        originals: dict[str, str] = {}

        def hashed(key: Any) -> Any:
            if not isinstance(key, str):
                return key
            digest = self.cipher.blocking_hash(SUPPRESSED_HASH, key)
            originals[digest] = key
            return digest

        if where.startswith("rows."):
            field = where.removeprefix("rows.")
            rows = [{**row, field: hashed(row.get(field))} for row in params.get("rows") or ()]
            return {**params, "rows": rows}, originals
        return {**params, where: [hashed(k) for k in params.get(where) or ()]}, originals

    async def _commit(self, statements: Sequence[Statement]) -> WriteSummary:
        sealed = [
            Statement(s.ref, dict(self._params(s.ref, self._lookups(s.ref, s.params)[0]) or {}))
            for s in statements
        ]
        return await self.inner._commit(sealed)

    async def ensure_schema(self) -> None:
        """The inner store's schema."""
        await self.inner.ensure_schema()

    async def ping(self) -> ServerInfo:
        """The inner store's answer."""
        return await self.inner.ping()

    async def close(self) -> None:
        """Close the inner store and the key store."""
        await self.inner.close()
        self.cipher.keys.close()

    def _params(self, query: QueryRef, params: Params | None) -> Params | None:
        name = _name(query)
        if params is None:
            return None
        write = PROTECTED_WRITES.get(name)
        if write is not None and "rows" in params:
            return {**params, "rows": self.seal_rows(write, params["rows"])}
        hashed = HASHED_PARAMS.get(name)
        if hashed is not None:
            return {**params, **self._hashed(params, hashed)}
        return params

    def _hashed(self, params: Params, hashed: Mapping[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for param, key_name in hashed.items():
            value = params.get(param)
            if isinstance(value, list):
                out[param] = [self.cipher.blocking_hash(key_name, str(v)) for v in value]
            elif isinstance(value, str):
                out[param] = self.cipher.blocking_hash(key_name, value)
        return out

    def seal_rows(self, write: ProtectedWrite, rows: Sequence[Mapping[str, Any]]) -> list[Row]:
        """Rows with `attrs` personal values sealed and blocking keys hashed."""
        items: list[tuple[str, dict[str, Any]]] = []
        out: list[Row] = []
        for row in rows:
            attrs = dict(row.get("attrs") or {})
            personal = {name: attrs.pop(name, None) for name in PII_ATTRIBUTES}
            for name in BLOCKING_KEYS:
                if isinstance(attrs.get(name), str):
                    attrs[name] = self.cipher.blocking_hash(name, attrs[name])
            items.append((str(row[write.subject_field]), personal))
            out.append({**row, "attrs": attrs})
        tokens = self.cipher.seal(write.kind, items)
        for row, token in zip(out, tokens, strict=True):
            row["attrs"][PII_PROPERTY] = token
        return out

    def open_rows(self, rows: list[Row]) -> list[Row]:
        """Rows with every `pii` token (column or node property) replaced by its attributes."""
        places = _token_places(rows)
        if not places:
            return rows
        opened = self.cipher.open([token for _, token in places])
        for (holder, _), attrs in zip(places, opened, strict=True):
            del holder[PII_PROPERTY]
            for name in PII_ATTRIBUTES:
                holder[name] = attrs.get(name)
        return rows

    def redacted(self) -> GraphStore:
        """This store for a caller who may not see personal attributes (see
        `without_personal_data`)."""
        if self._redacted is None:
            self._redacted = RedactedStore(self)
        return self._redacted


def _token_places(rows: list[Row]) -> list[tuple[dict[str, Any], str]]:
    """Every `pii` token of the rows (a column, or a property of a returned node or of a
    node in a returned list) with the dict holding it."""
    places: list[tuple[dict[str, Any], str]] = []
    for row in rows:
        token = row.get(PII_PROPERTY)
        if isinstance(token, str) and is_token(token):
            places.append((row, token))
        for value in row.values():
            if isinstance(value, dict) and is_token(value.get(PII_PROPERTY)):
                places.append((value, value[PII_PROPERTY]))
            elif isinstance(value, list):
                places.extend(
                    (item, item[PII_PROPERTY])
                    for item in value
                    if isinstance(item, dict) and is_token(item.get(PII_PROPERTY))
                )
    return places


class RedactedStore(ProtectedStore):
    """A `ProtectedStore` whose rows come back with personal attributes null: tokens are
    dropped unopened (no data key loaded, nothing decrypted). Writes are sealed as usual.
    A view: it shares the protected store's connection and keys, and closes nothing."""

    def __init__(self, protected: ProtectedStore) -> None:
        super().__init__(protected.inner, protected.cipher)

    def open_rows(self, rows: list[Row]) -> list[Row]:
        """Rows with every `pii` token replaced by null personal attributes."""
        for holder, _ in _token_places(rows):
            del holder[PII_PROPERTY]
            for name in PII_ATTRIBUTES:
                holder[name] = None
        return rows

    def redacted(self) -> GraphStore:
        """Itself."""
        return self

    async def close(self) -> None:
        """Nothing: the protected store it views owns the connection and the key store."""


def without_personal_data(store: GraphStore) -> GraphStore:
    """`store` for reads on behalf of a caller who may not see personal attributes: a
    `ProtectedStore` answers them null instead of decrypting what would be withheld anyway;
    any other store (it holds no sealed attributes) as it is."""
    return store.redacted() if isinstance(store, ProtectedStore) else store
