// The pair view: both records side by side with their differences marked, the match weight
// waterfall, shared identifiers, the customers each record belongs to, what approving would
// merge, and the decision (a approve, r reject, s skip, Esc back to the queue).

import { PAIR, gql } from "./api.js";
import { approvePair, rejectPair } from "./actions.js";
import { clear, customerHref, fmtDate, fmtProbability, fmtWeight, focusHeading, h, navigate, pairHref, personName, shortValue, showError } from "./dom.js";
import { setShortcuts } from "./shortcuts.js";
import { nextPair, state } from "./state.js";
import { waterfall } from "./waterfall.js";

const FIELDS = [
  ["First name", (r) => r.profile.firstName],
  ["Last name", (r) => r.profile.lastName],
  ["Date of birth", (r) => r.profile.dateOfBirth],
  ["Address", (r) => r.profile.address],
  ["Postcode", (r) => r.profile.postcode],
  ["City", (r) => r.profile.city],
  ["Country", (r) => r.profile.country],
  ["Source", (r) => r.source],
  ["Source id", (r) => r.sourceId],
  ["Updated", (r) => fmtDate(r.updatedAt)],
];
const COMPARED = new Set(["First name", "Last name", "Date of birth", "Address", "Postcode", "City", "Country"]);

let root = null;

export async function showPair(main, left, right) {
  root = main;
  let pair;
  try {
    pair = (await gql(PAIR, { l: left, r: right })).reviewPair;
  } catch (err) {
    clear(root).append(h("h2", {}, "Pair"), h("p", {}, h("a", { href: "#/queue" }, "Back to the queue")));
    showError(err.message);
    return;
  }
  render(pair);
  setShortcuts(pair.status === "PENDING"
    ? { a: () => decide(pair, "approve"), r: () => decide(pair, "reject"), s: () => skip(pair), j: () => skip(pair), Escape: back }
    : { s: () => skip(pair), j: () => skip(pair), Escape: back });
  focusHeading(root);
}

function back() {
  location.hash = "#/queue";
}

function skip(pair) {
  const next = nextPair(pair.leftKey, pair.rightKey);
  if (next) location.hash = pairHref(next.leftKey, next.rightKey);
  else back();
}

async function decide(pair, action) {
  const reason = root.querySelector("#decision-reason")?.value ?? "";
  root.querySelectorAll(".decision button").forEach((b) => { b.disabled = true; });
  try {
    const { message } = action === "approve" ? await approvePair(pair, reason) : await rejectPair(pair, reason);
    const next = nextPair(pair.leftKey, pair.rightKey);
    navigate(next ? pairHref(next.leftKey, next.rightKey) : "#/queue", message);
  } catch (err) {
    root.querySelectorAll(".decision button").forEach((b) => { b.disabled = false; });
    showError(err.message);
  }
}

function render(pair) {
  const title = `${personName(pair.left?.profile)} ↔ ${personName(pair.right?.profile)}`;
  clear(root).append(
    h("section", { "aria-labelledby": "view-title", className: "pair" },
      h("p", { className: "crumbs" }, h("a", { href: "#/queue" }, "← Queue")),
      h("h2", { id: "view-title" }, `Pair: ${title}`),
      h("p", { className: "facts" },
        `Status ${pair.status.toLowerCase()} · probability ${fmtProbability(pair.probability)} · match weight ${fmtWeight(pair.matchWeight)} · queued ${fmtDate(pair.queuedAt)}`,
        pair.decidedBy ? ` · decided by ${pair.decidedBy} ${fmtDate(pair.decidedAt)}${pair.reason ? ` (“${pair.reason}”)` : ""}` : ""),
      decision(pair),
      h("p", { id: "merge-preview", className: pair.preview.blockedBy ? "preview blocked" : "preview" }, previewText(pair)),
      h("div", { className: "columns" },
        h("div", {},
          h("h3", {}, "Records side by side"),
          sideBySide(pair),
          h("h3", {}, "Shared identifiers"),
          shared(pair)),
        h("div", {},
          h("h3", {}, "Match weight, comparison by comparison"),
          waterfall(pair),
          h("h3", {}, "Current customers"),
          h("div", { className: "cards" }, customerCard("Left record", pair.left, pair.leftCustomer), customerCard("Right record", pair.right, pair.rightCustomer))))));
}

function decision(pair) {
  if (pair.status !== "PENDING") {
    return h("p", { className: "decision" }, "This pair is decided; undo the decision from a customer's audit trail. ",
      h("button", { type: "button", onclick: () => skip(pair) }, "Next pair (s)"));
  }
  return h("div", { className: "decision", role: "group", "aria-label": "Decision" },
    h("label", { for: "decision-reason" }, "Reason (optional)"),
    h("input", { id: "decision-reason", type: "text", maxlength: 500, autocomplete: "off" }),
    h("button", { type: "button", id: "approve", className: "primary", "aria-keyshortcuts": "a", onclick: () => decide(pair, "approve") }, "Approve: same person (a)"),
    h("button", { type: "button", id: "reject", className: "danger", "aria-keyshortcuts": "r", onclick: () => decide(pair, "reject") }, "Reject: different people (r)"),
    h("button", { type: "button", id: "skip", "aria-keyshortcuts": "s", onclick: () => skip(pair) }, "Skip (s)"));
}

function previewText(pair) {
  const p = pair.preview;
  if (p.sameCustomer) return `Both records already belong to customer ${p.keepCustomerId}; approving only records the decision.`;
  if (!p.retireCustomerId) return "A record has no customer yet: approving records the decision, and the next resolution links them.";
  const base = `Approving would merge customers ${p.keepCustomerId} and ${p.retireCustomerId} (${p.recordCount} records): ${p.movingRecords.length} record(s) move into ${p.keepCustomerId}, and ${p.retireCustomerId} is retired.`;
  return p.blockedBy ? `${base} It would be refused: ${p.blockedBy}.` : base;
}

function sideBySide(pair) {
  const ids = (r) => new Set((r?.identifiers ?? []).map((i) => i.key));
  const sharedKeys = new Set([...ids(pair.left)].filter((k) => ids(pair.right).has(k)));
  return h("table", { className: "side-by-side" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Attribute"),
      h("th", { scope: "col" }, pair.leftKey),
      h("th", { scope: "col" }, pair.rightKey),
      h("th", { scope: "col" }, "Compared"))),
    h("tbody", {},
      FIELDS.map(([label, get]) => {
        const a = pair.left ? get(pair.left) : null;
        const b = pair.right ? get(pair.right) : null;
        const state_ = compare(a, b);
        const marked = COMPARED.has(label) && (state_ === "differs" || state_ === "missing");
        return h("tr", { className: marked ? `diff ${state_}` : "" },
          h("th", { scope: "row" }, label),
          h("td", {}, a || "–"),
          h("td", {}, b || "–"),
          h("td", {}, COMPARED.has(label) ? { same: "same", differs: "≠ differs", missing: "missing on one", empty: "missing on both" }[state_] : ""));
      }),
      h("tr", {},
        h("th", { scope: "row" }, "Identifiers"),
        h("td", {}, identifierList(pair.left, sharedKeys)),
        h("td", {}, identifierList(pair.right, sharedKeys)),
        h("td", {}, `${sharedKeys.size} shared`))));
}

function compare(a, b) {
  if (!a && !b) return "empty";
  if (!a || !b) return "missing";
  return String(a).trim().toLowerCase() === String(b).trim().toLowerCase() ? "same" : "differs";
}

function identifierList(record, sharedKeys) {
  const items = record?.identifiers ?? [];
  if (!items.length) return "none";
  return h("ul", { className: "plain" }, items.map((i) =>
    h("li", { className: sharedKeys.has(i.key) ? "shared" : "" }, `${i.type}: ${shortValue(i.value)}`, sharedKeys.has(i.key) ? " (shared)" : "")));
}

function shared(pair) {
  if (!pair.sharedIdentifiers.length) return h("p", { className: "muted" }, "The two records share no identifier.");
  return h("ul", {}, pair.sharedIdentifiers.map((i) => h("li", {}, `${i.type}: `, h("code", {}, shortValue(i.value)))));
}

function customerCard(label, record, customer) {
  if (!customer) return h("div", { className: "card" }, h("h4", {}, label), h("p", {}, `${record?.key ?? "?"} belongs to no customer.`));
  return h("div", { className: "card" },
    h("h4", {}, `${label}: `, h("a", { href: customerHref(customer.id) }, customer.id)),
    h("p", {}, `${personName(customer.profile)} · born ${customer.profile.dateOfBirth ?? "–"} · ${customer.profile.city ?? "–"}`),
    h("p", { className: "muted" }, `${customer.recordCount} record(s) · ${customer.status}`));
}
