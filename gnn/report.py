"""Per-run report: training curve and metric comparison as PNG plots, in one HTML page."""

from __future__ import annotations

import base64
import html
import io
import json
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot
import matplotlib.pyplot as plt

from gnn.comparison import Comparison, comparison_table


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def curve_png(history: list[dict[str, float]]) -> bytes:
    """Training loss and validation NDCG@20 per epoch."""
    figure, loss_axis = plt.subplots(figsize=(6.4, 3.6))
    epochs = [row["epoch"] for row in history]
    loss_axis.plot(epochs, [row["loss"] for row in history], color="tab:blue", label="loss")
    loss_axis.set_xlabel("epoch")
    loss_axis.set_ylabel("training loss", color="tab:blue")
    valid = [(row["epoch"], row["valid"]) for row in history if "valid" in row]
    if valid:
        valid_axis = loss_axis.twinx()
        valid_axis.plot(*zip(*valid, strict=True), color="tab:orange", marker=".")
        valid_axis.set_ylabel("validation NDCG@20", color="tab:orange")
    loss_axis.set_title("GraphSAGE training")
    return _png(figure)


def comparison_png(comparison: Comparison) -> bytes:
    """NDCG@20 and Recall@20 of every model, GraphSAGE highlighted."""
    names = sorted(comparison.metrics, key=lambda n: -comparison.metrics[n]["ndcg@20"])
    figure, axes = plt.subplots(1, 2, figsize=(9.6, 3.6))
    for axis, metric in zip(axes, ("ndcg@20", "recall@20"), strict=True):
        values = [comparison.metrics[name][metric] for name in names]
        colours = ["tab:orange" if name == "graphsage" else "tab:gray" for name in names]
        axis.barh(names[::-1], values[::-1], color=colours[::-1])
        axis.set_title(metric)
    figure.suptitle("Test split, same candidates for every model")
    return _png(figure)


def report_files(comparison: Comparison, summary: dict[str, Any]) -> dict[str, bytes]:
    """`curve.png`, `comparison.png` and `report.html` (plots embedded) for a version."""
    curve = curve_png(comparison.run.history)
    bars = comparison_png(comparison)
    rows = comparison_table(comparison)
    table = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    config = html.escape(json.dumps(comparison.run.config.model_dump(), indent=1))
    page = f"""<!doctype html><html><head><meta charset="utf-8">
<title>GraphSAGE run report</title></head><body style="font-family:sans-serif">
<h1>GraphSAGE run report</h1>
<p>{summary["users"]} users, {summary["items"]} items, {summary["interactions"]} interactions
(data hash {summary["data_hash"]}); best baseline <b>{summary["best_baseline"]}</b>;
GraphSAGE / best baseline NDCG@20 = <b>{summary["graphsage_over_best_baseline"]}</b>;
trained in {summary["train_seconds"]} s (best epoch {summary["best_epoch"]}).</p>
<table border="1" cellpadding="4">{table}</table>
<h2>Training curve</h2><img src="data:image/png;base64,{base64.b64encode(curve).decode()}">
<h2>Comparison</h2><img src="data:image/png;base64,{base64.b64encode(bars).decode()}">
<h2>Configuration</h2><pre>{config}</pre></body></html>"""
    return {"curve.png": curve, "comparison.png": bars, "report.html": page.encode()}
