// The queue view: filters, counts, the sorted pairs of one page, keyboard decisions and
// bulk approval of ticked pairs.

import { QUEUE, gql } from "./api.js";
import { approveMany, approvePair, rejectPair } from "./actions.js";
import { announce, clear, customerHref, fmtDate, fmtMoney, fmtProbability, h, pairHref, personName, s, showError } from "./dom.js";
import { buildFilters, countsLine, likelyFloor } from "./queue_filters.js";
import { setShortcuts } from "./shortcuts.js";
import { filterVariables, pairId, resetPaging, state } from "./state.js";

let root = null;

export async function showQueue(main) {
  root = main;
  setShortcuts(shortcuts());
  await load();
}

async function load(focusRow = true) {
  const variables = {
    filter: filterVariables(),
    sort: state.sort,
    first: state.pageSize,
    after: state.cursors[state.page],
  };
  let data;
  try {
    data = await gql(QUEUE, variables);
  } catch (err) {
    clear(root).append(h("h2", { id: "view-title" }, "Review queue"));
    showError(err.message);
    return;
  }
  const queue = data.reviewQueue;
  state.pairs = queue.pairs;
  state.current = Math.min(state.current, Math.max(queue.pairs.length - 1, 0));
  state.cursors[state.page + 1] = queue.pageInfo.endCursor;
  render(queue);
  if (focusRow) focusCurrent();
}

function render(queue) {
  const pending = state.filter.status === "PENDING";
  const body = h("tbody", {}, state.pairs.map((pair, i) => row(pair, i, pending)));
  clear(root).append(
    h("section", { "aria-labelledby": "view-title" },
      h("h2", { id: "view-title" }, "Review queue"),
      h("p", { className: "counts", id: "queue-counts" }, countsLine(queue, state)),
      buildFilters(queue, () => { resetPaging(); load(false); }),
      pending ? bulkBar() : null,
      state.pairs.length
        ? h("table", { className: "queue", id: "queue-table" },
            h("caption", {}, `Pairs ${state.page * state.pageSize + 1}–${state.page * state.pageSize + state.pairs.length} of ${queue.total}; arrow keys or j/k move, a approve, r reject, s skip, x tick, Enter opens.`),
            h("thead", {}, h("tr", {},
              h("th", { scope: "col" }, h("span", { className: "visually-hidden" }, "Tick")),
              h("th", { scope: "col" }, "Probability"),
              h("th", { scope: "col" }, "Left record"),
              h("th", { scope: "col" }, "Right record"),
              h("th", { scope: "col" }, "Customers"),
              h("th", { scope: "col" }, "Value"),
              h("th", { scope: "col" }, "Queued"),
              h("th", { scope: "col" }, "Actions"))),
            body)
        : h("p", { className: "empty" }, "No pair matches these filters."),
      pager(queue)));
  updateBulk();
}

function sideCell(side) {
  return h("td", {},
    h("strong", {}, personName(side)),
    h("div", { className: "muted" }, `${side.key} · ${side.source ?? "?"}`),
    h("div", { className: "muted" }, [side.date_of_birth, side.postcode, side.city].filter(Boolean).join(" · ")));
}

function row(pair, index, pending) {
  const id = pairId(pair);
  const label = `${personName(pair.left)} and ${personName(pair.right)}`;
  const customers = pair.sameCustomer
    ? h("span", {}, "same customer")
    : [pair.left.customer_id, pair.right.customer_id].map((c) =>
        c ? h("a", { href: customerHref(c) }, c) : h("span", {}, "none")).flatMap((n, i) => (i ? [h("br"), n] : [n]));
  return h("tr", { dataset: { index: String(index), pair: id }, className: index === state.current ? "current" : "",
                   "aria-current": index === state.current ? "true" : null },
    h("td", {}, h("input", { type: "checkbox", "aria-label": `Tick pair ${label}`, checked: state.selected.has(id),
                             disabled: !pending, onchange: (e) => tick(pair, e.target.checked) })),
    h("td", { className: "num" }, h("span", { className: "prob" }, fmtProbability(pair.probability)),
      meter(pair.probability),
      pair.thresholdDistance !== null ? h("div", { className: "muted" }, `±${pair.thresholdDistance.toFixed(3)} from a threshold`) : null),
    sideCell(pair.left),
    sideCell(pair.right),
    h("td", {}, customers),
    h("td", { className: "num" }, fmtMoney(pair.customerValue)),
    h("td", {}, fmtDate(pair.queuedAt)),
    h("td", { className: "actions" },
      h("a", { href: pairHref(pair.leftKey, pair.rightKey), className: "open", onfocus: () => setCurrent(index, false) }, "Open", h("span", { className: "visually-hidden" }, ` pair ${label}`)),
      pending ? h("button", { type: "button", onclick: () => decide(index, "approve") }, "Approve") : null,
      pending ? h("button", { type: "button", className: "danger", onclick: () => decide(index, "reject") }, "Reject") : null));
}

// Probability as a bar, the two thresholds marked (SVG attributes: no inline styles).
function meter(p) {
  const t = state.thresholds;
  const ticks = t ? [t.reviewThreshold, t.autoMergeThreshold] : [];
  return s("svg", { className: "meter", width: 90, height: 10, viewBox: "0 0 90 10", "aria-hidden": "true", focusable: "false" },
    s("rect", { className: "meter-bg", x: 0, y: 2, width: 90, height: 6 }),
    s("rect", { className: "meter-fill", x: 0, y: 2, width: (90 * (p ?? 0)).toFixed(1), height: 6 }),
    ticks.map((v) => s("line", { className: "meter-tick", x1: 90 * v, x2: 90 * v, y1: 0, y2: 10 })));
}

function pager(queue) {
  return h("nav", { className: "pager", "aria-label": "Queue pages" },
    h("button", { type: "button", disabled: state.page === 0, onclick: () => turn(-1) }, "Previous page"),
    h("span", {}, `Page ${state.page + 1}`),
    h("button", { type: "button", disabled: !queue.pageInfo.hasNextPage, onclick: () => turn(1) }, "Next page"));
}

function turn(step) {
  state.page += step;
  state.current = 0;
  load();
}

function bulkBar() {
  const floor = likelyFloor(state.thresholds);
  return h("div", { className: "bulk", role: "group", "aria-label": "Bulk actions" },
    h("button", { type: "button", id: "select-likely", onclick: () => selectLikely(floor) },
      `Tick pairs at or above ${floor.toFixed(2)}`),
    h("button", { type: "button", id: "select-none", onclick: () => { state.selected.clear(); refreshTicks(); } }, "Untick all"),
    h("button", { type: "button", id: "bulk-approve", className: "primary", onclick: bulkApprove }, "Approve ticked"));
}

function tick(pair, on) {
  if (on) state.selected.add(pairId(pair));
  else state.selected.delete(pairId(pair));
  updateBulk();
}

function selectLikely(floor) {
  for (const pair of state.pairs) if ((pair.probability ?? 0) >= floor) state.selected.add(pairId(pair));
  refreshTicks();
  announce(`${state.selected.size} pair(s) ticked.`);
}

function refreshTicks() {
  root.querySelectorAll("tbody tr").forEach((tr) => {
    tr.querySelector("input[type=checkbox]").checked = state.selected.has(pairId(state.pairs[Number(tr.dataset.index)]));
  });
  updateBulk();
}

function updateBulk() {
  const button = root.querySelector("#bulk-approve");
  if (!button) return;
  button.textContent = `Approve ticked (${state.selected.size})`;
  button.disabled = state.selected.size === 0;
}

async function bulkApprove() {
  const chosen = state.pairs.filter((p) => state.selected.has(pairId(p)));
  const { done, refused } = await approveMany(chosen, announce);
  state.selected.clear();
  await load(false);
  const message = `Approved ${done.length} pair(s).`;
  if (refused.length) showError(`${message} Refused: ${refused.join("; ")}`);
  else announce(message);
}

async function decide(index, action) {
  const pair = state.pairs[index];
  if (!pair || state.filter.status !== "PENDING") return;
  setCurrent(index, false);
  try {
    const { message } = action === "approve" ? await approvePair(pair) : await rejectPair(pair);
    state.selected.delete(pairId(pair));
    await load();
    announce(message);
  } catch (err) {
    showError(err.message);
  }
}

function setCurrent(index, focus = true) {
  if (!state.pairs.length) return;
  state.current = Math.max(0, Math.min(index, state.pairs.length - 1));
  root.querySelectorAll("tbody tr").forEach((tr) => {
    const on = Number(tr.dataset.index) === state.current;
    tr.classList.toggle("current", on);
    if (on) tr.setAttribute("aria-current", "true");
    else tr.removeAttribute("aria-current");
  });
  if (focus) focusCurrent();
}

function focusCurrent() {
  const link = root.querySelector(`tbody tr[data-index="${state.current}"] a.open`);
  if (link) link.focus();
}

function shortcuts() {
  const move = (step) => () => setCurrent(state.current + step);
  return {
    j: move(1), ArrowDown: move(1), k: move(-1), ArrowUp: move(-1),
    s: move(1),
    a: () => decide(state.current, "approve"),
    r: () => decide(state.current, "reject"),
    x: () => {
      const pair = state.pairs[state.current];
      if (pair && state.filter.status === "PENDING") {
        tick(pair, !state.selected.has(pairId(pair)));
        refreshTicks();
      }
    },
    o: () => { const p = state.pairs[state.current]; if (p) location.hash = pairHref(p.leftKey, p.rightKey); },
  };
}
