// Keyboard shortcuts: each view registers its own; "?" shows the list. Keys typed into a
// form field are the field's, never a shortcut.

let handlers = {};

/** The shortcuts of the view on screen: { "a": fn, "ArrowDown": fn, … }. */
export function setShortcuts(map) {
  handlers = map || {};
}

function typing(target) {
  if (!(target instanceof Element)) return false;
  const tag = target.tagName;
  return (
    target.isContentEditable ||
    tag === "TEXTAREA" ||
    tag === "SELECT" ||
    (tag === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(target.type))
  );
}

export function toggleHelp(show) {
  const help = document.getElementById("help");
  const button = document.getElementById("help-toggle");
  const visible = show ?? help.hidden;
  help.hidden = !visible;
  button.setAttribute("aria-expanded", String(visible));
  if (visible) help.querySelector("h2").focus();
}

export function installShortcuts() {
  document.getElementById("help-toggle").addEventListener("click", () => toggleHelp());
  document.getElementById("help-close").addEventListener("click", () => {
    toggleHelp(false);
    document.getElementById("help-toggle").focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === "?") {
      event.preventDefault();
      toggleHelp();
      return;
    }
    if (event.key === "Escape" && !document.getElementById("help").hidden) {
      toggleHelp(false);
      return;
    }
    const handler = handlers[event.key];
    if (handler) {
      event.preventDefault();
      handler(event);
    }
  });
}
