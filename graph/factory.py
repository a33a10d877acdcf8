"""Open the GraphStore selected by one URL; called only from composition roots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from graph.errors import GraphError
from graph.port import GraphStore
from graph.queries import QueryCatalog

EMBEDDED_SCHEME = "falkordb-embedded"


@dataclass(frozen=True)
class GraphConfig:
    """Everything needed to open a store; built from Settings by the caller."""

    url: str
    data_dir: Path
    graph_name: str = "customer_graph"
    user: str = "neo4j"
    password: str = ""
    fsync: str = "always"
    batch_size: int = 2000
    timeout_ms: int = 30_000
    cypher_dir: Path | None = None

    def embedded_dir(self) -> Path:
        """Folder of the embedded server: the URL's path, else `<data_dir>/falkordb`."""
        rest = self.url.split("://", 1)[1] if "://" in self.url else ""
        return Path(rest) if rest else self.data_dir / "falkordb"


async def open_graph_store(config: GraphConfig, *, ensure_schema: bool = True) -> GraphStore:
    """Connect to (or start) the configured backend, check it answers, bootstrap the schema."""
    queries = QueryCatalog(config.cypher_dir)
    scheme = urlparse(config.url).scheme
    store: GraphStore
    if scheme in (EMBEDDED_SCHEME, "redis", "rediss"):
        from graph.embedded_server import EmbeddedFalkorDB
        from graph.falkordb_store import FalkorDBStore

        server = None
        password: str | None
        if scheme == EMBEDDED_SCHEME:
            server = EmbeddedFalkorDB(config.embedded_dir(), fsync=config.fsync)
            # Synchronous on purpose: the kernel's parent-death signal is bound to the
            # thread that forks the server, so it must not be a short-lived worker thread.
            endpoint = server.ensure_running()
            host, port, password = endpoint.host, endpoint.port, endpoint.password
        else:
            parsed = urlparse(config.url)
            host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
            password = parsed.password or config.password or None
        store = FalkorDBStore(
            host=host,
            port=port,
            password=password,
            graph_name=config.graph_name,
            queries=queries,
            batch_size=config.batch_size,
            timeout_ms=config.timeout_ms,
            server=server,
        )
    elif scheme.startswith(("bolt", "neo4j")):
        from graph.neo4j_store import Neo4jStore

        store = Neo4jStore(
            uri=config.url,
            user=config.user,
            password=config.password,
            database=config.graph_name,
            queries=queries,
            batch_size=config.batch_size,
            timeout_ms=config.timeout_ms,
        )
    else:
        raise GraphError(f"unsupported graph URL scheme {scheme!r} in {config.url!r}")
    try:
        await store.ping()
        if ensure_schema:
            await store.ensure_schema()
    except BaseException:
        await store.close()
        raise
    return store
