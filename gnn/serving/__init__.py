"""Serving GraphSAGE recommendations from registry artifacts: numpy only, no training code.

Never imports torch, `gnn.model` or `gnn.training`; everything served comes from a verified
registry version (`gnn.registry`).
"""

from gnn.serving.inductive import embed_item, embed_item_from_row, embed_user
from gnn.serving.loaded_model import LoadedModel, ModelLoadError, load_version
from gnn.serving.recommendations import (
    ModelNotAvailable,
    Recommendations,
    RecommendationService,
    UnknownItemError,
    UserVector,
)

__all__ = [
    "LoadedModel",
    "ModelLoadError",
    "ModelNotAvailable",
    "RecommendationService",
    "Recommendations",
    "UnknownItemError",
    "UserVector",
    "embed_item",
    "embed_item_from_row",
    "embed_user",
    "load_version",
]
