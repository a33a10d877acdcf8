// The customer view: its records and the links between them (drawing), the golden record
// with lineage, a split form, the pairs around its records and the audit trail with undo.

import { AUDIT, CUSTOMER_VIEW, NETWORK, gql } from "./api.js";
import { splitCustomer, undoOperation } from "./actions.js";
import { announce, clear, customerHref, fmtDate, fmtProbability, focusHeading, h, pairHref, personName, showError } from "./dom.js";
import { networkDrawing } from "./network.js";
import { setShortcuts } from "./shortcuts.js";

const GOLDEN = [
  ["first_name", "First name", "firstName"],
  ["last_name", "Last name", "lastName"],
  ["date_of_birth", "Date of birth", "dateOfBirth"],
  ["address", "Address", "address"],
  ["postcode", "Postcode", "postcode"],
  ["city", "City", "city"],
  ["country", "Country", "country"],
];
const UNDO_LABELS = {
  "customer.merged": "Undo merge",
  "match.approved": "Undo merge",
  "match.rejected": "Undo rejection",
  "customer.split": "Undo split",
  "customer.split_by_steward": "Undo split",
  "steward.undo": "Undo this undo",
};

let root = null;

export async function showCustomer(main, id) {
  root = main;
  setShortcuts({ Escape: () => { location.hash = "#/queue"; } });
  let customer;
  let network;
  let audit;
  try {
    customer = (await gql(CUSTOMER_VIEW, { id })).customer;
    if (customer) {
      [network, audit] = await Promise.all([
        gql(NETWORK, { id: customer.id }).then((d) => d.customerNetwork),
        gql(AUDIT, { subject: customer.id }).then((d) => d.auditTrail),
      ]);
    }
  } catch (err) {
    clear(root).append(h("h2", {}, `Customer ${id}`));
    showError(err.message);
    return;
  }
  if (!customer) {
    clear(root).append(h("h2", {}, `Customer ${id}`), h("p", {}, "No customer has this id."));
    focusHeading(root);
    return;
  }
  render(customer, network, audit, id);
  focusHeading(root);
}

function render(customer, network, audit, asked) {
  const names = Object.fromEntries(customer.records.map((r) => [r.key, personName(r.profile)]));
  clear(root).append(
    h("section", { "aria-labelledby": "view-title", className: "customer" },
      h("p", { className: "crumbs" }, h("a", { href: "#/queue" }, "← Queue")),
      h("h2", { id: "view-title" }, `Customer ${customer.id}: ${personName(customer.profile)}`),
      asked !== customer.id ? h("p", { className: "note" }, `${asked} was merged into ${customer.id}.`) : null,
      h("p", { className: "facts" }, `${customer.status} · ${customer.recordCount} record(s) · created ${fmtDate(customer.createdAt)} · updated ${fmtDate(customer.updatedAt)}`),
      h("div", { className: "columns" },
        h("div", {},
          h("h3", {}, "Records and the links that hold them together"),
          networkDrawing(network, names),
          network.explained ? null : h("p", { className: "muted" }, "No identity model is trained: only steward approvals are shown."),
          h("h3", {}, "Split this customer"),
          splitForm(customer)),
        h("div", {},
          h("h3", {}, "Golden record"),
          goldenTable(customer),
          h("h3", {}, "Pairs around these records"),
          pairsTable(network, customer.id))),
      h("h3", {}, "Audit trail"),
      auditTable(audit, customer.id)));
}

function goldenTable(customer) {
  const lineage = Object.fromEntries((customer.profile.lineage ?? []).map((l) => [l.attribute, l]));
  return h("table", { className: "golden" },
    h("thead", {}, h("tr", {}, ["Attribute", "Value", "From record", "Source", "Rule"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, GOLDEN.map(([attr, label, field]) => {
      const l = lineage[attr];
      return h("tr", {},
        h("th", { scope: "row" }, label),
        h("td", {}, customer.profile[field] ?? "–"),
        h("td", {}, l ? l.recordKey : "–"),
        h("td", {}, l ? l.source : "–"),
        h("td", {}, l ? l.rule : "–"));
    })));
}

function splitForm(customer) {
  if (customer.records.length < 2) return h("p", { className: "muted" }, "A customer with one record cannot be split.");
  const form = h("form", { id: "split-form", className: "split" },
    h("fieldset", {},
      h("legend", {}, "Move the ticked records to a new customer (every pair across the split becomes “different people”)"),
      customer.records.map((r, i) => h("div", { className: "check" },
        h("input", { type: "checkbox", id: `split-${i}`, name: "record", value: r.key }),
        h("label", { for: `split-${i}` }, `${personName(r.profile)} — ${r.key} (${r.source})`)))),
    h("div", { className: "field" },
      h("label", { for: "split-reason" }, "Reason (optional)"),
      h("input", { id: "split-reason", type: "text", maxlength: 500, autocomplete: "off" })),
    h("button", { type: "submit", className: "danger" }, "Split customer"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const keys = [...form.querySelectorAll("input[name=record]:checked")].map((c) => c.value);
    if (!keys.length) {
      showError("Tick the records to move to a new customer first.");
      return;
    }
    try {
      const { message } = await splitCustomer(customer.id, keys, form.querySelector("#split-reason").value);
      await showCustomer(root, customer.id);
      announce(message);
    } catch (err) {
      showError(err.message);
    }
  });
  return form;
}

function pairsTable(network, customerId) {
  if (!network.pairs.length) return h("p", { className: "muted" }, "No candidate pair involves these records.");
  return h("table", { className: "pairs" },
    h("thead", {}, h("tr", {}, ["Pair", "Status", "Probability", "Other customer"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, network.pairs.map((p) => {
      const other = [p.leftCustomerId, p.rightCustomerId].find((c) => c && c !== customerId);
      return h("tr", {},
        h("td", {}, h("a", { href: pairHref(p.leftKey, p.rightKey) }, `${p.leftKey} ↔ ${p.rightKey}`)),
        h("td", {}, p.status.toLowerCase()),
        h("td", { className: "num" }, fmtProbability(p.probability)),
        h("td", {}, other ? h("a", { href: customerHref(other) }, other) : "this customer"));
    })));
}

function changes(entry) {
  const moved = Object.entries(entry.after?.assignments ?? {});
  const pairs = Object.entries(entry.after?.pairs ?? {});
  const parts = [];
  if (moved.length) parts.push(`${moved.length} record(s) → ${[...new Set(moved.map(([, c]) => c))].join(", ")}`);
  if (pairs.length) parts.push(`${pairs.length} pair(s) ${[...new Set(pairs.map(([, st]) => st ?? "cleared"))].join("/")}`);
  return parts.join("; ") || "–";
}

function auditTable(audit, customerId) {
  if (!audit.length) return h("p", { className: "muted" }, "No audited operation concerns this customer yet.");
  return h("table", { className: "audit", id: "audit-trail" },
    h("thead", {}, h("tr", {}, ["When", "Action", "Actor", "Reason", "Subject", "Changed", "Undo"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, audit.map((e) => h("tr", { dataset: { auditId: e.id, action: e.action } },
      h("td", {}, fmtDate(e.at)),
      h("td", {}, e.action),
      h("td", {}, e.actor),
      h("td", {}, e.reason || "–"),
      h("td", {}, e.subjectId),
      h("td", {}, changes(e)),
      h("td", {}, e.undoable
        ? h("button", { type: "button", className: "undo", "aria-label": `${UNDO_LABELS[e.action] ?? "Undo"}: ${e.action} of ${fmtDate(e.at)}`,
                        onclick: () => undo(e, customerId) }, UNDO_LABELS[e.action] ?? "Undo")
        : "")))));
}

async function undo(entry, customerId) {
  try {
    const { message } = await undoOperation(entry.id);
    await showCustomer(root, customerId);
    announce(message);
  } catch (err) {
    showError(err.message);
  }
}
