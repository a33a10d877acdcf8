"""The feature vector a decision is made on: fixed length, profile part then context part.

Profile part (all zero without `personalisation` consent):

| features | meaning |
|---|---|
| `rfm=<name>`, `rfm=none` | the named RFM segment (10 of them), one-hot; none: not scored |
| `seen<=1d`, `seen<=7d`, `seen<=30d`, `seen>30d`, `seen=never` | recency of the last interaction |
| `purchases=0`, `=1`, `=2-3`, `=4-9`, `=10+` | purchase events over all time |
| `open_cart` | an add-to-cart newer than the last purchase |
| `views` | log1p(product views) / 5, capped at 1 |
| `category_share` | share of the subject's interaction weight in the page's category |
| `known` | a resolved customer (not an anonymous visitor) |

Context part (always present):

| features | meaning |
|---|---|
| `bias` | 1 |
| `channel=web`, `=app`, `=email` | the request's channel, one-hot (none given: zeros) |
| `device=desktop`, `=mobile`, `=tablet` | the device, one-hot |
| `page=home`, `=category`, … `=other` | the page type, one-hot |
| `hour_sin`, `hour_cos` | the hour of day (UTC) on the unit circle (none given: zeros) |

`FEATURE_VERSION` changes whenever the layout does; learned state of another version is not
loaded.
"""

from __future__ import annotations

import math

import numpy as np

from nba.profile import DecisionContext, NbaProfile
from nba.rules import CHANNELS, DEVICES, PAGES
from segments.rfm import RFM_SEGMENTS

FEATURE_VERSION = 1
DAY_MS = 86_400_000
RECENCY = (("seen<=1d", 1.0), ("seen<=7d", 7.0), ("seen<=30d", 30.0))
PURCHASES = (("purchases=0", 0), ("purchases=1", 1), ("purchases=2-3", 3), ("purchases=4-9", 9))

PROFILE_NAMES: tuple[str, ...] = (
    *(f"rfm={name}" for name in RFM_SEGMENTS),
    "rfm=none",
    *(name for name, _ in RECENCY),
    "seen>30d",
    "seen=never",
    *(name for name, _ in PURCHASES),
    "purchases=10+",
    "open_cart",
    "views",
    "category_share",
    "known",
)
CONTEXT_NAMES: tuple[str, ...] = (
    "bias",
    *(f"channel={c}" for c in CHANNELS),
    *(f"device={d}" for d in DEVICES),
    *(f"page={p}" for p in PAGES),
    "hour_sin",
    "hour_cos",
)
NAMES: tuple[str, ...] = PROFILE_NAMES + CONTEXT_NAMES
DIM = len(NAMES)
PROFILE_DIM = len(PROFILE_NAMES)
INDEX = {name: i for i, name in enumerate(NAMES)}
_RFM = {name: INDEX[f"rfm={name}"] for name in RFM_SEGMENTS}
_CHANNEL = {c: INDEX[f"channel={c}"] for c in CHANNELS}
_DEVICE = {d: INDEX[f"device={d}"] for d in DEVICES}
_PAGE = {p: INDEX[f"page={p}"] for p in PAGES}


def _recency(profile: NbaProfile, now_ms: int) -> str:
    if profile.last_seen_at is None:
        return "seen=never"
    days = (now_ms - profile.last_seen_at) / DAY_MS
    return next((name for name, limit in RECENCY if days <= limit), "seen>30d")


def _purchases(count: int) -> str:
    return next((name for name, limit in PURCHASES if count <= limit), "purchases=10+")


def fill_profile(x: np.ndarray, profile: NbaProfile, context: DecisionContext, now_ms: int) -> None:
    """Write the profile part of `x` in place."""
    rfm = profile.rfm
    x[_RFM.get(rfm, INDEX["rfm=none"]) if rfm is not None else INDEX["rfm=none"]] = 1.0
    x[INDEX[_recency(profile, now_ms)]] = 1.0
    x[INDEX[_purchases(profile.purchases)]] = 1.0
    cart, bought = profile.last_cart_at, profile.last_purchase_at
    if cart is not None and (bought is None or cart > bought):
        x[INDEX["open_cart"]] = 1.0
    x[INDEX["views"]] = min(1.0, math.log1p(profile.views) / 5.0)
    x[INDEX["category_share"]] = profile.category_share(context.category)
    x[INDEX["known"]] = 1.0 if profile.known else 0.0


def fill_context(x: np.ndarray, context: DecisionContext) -> None:
    """Write the context part of `x` in place."""
    x[INDEX["bias"]] = 1.0
    if context.channel in _CHANNEL:
        x[_CHANNEL[context.channel]] = 1.0
    if context.device in _DEVICE:
        x[_DEVICE[context.device]] = 1.0
    if context.page is not None:
        x[_PAGE.get(context.page, _PAGE["other"])] = 1.0
    if context.hour is not None:
        angle = 2.0 * math.pi * (context.hour % 24) / 24.0
        x[INDEX["hour_sin"]] = math.sin(angle)
        x[INDEX["hour_cos"]] = math.cos(angle)


def features(
    profile: NbaProfile, context: DecisionContext, now_ms: int, personalised: bool = True
) -> np.ndarray:
    """The vector of one decision (float64, length `DIM`); the profile part stays zero
    unless `personalised`."""
    x = np.zeros(DIM)
    if personalised:
        fill_profile(x, profile, context, now_ms)
    fill_context(x, context)
    return x


def context_only(x: np.ndarray) -> np.ndarray:
    """A copy of `x` with the profile part zeroed (what the non-personalised policy sees)."""
    masked = np.array(x, dtype=np.float64)
    masked[:PROFILE_DIM] = 0.0
    return masked
