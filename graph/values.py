"""Plain-value conversion shared by adapters: containers here, driver types in each adapter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# An adapter's hook: returns the plain form of a driver type, or NOT_DRIVER_TYPE.
NOT_DRIVER_TYPE: Any = object()
DriverHook = Callable[[Any], Any]


# Exact types that are plain already: checked first, by identity, because every value of
# every row read passes here (subclasses and driver types take the general path below).
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})


def plain(value: Any, hook: DriverHook) -> Any:
    """A value with every driver type replaced by dicts, lists and stdlib types."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    if kind is dict:
        return {str(k): plain(v, hook) for k, v in value.items()}
    if kind is list:
        return [plain(v, hook) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    converted = hook(value)
    if converted is not NOT_DRIVER_TYPE:
        return converted
    if isinstance(value, Mapping):
        return {str(k): plain(v, hook) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, hook) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def entity(props: Mapping[str, Any], hook: DriverHook, **meta: Any) -> dict[str, Any]:
    """A node or relationship as a dict of its properties plus `_labels` / `_type`."""
    return {**{str(k): plain(v, hook) for k, v in props.items()}, **meta}
