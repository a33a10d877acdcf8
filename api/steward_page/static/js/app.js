// The page's entry point: signing in with an API key, and the hash router between the
// queue (#/queue), a pair (#/pair/LEFT/RIGHT) and a customer (#/customer/ID).

import { SETTINGS, apiKey, gql, setApiKey } from "./api.js";
import { showCustomer } from "./customer.js";
import { announce, clear, clearMessages, h, showError, takePendingMessage } from "./dom.js";
import { showPair } from "./pair.js";
import { showQueue } from "./queue.js";
import { installShortcuts, setShortcuts } from "./shortcuts.js";
import { state } from "./state.js";

const main = document.getElementById("main");
let previous = "";

function signedIn(on) {
  document.getElementById("login").hidden = on;
  document.getElementById("session").hidden = !on;
  document.getElementById("nav").hidden = !on;
}

function signInPrompt() {
  setShortcuts({});
  clear(main).append(
    h("h2", {}, "Sign in"),
    h("p", {}, "Enter a steward (or admin) API key above. It is kept in this browser tab only and sent to this server's GraphQL API with every request."));
}

/** Check the key by asking for the thresholds (a steward-only field). */
async function verify() {
  try {
    state.thresholds = (await gql(SETTINGS)).reviewSettings;
    return true;
  } catch (err) {
    setApiKey(null);
    signedIn(false);
    signInPrompt();
    showError(err.message);
    return false;
  }
}

async function route() {
  if (!apiKey()) {
    signedIn(false);
    signInPrompt();
    return;
  }
  const hash = location.hash || "#/queue";
  const parts = hash.slice(2).split("/").map(decodeURIComponent);
  const message = takePendingMessage();
  if (hash !== previous) clearMessages();
  previous = hash;
  document.getElementById("nav-queue").toggleAttribute("aria-current", parts[0] === "queue");
  if (parts[0] === "pair" && parts.length === 3) {
    document.title = "Pair · Steward review";
    await showPair(main, parts[1], parts[2]);
  } else if (parts[0] === "customer" && parts[1]) {
    document.title = `Customer ${parts[1]} · Steward review`;
    await showCustomer(main, parts[1]);
  } else {
    document.title = "Queue · Steward review";
    await showQueue(main);
  }
  if (message) announce(message);
  main.dataset.ready = hash;
}

async function signIn(event) {
  event.preventDefault();
  const input = document.getElementById("api-key");
  setApiKey(input.value.trim());
  input.value = "";
  if (await verify()) {
    signedIn(true);
    announce("Signed in.");
    await route();
  }
}

function signOut() {
  setApiKey(null);
  state.thresholds = null;
  signedIn(false);
  signInPrompt();
  announce("Signed out.");
  document.getElementById("api-key").focus();
}

async function start() {
  installShortcuts();
  document.getElementById("login").addEventListener("submit", signIn);
  document.getElementById("logout").addEventListener("click", signOut);
  window.addEventListener("hashchange", () => { route(); });
  if (apiKey() && (await verify())) {
    signedIn(true);
  }
  await route();
}

start();
