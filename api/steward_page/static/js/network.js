// A small drawing of a customer's records (circles, by source) and the links that hold
// them together (lines, by kind), with a legend; the same links are listed as text.

import { h, s } from "./dom.js";

const WIDTH = 480;
const HEIGHT = 320;
const KINDS = {
  approved: "approved by a steward",
  identifier: "shared identifier",
  model: "model match",
  weak_identifier: "shared device or cookie, model agrees",
};

function layout(keys) {
  const cx = WIDTH / 2;
  const cy = HEIGHT / 2 - 10;
  const radius = keys.length > 1 ? Math.min(WIDTH, HEIGHT) / 2 - 60 : 0;
  return Object.fromEntries(keys.map((key, i) => {
    const angle = (2 * Math.PI * i) / keys.length - Math.PI / 2;
    return [key, { x: cx + radius * Math.cos(angle), y: cy + radius * Math.sin(angle) }];
  }));
}

// Several links between the same two records are drawn side by side, 5 px apart.
function offset(links, index, a, b) {
  const link = links[index];
  const same = links.filter((l) => l.leftKey === link.leftKey && l.rightKey === link.rightKey);
  const shift = (same.indexOf(link) - (same.length - 1) / 2) * 5;
  const length = Math.hypot(b.x - a.x, b.y - a.y) || 1;
  return [(-(b.y - a.y) / length) * shift, ((b.x - a.x) / length) * shift];
}

function short(key) {
  return key.length > 18 ? `${key.slice(0, 17)}…` : key;
}

/** The SVG drawing; `names` maps record keys to a person's name. */
export function networkDrawing(network, names) {
  const at = layout(network.recordKeys);
  const svg = s("svg", {
    className: "network", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT,
    role: "img", "aria-labelledby": "network-title network-desc",
  },
  s("title", { id: "network-title" }, "Records of this customer and their links"),
  s("desc", { id: "network-desc" }, `${network.recordKeys.length} records, ${network.links.length} links; the list below the drawing names each.`),
  network.links.map((link, i) => {
    const a = at[link.leftKey];
    const b = at[link.rightKey];
    if (!a || !b) return null;
    const [dx, dy] = offset(network.links, i, a, b);
    return s("line", { className: `link ${link.kind}`, x1: a.x + dx, y1: a.y + dy, x2: b.x + dx, y2: b.y + dy },
      s("title", {}, `${link.leftKey} — ${link.rightKey}: ${link.reason}`));
  }),
  network.recordKeys.map((key) => {
    const p = at[key];
    const source = key.split(":")[0];
    return s("g", { className: `node ${source}` },
      s("circle", { cx: p.x, cy: p.y, r: 14 }),
      s("text", { x: p.x, y: p.y + 30, "text-anchor": "middle", className: "node-label" }, short(key)),
      s("text", { x: p.x, y: p.y + 44, "text-anchor": "middle", className: "node-name" }, names[key] ?? ""),
      s("title", {}, `${key} (${source}) ${names[key] ?? ""}`));
  }));
  return h("figure", { className: "network-figure" },
    svg,
    h("figcaption", {}, legend()),
    linkList(network));
}

function legend() {
  return h("ul", { className: "legend" }, Object.entries(KINDS).map(([kind, label]) =>
    h("li", {}, s("svg", { width: 28, height: 10, "aria-hidden": "true", focusable: "false" },
      s("line", { className: `link ${kind}`, x1: 0, y1: 5, x2: 28, y2: 5 })), ` ${label}`)));
}

function linkList(network) {
  if (!network.links.length) {
    return h("p", { className: "muted" }, network.recordKeys.length > 1
      ? "No link holds these records together any more (a full resolution run would split them)."
      : "A single record: nothing to link.");
  }
  return h("ul", { className: "links" }, network.links.map((link) =>
    h("li", {}, `${link.leftKey} — ${link.rightKey}: ${link.reason}`,
      link.probability !== null ? ` (probability ${link.probability.toFixed(3)})` : "")));
}
