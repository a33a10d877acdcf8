"""The recommendation part of `customer-graph demo`: train GraphSAGE, compare, recommend."""

from __future__ import annotations

from rich.console import Console

from customer_graph.commands.gnn import print_comparison
from customer_graph.runtime import consent_service
from customer_graph.settings import Settings
from gnn.config import load_config
from gnn.dataset import export_graph
from gnn.service import GnnService
from gnn.serving import RecommendationService
from graph.port import GraphStore


async def train_and_recommend(settings: Settings, store: GraphStore, console: Console) -> None:
    """Train and promote a model on the graph's resolved customers unless the current one was
    trained on exactly this data; then show what it recommends to the most active customer."""
    data, encoder = await export_graph(store, consent_service(settings, store))
    service = GnnService(settings.gnn_model_dir)
    current = service.registry.current()
    if current is not None and current.meta.get("data_hash") == data.content_hash():
        ratio = current.meta.get("graphsage_over_best_baseline")
        console.print(
            f"Recommendation model {current.version} is current for this data "
            f"(GraphSAGE / best baseline NDCG@20 {ratio}); not retrained"
        )
    else:
        console.print(
            f"Training GraphSAGE on {len(data):,} interactions of {data.n_users:,} customers "
            f"and {data.n_items:,} items…"
        )
        outcome = service.train(
            data,
            load_config(settings.gnn_config_file, preset="demo"),
            encoder,
            promote=True,
            progress=lambda message: None,
        )
        print_comparison(outcome.comparison, outcome.summary)
        console.print(
            f"Promoted {outcome.version.version}; report {outcome.version.path / 'report.html'}"
        )
    counts = data.matrix(binary=True).getnnz(axis=1)
    customer = data.user_ids[int(counts.argmax())]
    recommendations = RecommendationService(settings.gnn_model_dir).recommend(customer, k=5)
    titles = ", ".join(item for item, _ in recommendations.items)
    console.print(f"Top 5 for customer {customer} ({recommendations.source}): {titles}")
