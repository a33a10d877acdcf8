"""Python twins of the DuckDB scalar functions Splink's comparison levels use.

Each one follows DuckDB's own implementation (byte-wise on UTF-8, same float operation
order) so that a level evaluated here picks the same comparison vector value as DuckDB.
``sql_levels`` compiles only what is covered here and checks it against DuckDB at startup.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache

_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)
_ALL_BYTES = bytes(range(256))
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# Regex syntax whose meaning is the same in RE2 (DuckDB) and Python's re: no escapes,
# no (?...) groups, no POSIX classes; `$` is translated to `\Z` (RE2 has no "before a
# final newline" rule).
_SAFE_REGEX = re.compile(r"[A-Za-z0-9 ^$\[\]()|?*+{},.@_\-:;/#&%!=<>'\"~`]*", re.ASCII)


class NeedsDuckDBError(Exception):
    """An input outside the domain where the Python twin is known to equal DuckDB."""


def jaro(p: bytes, t: bytes) -> float:
    """DuckDB ``jaro_similarity``: its bit-parallel greedy matching, on bytes."""
    p_len, t_len = len(p), len(t)
    if not p_len or not t_len:
        return 0.0
    if p_len == 1 and t_len == 1:
        return float(p[0] == t[0])
    bound = t_len // 2 - 1 if t_len > p_len else p_len // 2 - 1
    positions = _positions(p)
    p_flag = t_flag = 0
    window = (1 << (bound + 1)) - 1
    for j in range(min(t_len, p_len + bound)):
        candidates = positions.get(t[j], 0) & window & ~p_flag
        if candidates:
            p_flag |= candidates & -candidates
            t_flag |= 1 << j
        window = (window << 1) | 1 if j < bound else window << 1
    common = p_flag.bit_count()
    if not common:
        return 0.0
    # Transpositions: the k-th matched byte of t against the k-th matched position of p.
    transpositions = 0
    while t_flag:
        lowest_p = p_flag & -p_flag
        if not positions.get(t[(t_flag & -t_flag).bit_length() - 1], 0) & lowest_p:
            transpositions += 1
        t_flag &= t_flag - 1
        p_flag ^= lowest_p
    transpositions //= 2
    sim = common / p_len
    sim += common / t_len
    sim += (common - transpositions) / common
    return sim / 3.0


def similarity_upper_bound(p: bytes, t: bytes, winkler: bool) -> float:
    """An upper bound of ``jaro`` (``jaro_winkler``): a matched byte occurs in both strings.

    Cheap (``bytes.translate`` runs in C), so levels ``similarity >= t`` can skip the full
    computation for clearly different values.
    """
    if not p or not t:
        return 0.0
    common = min(len(t.translate(None, _absent(p))), len(p.translate(None, _absent(t))))
    bound = (common / len(p) + common / len(t) + 1.0) / 3.0
    if not winkler:
        return bound
    prefix = 0
    for a, b in zip(p[:4], t[:4], strict=False):
        if a != b:
            break
        prefix += 1
    return bound + prefix * 0.1 * (1.0 - bound)


@lru_cache(maxsize=16384)
def _absent(p: bytes) -> bytes:
    """The bytes that do not occur in ``p``: a deletion table keeping only p's bytes."""
    return _ALL_BYTES.translate(None, p)


@lru_cache(maxsize=8192)
def _positions(p: bytes) -> dict[int, int]:
    """Byte -> bit mask of its positions in ``p`` (the new record's value repeats per call)."""
    positions: dict[int, int] = {}
    for i, char in enumerate(p):
        positions[char] = positions.get(char, 0) | (1 << i)
    return positions


def jaro_winkler(p: bytes, t: bytes, fused: bool) -> float:
    """DuckDB ``jaro_winkler_similarity`` (prefix weight 0.1, up to 4 bytes, boost > 0.7).

    ``fused``: whether DuckDB's build computes ``sim + prefix*0.1*(1-sim)`` as one fused
    multiply-add (the x86-64 wheels do); detected at startup.
    """
    prefix = 0
    for a, b in zip(p[:4], t[:4], strict=False):
        if a != b:
            break
        prefix += 1
    sim = jaro(p, t)
    if sim > 0.7 and prefix:
        if fused:
            return _fused_multiply_add(prefix * 0.1, 1.0 - sim, sim)
        sim += prefix * 0.1 * (1.0 - sim)
    return sim


def _fused_multiply_add(a: float, b: float, c: float) -> float:
    """``a * b + c`` rounded once (math.fma arrives in Python 3.13)."""
    a_num, a_den = a.as_integer_ratio()
    b_num, b_den = b.as_integer_ratio()
    c_num, c_den = c.as_integer_ratio()
    # int / int is correctly rounded in Python, so this is exactly what an FMA returns.
    return (a_num * b_num * c_den + c_num * a_den * b_den) / (a_den * b_den * c_den)


def levenshtein(a: bytes, b: bytes) -> int:
    """DuckDB ``levenshtein`` on bytes (Myers/Hyyrö bit-parallel, exact)."""
    if not a:
        return len(b)
    if not b:
        return len(a)
    peq: dict[int, int] = {}
    for i, char in enumerate(a):
        peq[char] = peq.get(char, 0) | (1 << i)
    full = (1 << len(a)) - 1
    last = 1 << (len(a) - 1)
    pv, mv, score = full, 0, len(a)
    for char in b:
        eq = peq.get(char, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & full
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        ph = ((ph << 1) | 1) & full
        mh = (mh << 1) & full
        pv = (mh | ~(xv | ph)) & full
        mv = ph & xv
    return score


def damerau_levenshtein(source: bytes, target: bytes) -> int:
    """DuckDB ``damerau_levenshtein``: unrestricted (Lowrance-Wagner) distance on bytes."""
    s_len, t_len = len(source), len(target)
    if not s_len:
        return t_len
    if not t_len:
        return s_len
    inf = s_len + t_len + 1
    dist = [[inf] * (t_len + 2) for _ in range(s_len + 2)]
    for i in range(s_len + 1):
        dist[i + 1][1] = i
    for j in range(1, t_len + 1):
        dist[1][j + 1] = j
    last_row_of: dict[int, int] = {}
    for i in range(s_len):
        last_col = 0
        s_char = source[i]
        row, above = dist[i + 2], dist[i + 1]
        for j in range(t_len):
            i1 = last_row_of.get(target[j], 0)
            j1 = last_col
            if s_char == target[j]:
                cost = 0
                last_col = j + 1
            else:
                cost = 1
            row[j + 2] = min(
                above[j + 1] + cost,
                row[j + 1] + 1,
                above[j + 2] + 1,
                dist[i1][j1] + (i - i1) + 1 + (j - j1),
            )
        last_row_of[s_char] = i + 1
    return dist[s_len + 1][t_len + 1]


def damerau_levenshtein_at_most(a: bytes, b: bytes, limit: int) -> bool:
    """``damerau_levenshtein(a, b) <= limit``, mostly settled by cheaper bounds.

    A transposition is two Levenshtein edits, so ``lev / 2 <= dl <= lev``.
    """
    if abs(len(a) - len(b)) > limit or _bag_distance(a, b) > limit:
        return False
    plain = levenshtein(a, b)
    if plain <= limit:
        return True
    if plain > 2 * limit:
        return False
    return damerau_levenshtein(a, b) <= limit


def _bag_distance(a: bytes, b: bytes) -> int:
    """A lower bound of both edit distances: bytes one string has more of than the other."""
    surplus = 0
    for byte in set(a):
        extra = a.count(byte) - b.count(byte)
        if extra > 0:
            surplus += extra
    # Counts differ by len(a) - len(b) in total, so b's surplus follows from a's.
    return max(surplus, surplus - len(a) + len(b))


def python_regex(pattern: str) -> re.Pattern[str] | None:
    """The Python regex matching like RE2 does for ``pattern``, or None if unsure."""
    # `{,n}` is a quantifier in Python but literal text in RE2; `[:` may open a POSIX class;
    # `[]...]` would fool the class tracking below.
    unsure = ("(?", "{,", "[:", "[]", "[^]")
    if _SAFE_REGEX.fullmatch(pattern) is None or any(s in pattern for s in unsure):
        return None
    translated, in_class = [], False
    for char in pattern:
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        translated.append(r"\Z" if char == "$" and not in_class else char)
    try:
        return re.compile("".join(translated))
    except re.error:
        return None


@lru_cache(maxsize=65536)
def regexp_extract(value: str, pattern: re.Pattern[str], group: int) -> str:
    """DuckDB ``regexp_extract``: the group of the first match, '' when there is none."""
    found = pattern.search(value)
    if found is None:
        return ""
    return found.group(group) or ""


@lru_cache(maxsize=65536)
def try_strptime_iso_date(value: str) -> datetime | None:
    """DuckDB ``try_strptime(value, '%Y-%m-%d')`` for plain ``YYYY-MM-DD`` input."""
    if _ISO_DATE.fullmatch(value) is None or value.startswith("0000"):
        # DuckDB also accepts padding spaces, unpadded fields and BC years: let it decide.
        raise NeedsDuckDBError(value)
    try:
        return datetime(int(value[:4]), int(value[5:7]), int(value[8:10]))
    except ValueError:
        return None


def epoch(value: datetime) -> float:
    """DuckDB ``epoch(timestamp)``: seconds since 1970-01-01 as a double."""
    return ((value - _EPOCH) // _MICROSECOND) / 1_000_000
