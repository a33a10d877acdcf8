// Steward operations shared by the views: each is one GraphQL mutation, audited on the
// server with the key holder as actor; the message names what changed and the audit id.

import { APPROVE, REJECT, SPLIT, UNDO, gql } from "./api.js";
import { state, pairId } from "./state.js";

function moved(result) {
  const n = result.moved.length;
  if (!n) return "no record changed customer";
  const into = [...new Set(result.moved.map((m) => m.customerId))].join(", ");
  return `${n} record${n === 1 ? "" : "s"} moved to ${into}`;
}

export async function approvePair(pair, reason = "") {
  const data = await gql(APPROVE, { l: pair.leftKey, r: pair.rightKey, reason });
  state.decided.add(pairId(pair));
  const result = data.approveMatch;
  return { result, message: `Approved ${pair.leftKey} ↔ ${pair.rightKey}: ${moved(result)} (audit ${result.auditId}).` };
}

export async function rejectPair(pair, reason = "") {
  const data = await gql(REJECT, { l: pair.leftKey, r: pair.rightKey, reason });
  state.decided.add(pairId(pair));
  const result = data.rejectMatch;
  return { result, message: `Rejected ${pair.leftKey} ↔ ${pair.rightKey}: never merged again; ${moved(result)} (audit ${result.auditId}).` };
}

export async function splitCustomer(customerId, keys, reason = "") {
  const data = await gql(SPLIT, { c: customerId, keys, reason });
  const result = data.splitCustomer;
  return { result, message: `Split ${customerId}: ${moved(result)} (audit ${result.auditId}).` };
}

export async function undoOperation(auditId) {
  const data = await gql(UNDO, { id: auditId });
  const result = data.undoOperation;
  return { result, message: `Undid ${auditId}: ${moved(result)} (audit ${result.auditId}).` };
}

/** Approve several pairs one after the other; each is its own audited operation. */
export async function approveMany(pairs, progress) {
  const done = [];
  const refused = [];
  for (const [i, pair] of pairs.entries()) {
    progress(`Approving ${i + 1} of ${pairs.length}…`);
    try {
      done.push((await approvePair(pair, "bulk approval")).result);
    } catch (err) {
      refused.push(`${pair.leftKey} ↔ ${pair.rightKey}: ${err.message}`);
    }
  }
  return { done, refused };
}
