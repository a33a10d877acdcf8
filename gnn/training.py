"""Full-batch GraphSAGE training with a ranking loss and early stopping on a validation split."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from gnn.config import GnnConfig
from gnn.holdout import random_holdout, temporal_holdout, user_edge_weights
from gnn.interactions import Interactions
from gnn.item_item import item_neighbours
from gnn.model import GraphSage, GraphTensors, graph_tensors
from gnn.recency import global_recency, user_recency
from gnn.user_features import category_features

# Validation score (e.g. NDCG@20) of user and item embeddings; higher is better.
Validator = Callable[[np.ndarray, np.ndarray], float]


@dataclass
class TrainingRun:
    """A trained model, its graph and how training went."""

    model: GraphSage
    graph: GraphTensors
    config: GnnConfig
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    seconds: float = 0.0
    # user_id_scale -> late-validation NDCG@20, when the scale was chosen after training.
    user_id_scale_scores: dict[float, float] = field(default_factory=dict)

    def embeddings(self) -> tuple[np.ndarray, np.ndarray]:
        """Final user and item embeddings as float32 arrays."""
        self.model.eval()
        with torch.no_grad():
            users, items = self.model(self.graph)
        return users.numpy().astype(np.float32), items.numpy().astype(np.float32)

    def scoring_embeddings(self) -> tuple[np.ndarray, np.ndarray]:
        """User and item tables whose inner product is the model's score: the embeddings, with
        the item score bias (if any) as one more column (users get a column of ones)."""
        users, items = self.embeddings()
        bias = self.model.score_bias()
        if bias is None:
            return users, items
        ones = np.ones((len(users), 1), np.float32)
        column = bias.detach().numpy().astype(np.float32)[:, None]
        return np.hstack([users, ones]), np.hstack([items, column])


def item_item_graph(train: Interactions, config: GnnConfig) -> sp.csr_matrix | None:
    """The item-item neighbours the item layers aggregate over (None when the option is off)."""
    if config.item_item_neighbours <= 0:
        return None
    return item_neighbours(train, config.item_item_neighbours, config.item_item_shrink)


def recency(train: Interactions, config: GnnConfig) -> np.ndarray:
    """Per edge 0.5^(age / half-life), age = time from its last interaction to the latest one
    in `train` or of its user (`recency_reference`); ones when `recency_half_life_days` is 0."""
    if config.recency_reference == "user":
        return user_recency(train, config.recency_half_life_days)
    return global_recency(train, config.recency_half_life_days)


def item_prior(train: Interactions, config: GnnConfig) -> np.ndarray | None:
    """log1p of each item's training users (recency-weighted like the targets), or None."""
    if not config.popularity_prior:
        return None
    counts = np.bincount(train.items, weights=recency(train, config), minlength=train.n_items)
    prior: np.ndarray = np.log1p(counts).astype(np.float32)
    return prior


def _edge_weights(train: Interactions, config: GnnConfig) -> np.ndarray:
    """log1p(weight)^power (ones at power 0), times the recency decay."""
    weights: np.ndarray = np.log1p(train.weights.astype(np.float64)) ** config.weight_power
    decayed: np.ndarray = weights * recency(train, config)
    return decayed


def _edge_sampler(train: Interactions, config: GnnConfig) -> np.ndarray:
    """Sampling probability of each training edge: heavier interactions are positives more
    often (log-damped, so one bulk order does not drown a user's other tastes)."""
    weights = _edge_weights(train, config)
    probabilities: np.ndarray = weights / weights.sum()
    return probabilities


def _targets(train: Interactions, config: GnnConfig) -> sp.csr_matrix:
    """User x item target weights log1p(weight)^power (ones at power 0) times the recency
    decay, rows summed."""
    weights = _edge_weights(train, config)
    matrix = sp.csr_matrix(
        (weights.astype(np.float32), (train.users, train.items)),
        shape=(train.n_users, train.n_items),
    )
    matrix.sum_duplicates()
    return matrix


def _multinomial(
    config: GnnConfig,
    users: Tensor,
    items: Tensor,
    bias: Tensor | None,
    block: Tensor,
    rows: sp.coo_matrix,
    y: Tensor,
) -> Tensor:
    """Full softmax over the catalogue computed once per user (not once per edge): the
    weighted log-likelihood of every training edge of the users in `block`. The same
    objective as the per-edge softmax, at a fraction of the cost."""
    scores = users[block] @ items.T
    logits = (scores if bias is None else scores + bias) / config.temperature
    log_p = torch.log_softmax(logits, dim=-1)
    picked = log_p[
        torch.from_numpy(rows.row.astype(np.int64)), torch.from_numpy(rows.col.astype(np.int64))
    ]
    return -(picked * y).sum() / y.sum()


def _loss(
    config: GnnConfig,
    users: Tensor,
    items: Tensor,
    bias: Tensor | None,
    u: Tensor,
    i: Tensor,
    n_items: int,
) -> Tensor:
    if config.loss == "softmax":
        scores = users[u] @ items.T
        logits = (scores if bias is None else scores + bias) / config.temperature
        return torch.nn.functional.cross_entropy(logits, i)
    j = torch.randint(0, n_items, (len(u), config.negatives))
    positive = (users[u] * items[i]).sum(-1, keepdim=True)
    negative = torch.einsum("bd,bnd->bn", users[u], items[j])
    if bias is not None:
        positive, negative = positive + bias[i][:, None], negative + bias[j]
    return -torch.nn.functional.logsigmoid(positive - negative).mean()


def train_graphsage(
    train: Interactions,
    config: GnnConfig,
    validate: Validator | None = None,
    progress: Callable[[int, dict[str, float]], None] | None = None,
    validate_run: Callable[[TrainingRun], float] | None = None,
) -> TrainingRun:
    """Train on `train`; with `validate` (of the scoring embeddings) or `validate_run` (of the
    run, model in eval mode), keep the best epoch and stop after `patience` epochs without
    improvement."""
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    torch.set_num_threads(max(1, config.threads))
    features = (
        train.item_features.matrix if config.use_item_features and train.item_features else None
    )
    kind = config.user_category_features
    shares = category_features(train, kind) if kind != "none" else None
    if kind != "none" and shares is None:
        raise ValueError("user_category_features: the interactions have no item_categories")
    graph = graph_tensors(
        train.users,
        train.items,
        train.n_users,
        train.n_items,
        features,
        shares,
        user_edge_weights(train, config),
        item_item_graph(train, config),
        config.item_item_weighted,
    )
    model = GraphSage(
        train.n_users,
        train.n_items,
        features.shape[1] if features is not None else 0,
        config.dim,
        config.layers,
        config.dropout,
        user_ids=config.user_ids,
        combine=config.combine,
        normalize_output=config.normalize_output,
        item_bias=config.item_bias,
        item_prior=item_prior(train, config),
        n_user_features=shares.shape[1] if shares is not None else 0,
        user_feature_kind=kind,
        user_recency_half_life_days=config.user_recency_half_life_days,
        user_id_dropout=config.user_id_dropout,
        user_id_scale=config.user_id_scale,
        item_item_neighbours=config.item_item_neighbours,
        item_item_weighted=config.item_item_weighted,
        item_item_shrink=config.item_item_shrink,
    )
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(trainable, lr=config.learning_rate)
    probabilities = _edge_sampler(train, config)
    users_t = torch.from_numpy(train.users)
    items_t = torch.from_numpy(train.items)
    targets = _targets(train, config)
    train_graph, train_targets = graph, targets
    if not config.user_recency_in_training and config.user_recency_half_life_days > 0:
        # Learn from plain neighbour means; evaluation and serving weigh them by recency.
        train_graph = replace(
            graph_tensors(train.users, train.items, train.n_users, train.n_items, None),
            item_features=graph.item_features,
            user_features=graph.user_features,
            item_from_items=graph.item_from_items,
        )
    if config.temporal_holdout > 0:
        if config.loss != "multinomial" or config.edge_holdout > 0:
            raise ValueError("temporal_holdout: needs loss = 'multinomial' and no edge_holdout")
        train_graph, train_targets = temporal_holdout(train, graph, targets, config)
    targets = train_targets
    active = np.flatnonzero(np.diff(targets.indptr) > 0)  # users with training edges
    if config.loss == "multinomial":
        steps = max(1, int(np.ceil(len(active) * config.edge_passes / config.user_batch)))
    else:
        steps = max(1, int(np.ceil(len(train) * config.edge_passes / config.batch_size)))
    run = TrainingRun(model, graph, config)
    best, best_state, stale = -np.inf, None, 0
    for epoch in range(1, config.max_epochs + 1):
        model.train()
        total = 0.0
        order = rng.permutation(active)
        for step in range(steps):
            if config.loss == "multinomial":
                start = (step * config.user_batch) % len(active)
                block = order[start : start + config.user_batch]
                step_graph, step_targets = train_graph, targets
                if config.edge_holdout > 0:
                    step_graph, step_targets = random_holdout(train, graph, targets, config, rng)
                rows = step_targets[block].tocoo()
                u = torch.from_numpy(block[rows.row])
                i = torch.from_numpy(rows.col.astype(np.int64))
                y = torch.from_numpy(rows.data)
                user_emb, item_emb = model(step_graph)
                block_t = torch.from_numpy(block)
                bias = model.score_bias()
                loss = _multinomial(config, user_emb, item_emb, bias, block_t, rows, y)
            else:
                batch = torch.from_numpy(
                    rng.choice(len(train), size=config.batch_size, p=probabilities)
                )
                u, i = users_t[batch], items_t[batch]
                user_emb, item_emb = model(graph)
                bias = model.score_bias()
                loss = _loss(config, user_emb, item_emb, bias, u, i, graph.n_items)
            regulariser = (
                config.weight_decay
                * (
                    model.user_embedding.weight[u].pow(2).sum()
                    + model.item_embedding.weight[i].pow(2).sum()
                )
                / len(u)
            )
            optimizer.zero_grad()
            (loss + regulariser).backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            total += float(loss.detach())
        row = {"epoch": float(epoch), "loss": total / steps}
        checked = validate is not None or validate_run is not None
        if checked and (epoch % config.eval_every == 0 or epoch == config.max_epochs):
            if validate_run is not None:
                model.eval()
                score = validate_run(run)
            else:
                assert validate is not None
                score = validate(*run.scoring_embeddings())
            row["valid"] = score
            if score > best:
                best, stale, run.best_epoch = score, 0, epoch
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                stale += config.eval_every
                if stale >= config.patience:
                    run.history.append(row)
                    if progress:
                        progress(epoch, row)
                    break
        run.history.append(row)
        if progress:
            progress(epoch, row)
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        run.best_epoch = len(run.history)
    run.seconds = time.perf_counter() - started
    return run
