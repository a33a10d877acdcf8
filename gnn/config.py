"""GraphSAGE hyper-parameters: a TOML file (defaults in `gnn/graphsage.toml`), fixed seed."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_CONFIG_FILE = "graphsage.toml"
# Packaged recipes: the default (tuned on Online Retail II) and the generated demo world's.
PRESET_FILES = {"default": DEFAULT_CONFIG_FILE, "demo": "graphsage-demo.toml"}


class GnnConfig(BaseModel):
    """Model, loss and training-loop settings; unknown keys are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 7
    dim: int = Field(64, ge=4, le=1024)
    layers: int = Field(2, ge=1, le=4)
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    use_item_features: bool = True
    user_ids: bool = True
    combine: Literal["mean", "last"] = "mean"
    normalize_output: bool = False
    item_bias: bool = Field(False, description="A learned per-item term added to every score.")
    popularity_prior: bool = Field(
        False, description="Add w · log1p(item's training users) to every score, w learned."
    )
    user_category_features: Literal["none", "shares", "log_shares"] = Field(
        "none", description="User x⁰ += their category shares (or log shares) projected."
    )
    recency_half_life_days: float = Field(
        0.0, ge=0.0, description="Training targets weigh 0.5^(age/half-life); 0 = off."
    )
    recency_reference: Literal["global", "user"] = Field(
        "global", description="Target ages count from the latest interaction of all or the user."
    )
    user_recency_half_life_days: float = Field(
        0.0,
        ge=0.0,
        description="A user's neighbour mean weighs items 0.5^(days before their latest "
        "interaction / half-life); 0 = unweighted.",
    )
    user_recency_in_training: bool = Field(
        True,
        description="false: training uses plain neighbour means, the recency weights "
        "(user_recency_half_life_days) apply at evaluation and serving only.",
    )
    user_id_dropout: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Training only: probability that a user's id x⁰ is zeroed in a step.",
    )
    user_id_scale: float = Field(
        1.0,
        ge=0.0,
        description="Evaluation and serving only: a user's id x⁰ is multiplied by this "
        "(1 = as trained).",
    )
    user_id_scale_grid: list[Annotated[float, Field(ge=0.0)]] = Field(
        default_factory=list,
        description="After training, choose user_id_scale among these by NDCG@20 on each "
        "user's later validation items (gnn.split.late_validation); empty = keep it.",
    )
    item_item_neighbours: int = Field(
        0,
        ge=0,
        description="> 0: item layers also aggregate each item's this many most similar items "
        "(cosine of the training user columns, `gnn.item_item`); 0 = off.",
    )
    item_item_weighted: bool = Field(
        False, description="The item-item mean weighs neighbours by similarity (else equally)."
    )
    item_item_shrink: float = Field(
        0.0, ge=0.0, description="Item-item similarity x_i·x_j / (|x_i| |x_j| + shrink)."
    )
    early_stopping: Literal["valid", "late_validation"] = Field(
        "valid",
        description="Early stop on NDCG@20 of the validation items (history = train), or of "
        "each user's later validation items (`gnn.split.late_validation`; best over "
        "user_id_scale_grid).",
    )
    loss: Literal["bpr", "softmax", "multinomial"] = "softmax"
    temperature: float = Field(0.2, gt=0.0)
    user_batch: int = Field(1024, ge=1)
    edge_holdout: float = Field(0.0, ge=0.0, lt=1.0)
    temporal_holdout: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Multinomial training only: each user's latest share of training items "
        "(by first interaction) is hidden from message passing and is the target; 0 = off.",
    )
    temporal_holdout_visible_weight: float = Field(
        0.0, ge=0.0, description="With temporal_holdout: target weight of the visible items."
    )
    negatives: int = Field(8, ge=1)
    weight_power: float = Field(1.0, ge=0.0)
    learning_rate: float = Field(0.01, gt=0.0)
    weight_decay: float = Field(0.0, ge=0.0)
    batch_size: int = Field(8192, ge=16)
    edge_passes: float = Field(1.0, gt=0.0, description="Training edges seen per epoch, × |E|.")
    max_epochs: int = Field(60, ge=1)
    eval_every: int = Field(1, ge=1)
    patience: int = Field(5, ge=1)
    threads: int = Field(2, ge=1)

    def with_overrides(self, **overrides: Any) -> GnnConfig:
        """A copy with some fields replaced (validated)."""
        return GnnConfig.model_validate({**self.model_dump(), **overrides})


def load_config(path: Path | None = None, preset: str = "default") -> GnnConfig:
    """Read a config file; without a path, a packaged recipe (`PRESET_FILES`)."""
    if path is None:
        if preset not in PRESET_FILES:
            raise ValueError(f"unknown GraphSAGE preset {preset!r} (known: {list(PRESET_FILES)})")
        packaged = resources.files("gnn").joinpath(PRESET_FILES[preset])
        text = packaged.read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path or DEFAULT_CONFIG_FILE}: not valid TOML: {error}") from error
    return GnnConfig.model_validate(data.get("graphsage", data))
