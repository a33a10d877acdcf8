// Small DOM helpers. Text is always set as text (never parsed as HTML): a record's name
// can hold anything, and the page's key must not be reachable by an injected script.

const SVG_NS = "http://www.w3.org/2000/svg";

function build(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else {
      node.setAttribute(name === "className" ? "class" : name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** An HTML element: h("button", {type: "button", onclick: f}, "Approve"). */
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element, same signature. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

/** A polite announcement for screen readers and the status line. */
export function announce(message) {
  document.getElementById("alert").textContent = "";
  document.getElementById("status").textContent = message;
}

/** An error, announced assertively. */
export function showError(message) {
  document.getElementById("status").textContent = "";
  document.getElementById("alert").textContent = message;
}

let pendingMessage = null;

/** Go to another view and announce `message` once it is shown. */
export function navigate(hash, message) {
  if (location.hash === hash) {
    if (message) announce(message);
    return;
  }
  pendingMessage = message;
  location.hash = hash;
}

/** The message a navigation left for the next view (once). */
export function takePendingMessage() {
  const message = pendingMessage;
  pendingMessage = null;
  return message;
}

export function clearMessages() {
  document.getElementById("alert").textContent = "";
  document.getElementById("status").textContent = "";
}

export function fmtProbability(p) {
  return p === null || p === undefined ? "–" : p.toFixed(3);
}

export function fmtWeight(w) {
  if (w === null || w === undefined) return "–";
  return (w > 0 ? "+" : "") + w.toFixed(2);
}

export function fmtDate(iso) {
  if (!iso) return "–";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 16).replace("T", " ");
}

export function fmtMoney(v) {
  return v ? v.toLocaleString("en-GB", { maximumFractionDigits: 0 }) : "0";
}

/** The person's name on a record or profile, or a dash. */
export function personName(p) {
  if (!p) return "–";
  const first = p.firstName ?? p.first_name;
  const last = p.lastName ?? p.last_name;
  return [first, last].filter(Boolean).join(" ") || "–";
}

/** Hash links between views. */
export function pairHref(left, right) {
  return `#/pair/${encodeURIComponent(left)}/${encodeURIComponent(right)}`;
}

export function customerHref(id) {
  return `#/customer/${encodeURIComponent(id)}`;
}

/** A short form of a hashed identifier value (emails and phones are 64-hex digests). */
export function shortValue(value) {
  return value && value.length > 20 ? `${value.slice(0, 10)}…` : value;
}

/** Move focus to a view's heading so keyboard and screen-reader users start there. */
export function focusHeading(root) {
  const heading = root.querySelector("h2");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}
