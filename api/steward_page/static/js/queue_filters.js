// The queue's filter and sort form, and its counts line.

import { h } from "./dom.js";
import { state } from "./state.js";

const STATUSES = [
  ["PENDING", "Pending"],
  ["APPROVED", "Approved"],
  ["REJECTED", "Rejected"],
  ["RETRACTED", "Retracted"],
];
const SORTS = [
  ["THRESHOLD", "Closest to a threshold"],
  ["VALUE", "Customer value"],
  ["PROBABILITY", "Most probable"],
  ["NEWEST", "Newest"],
];

/** Pairs at or above this probability are "clearly identical" for bulk ticking: the top
 * band between the review and the auto-merge threshold. */
export function likelyFloor(thresholds) {
  if (!thresholds) return 0.9;
  const { reviewThreshold: low, autoMergeThreshold: high } = thresholds;
  return high - (high - low) / 4;
}

function bandLabel(band) {
  return `${band.min.toFixed(2)}–${band.max.toFixed(2)}`;
}

function select(name, label, options, value) {
  const id = `filter-${name}`;
  return h("div", { className: "field" },
    h("label", { for: id }, label),
    h("select", { id, name },
      options.map(([v, text]) => h("option", { value: v, selected: v === value }, text))));
}

function dateInput(name, label, value) {
  const id = `filter-${name}`;
  return h("div", { className: "field" },
    h("label", { for: id }, label),
    h("input", { id, name, type: "date", value: value || null }));
}

/** The form; `changed()` runs after the state took the new values. */
export function buildFilters(queue, changed) {
  const bands = queue.bands.map((b) => [`${b.min}:${b.max}`, `${bandLabel(b)} (${b.count})`]);
  const sources = queue.sources.map((src) => [src, src]);
  if (state.filter.source && !queue.sources.includes(state.filter.source)) {
    sources.push([state.filter.source, state.filter.source]);
  }
  const form = h("form", { id: "queue-filters", className: "filters", "aria-label": "Filter and sort the queue" },
    select("status", "Status", STATUSES, state.filter.status),
    select("source", "Source", [["", "Any source"], ...sources], state.filter.source),
    dateInput("queuedFrom", "Queued from", state.filter.queuedFrom),
    dateInput("queuedTo", "Queued to", state.filter.queuedTo),
    select("band", "Probability", [["", "Any probability"], ...bands], state.filter.band),
    select("sort", "Sort by", SORTS, state.sort),
    h("div", { className: "field buttons" },
      h("button", { type: "submit", className: "primary" }, "Apply"),
      h("button", { type: "reset" }, "Clear")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = new FormData(form);
    for (const name of ["status", "source", "queuedFrom", "queuedTo", "band"]) {
      state.filter[name] = String(values.get(name) || "");
    }
    state.filter.status = state.filter.status || "PENDING";
    state.sort = String(values.get("sort") || "THRESHOLD");
    changed();
  });
  form.addEventListener("reset", (event) => {
    event.preventDefault();
    state.filter = { status: "PENDING", source: "", queuedFrom: "", queuedTo: "", band: "" };
    state.sort = "THRESHOLD";
    changed();
  });
  return form;
}

/** "Pending 12 · Approved 3 · … — 12 shown by these filters; thresholds 0.50 / 0.95". */
export function countsLine(queue, st) {
  const counts = Object.fromEntries(queue.statuses.map((c) => [c.status, c.count]));
  const parts = STATUSES.map(([status, label]) => `${label} ${counts[status] ?? 0}`);
  const t = st.thresholds;
  const limits = t ? `; review from ${t.reviewThreshold.toFixed(2)}, automatic merge from ${t.autoMergeThreshold.toFixed(2)}` : "";
  const cut = queue.truncated ? " (only the first pairs were read)" : "";
  return `${parts.join(" · ")} — ${queue.total} match the filters${cut}${limits}.`;
}
