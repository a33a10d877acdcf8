"""Query files: `cypher/<domain>/<name>.cypher`, loaded by name, with per-backend variants."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graph.errors import UnknownQueryError

BACKENDS = ("falkordb", "neo4j")
DEFAULT_CYPHER_DIR = Path(__file__).resolve().parent.parent / "cypher"


@dataclass(frozen=True)
class Cypher:
    """A Cypher statement: the text sent to the backend, and the name it came from."""

    text: str
    name: str = "<inline>"
    doc: str = ""


QueryRef = str | Cypher


def _parse(path: Path, name: str) -> Cypher:
    """Split leading `//` comment lines (documentation) from the statement."""
    doc_lines: list[str] = []
    body: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not body and stripped.startswith("//"):
            doc_lines.append(stripped.lstrip("/").strip())
        elif stripped.startswith("//"):
            continue
        elif stripped or body:
            body.append(line)
    text = "\n".join(body).strip()
    if not text:
        raise UnknownQueryError(f"query file {path} holds no statement")
    if text.rstrip().endswith(";"):
        text = text.rstrip()[:-1]
    return Cypher(text=text, name=name, doc=" ".join(doc_lines))


class QueryCatalog:
    """All query files under one folder, indexed by `domain/name` and backend."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or DEFAULT_CYPHER_DIR).resolve()
        if not self.root.is_dir():
            raise UnknownQueryError(f"cypher folder not found: {self.root} (set CG_CYPHER_DIR)")
        self._shared: dict[str, Cypher] = {}
        self._variants: dict[tuple[str, str], Cypher] = {}
        for path in sorted(self.root.rglob("*.cypher")):
            rel = path.relative_to(self.root).as_posix()[: -len(".cypher")]
            stem, _, suffix = rel.rpartition(".")
            if stem and suffix in BACKENDS:
                self._variants[(stem, suffix)] = _parse(path, stem)
            else:
                self._shared[rel] = _parse(path, rel)

    def names(self) -> list[str]:
        """Every query name known to the catalogue."""
        return sorted(set(self._shared) | {name for name, _ in self._variants})

    def has_variant(self, name: str, backend: str) -> bool:
        """True when `name` has a file specific to `backend`."""
        return (name, backend) in self._variants

    def get(self, name: str, backend: str) -> Cypher:
        """The statement `backend` runs for `name`: its variant if any, else the shared file."""
        found = self._variants.get((name, backend)) or self._shared.get(name)
        if found is None:
            raise UnknownQueryError(f"no query named {name!r} for backend {backend!r}")
        return found
