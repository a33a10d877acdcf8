// The match weight of a pair as a waterfall (like Splink's): the prior, then each
// comparison's weight (and its term-frequency adjustment) moving the running total, then
// the final match weight. Inline SVG, one row per step; a table holds the same numbers.

import { fmtWeight, h, s } from "./dom.js";

const ROW = 26;
const LABEL = 280;
const LABEL_CHARS = 44;
const PLOT = 420;
const VALUE = 70;

function steps(pair) {
  const out = [{ label: "Prior (before any comparison)", delta: pair.priorWeight, kind: "prior" }];
  for (const c of pair.comparisons) {
    out.push({ label: `${c.comparison}: ${c.level}`, delta: c.matchWeight, kind: "step" });
    if (c.tfAdjustment) {
      out.push({ label: `${c.comparison}: term frequency`, delta: c.tfAdjustment, kind: "step" });
    }
  }
  let running = 0;
  for (const step of out) {
    step.start = running;
    running += step.delta;
    step.end = running;
  }
  out.push({ label: "Match weight", start: 0, end: pair.matchWeight, delta: pair.matchWeight, kind: "total" });
  return out;
}

function clip(label) {
  return label.length > LABEL_CHARS ? `${label.slice(0, LABEL_CHARS - 1)}…` : label;
}

export function probabilityOf(weight) {
  const odds = 2 ** weight;
  return odds / (1 + odds);
}

/** The chart and its table, or a note when the evidence has no comparisons. */
export function waterfall(pair) {
  if (pair.priorWeight === null || !pair.comparisons.length || pair.matchWeight === null) {
    return h("p", { className: "muted" }, "No per-comparison weights were stored for this pair.");
  }
  const rows = steps(pair);
  const values = rows.flatMap((r) => [r.start, r.end]).concat([0]);
  const low = Math.floor(Math.min(...values));
  const high = Math.ceil(Math.max(...values));
  const x = (v) => LABEL + ((v - low) / (high - low || 1)) * PLOT;
  const height = rows.length * ROW + 30;
  const width = LABEL + PLOT + VALUE;
  const ticks = [];
  const stride = Math.max(1, Math.ceil((high - low) / 10));
  for (let v = low; v <= high; v += stride) ticks.push(v);
  const summary = `Match weight ${fmtWeight(pair.matchWeight)}, probability ${probabilityOf(pair.matchWeight).toFixed(3)}: prior ${fmtWeight(pair.priorWeight)}, then ${pair.comparisons.map((c) => `${c.comparison} ${fmtWeight(c.matchWeight + c.tfAdjustment)}`).join(", ")}.`;
  const svg = s("svg", {
    className: "waterfall", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-labelledby": "waterfall-title waterfall-desc",
  },
  s("title", { id: "waterfall-title" }, "Match weight waterfall"),
  s("desc", { id: "waterfall-desc" }, summary),
  ticks.map((v) => s("g", {},
    s("line", { className: v === 0 ? "axis zero" : "axis", x1: x(v), x2: x(v), y1: 0, y2: rows.length * ROW }),
    s("text", { className: "tick", x: x(v), y: rows.length * ROW + 16, "text-anchor": "middle" }, String(v)))),
  rows.map((r, i) => {
    const y = i * ROW + 4;
    const left = x(Math.min(r.start, r.end));
    const barWidth = Math.max(1, Math.abs(x(r.end) - x(r.start)));
    const tone = r.kind === "prior" ? "prior" : r.kind === "total" ? "total" : r.delta >= 0 ? "up" : "down";
    return s("g", { className: `bar ${tone}` },
      s("text", { className: "label", x: LABEL - 8, y: y + 13, "text-anchor": "end" }, clip(r.label), s("title", {}, r.label)),
      s("rect", { x: left.toFixed(1), y, width: barWidth.toFixed(1), height: ROW - 8 }),
      i < rows.length - 2 ? s("line", { className: "connector", x1: x(r.end), x2: x(r.end), y1: y + ROW - 8, y2: y + ROW + 4 }) : null,
      s("text", { className: "value", x: LABEL + PLOT + 8, y: y + 13 }, fmtWeight(r.kind === "total" ? r.end : r.delta)));
  }));
  return h("figure", { className: "waterfall-figure" },
    svg,
    h("figcaption", {}, `Bars move the running match weight right (evidence for a match) or left (against); the total ${fmtWeight(pair.matchWeight)} is a probability of ${probabilityOf(pair.matchWeight).toFixed(3)}.`),
    weightTable(rows));
}

function weightTable(rows) {
  return h("details", { className: "weights" },
    h("summary", {}, "The weights as a table"),
    h("table", {},
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "Step"), h("th", { scope: "col" }, "Weight"), h("th", { scope: "col" }, "Running total"))),
      h("tbody", {}, rows.map((r) => h("tr", {},
        h("th", { scope: "row" }, r.label),
        h("td", { className: "num" }, fmtWeight(r.delta)),
        h("td", { className: "num" }, fmtWeight(r.end)))))));
}
