"""FalkorDB's `CYPHER name=value …` parameter header.

The same literals as the falkordb client's `stringify_param_value` (double-quoted strings
with `\\` and `"` escaped, map keys in backticks), built with exact-type dispatch, and
strict where the client is not: NaN/infinity and keys with backticks are refused with a
clear error instead of producing a query FalkorDB cannot parse. (A `json.dumps` fast path
was measured and rejected: FalkorDB neither decodes `\\uXXXX` escapes nor accepts quoted
map keys, and rewriting keys costs more than it saves.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

_checked_keys: set[str] = set()


def _key(key: object) -> str:
    text = key.decode() if isinstance(key, bytes) else str(key)
    if text not in _checked_keys:
        if not text or "`" in text:
            raise ValueError(f"parameter map key {text!r}: must be non-empty, without backticks")
        _checked_keys.add(text)
    return text


def _string(text: str) -> str:
    if "\x00" in text:  # FalkorDB ends the query at a NUL: refuse instead of truncating
        raise ValueError("parameter string: contains a NUL character")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Per key tuple (a batch's rows share one), a `{`a`:%s,`b`:%s}` template: keys checked and
# formatted once per shape, then each row is one %-format of its encoded values.
_templates: dict[tuple[Any, ...], str] = {}
_MAX_SHAPES = 4096


def _map(value: dict[Any, Any]) -> str:
    keys = tuple(value)
    template = _templates.get(keys)
    if template is None:
        template = "{" + ",".join(f"`{_key(k).replace('%', '%%')}`:%s" for k in keys) + "}"
        if len(_templates) < _MAX_SHAPES:
            _templates[keys] = template
    fast = _FAST
    return template % tuple([fast.get(type(v), encode)(v) for v in value.values()])


def encode(value: Any) -> str:
    """One parameter value as a Cypher literal."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is int:
        return str(value)
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(f"parameter value {value!r}: not a finite number")
        return repr(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return "null"
    if kind is dict:
        return _map(value)
    if kind is list or kind is tuple:
        return "[" + ",".join(map(encode, value)) + "]"
    # Subclasses (StrEnum, IntEnum, OrderedDict …) take the slow, general path.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(str(value))
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return encode(float(value))
    if isinstance(value, Mapping):
        return encode(dict(value))
    if isinstance(value, (list, tuple)):
        return encode(list(value))
    raise TypeError(f"parameter value of type {kind.__name__} cannot be sent to FalkorDB")


def _float(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"parameter value {value!r}: not a finite number")
    return repr(value)


# Exact type -> encoder, for the values of maps (the rows of a batch write).
_FAST: dict[type, Any] = {str: _string, int: int.__repr__, float: _float}


def params_header(params: Mapping[str, Any] | None) -> str:
    """`CYPHER a=1 b="x" ` (empty when there are no parameters)."""
    if not params:
        return ""
    return "CYPHER " + " ".join(f"{_key(k)}={encode(v)}" for k, v in params.items()) + " "
