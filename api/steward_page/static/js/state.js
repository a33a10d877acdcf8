// What the views share for the tab's lifetime: thresholds, the queue's filter and sort,
// the pairs of the page shown, which one is current, and which are ticked.

export const state = {
  thresholds: null, // { reviewThreshold, autoMergeThreshold }
  filter: { status: "PENDING", source: "", queuedFrom: "", queuedTo: "", band: "" },
  sort: "THRESHOLD",
  pageSize: 25,
  cursors: [null], // cursor of each page visited (page n starts after cursors[n])
  page: 0,
  pairs: [], // the pairs of the page shown
  current: 0, // index of the pair with keyboard focus
  selected: new Set(), // "left|right" of ticked pairs
  decided: new Set(), // pairs decided in this tab (skipped when moving on)
};

export function pairId(pair) {
  return `${pair.leftKey}|${pair.rightKey}`;
}

/** The GraphQL filter for the queue's form values. */
export function filterVariables() {
  const f = state.filter;
  const out = { status: f.status };
  if (f.source) out.source = f.source;
  if (f.queuedFrom) out.queuedFrom = f.queuedFrom;
  if (f.queuedTo) out.queuedTo = f.queuedTo;
  if (f.band) {
    const [min, max] = f.band.split(":").map(Number);
    out.minProbability = min;
    out.maxProbability = max;
  }
  return out;
}

/** Start the queue over from its first page (after a change of filter or sort). */
export function resetPaging() {
  state.cursors = [null];
  state.page = 0;
  state.current = 0;
  state.selected.clear();
}

/** The pair after `left|right` in the page shown that is not decided yet, if any. */
export function nextPair(left, right) {
  const index = state.pairs.findIndex((p) => p.leftKey === left && p.rightKey === right);
  for (let i = index + 1; i < state.pairs.length; i += 1) {
    if (!state.decided.has(pairId(state.pairs[i]))) return state.pairs[i];
  }
  return null;
}
