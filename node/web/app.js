// The members' page: boots the JS core, the language, the member's key,
// picks the Community and routes between screens (#/…).
import * as core from "/core/index.js";
import { chosenLanguage, setLanguage, t, language } from "./i18n.js";
import { announce, drawing, h, show, typing } from "./ui.js";
import { authorState, flush, getJSON, live, state } from "./net.js";
import * as store from "./store.js";
import { keyScreen } from "./screens/key.js";
import { proposalsScreen } from "./screens/proposals.js";
import { proposalScreen } from "./screens/proposal.js";
import { peopleScreen } from "./screens/people.js";
import { mandatesScreen } from "./screens/mandates.js";
import { constitutionScreen } from "./screens/constitution.js";
import { kioskScreen } from "./screens/kiosk.js";

const SCREENS = {
  key: keyScreen,
  proposals: proposalsScreen,
  p: proposalScreen,
  people: peopleScreen,
  mandates: mandatesScreen,
  constitution: constitutionScreen,
  kiosk: kioskScreen,
};


export async function useSeed(seed) {
  state.seed = seed;
  state.key = seed ? await core.publicKey(seed) : null;
  state.keyHex = state.key ? core.hex(state.key) : null;
  if (seed) await store.setItem("seed", seed);
  else await store.delItem("seed");
}

let routing = Promise.resolve();

/** Draw the screen the address names. Calls are queued, so two draws
 *  never interleave (a live update during an action waits its turn). */
export function route(live = false) {
  const go = () => draw(live);
  routing = routing.then(go, go);
  return routing;
}

async function draw(live) {
  if (!live) drawing.dirty = false;
  drawing.live = live;
  // keep the signing state fresh on the device, for signing offline
  if (state.seed && state.body && navigator.onLine) authorState().catch(() => {});
  const [name, arg] = location.hash.replace(/^#\/?/, "").split("/");
  const screen = SCREENS[name] ?? (state.seed ? proposalsScreen : keyScreen);
  for (const a of document.querySelectorAll("nav a")) {
    a.toggleAttribute("aria-current", a.getAttribute("href") === `#/${name}`);
    if (a.hasAttribute("aria-current")) a.setAttribute("aria-current", "page");
  }
  try {
    await screen(arg ? decodeURIComponent(arg) : null);
  } catch (err) {
    show(t("error.title"), h("p", {}, t("error.load", { reason: err.message })));
  }
}

/** What the node did with a message, in words, in the live region. */
export function tell(answer) {
  if (answer.queued) return announce(t("answer.queued"));
  if (answer.status === "rejected") {
    return announce(t("answer.rejected", { reason: answer.reason ?? answer.code ?? "" }), true);
  }
  if (answer.process && answer.process.taken === false) {
    return announce(t("answer.ignored", { reason: answer.process.reason ?? "" }), true);
  }
  if (answer.status === "duplicate") return announce(t("answer.duplicate"));
  if (answer.status === "pending") return announce(t("answer.pending"));
  return announce(t("answer.taken"));
}

/** Run an action from a form: sign, send, say what happened, refresh. */
export async function perform(kind, payload, opts) {
  try {
    const { act } = await import("./net.js");
    const answer = await act(kind, payload, opts);
    tell(answer);
    await route();
    return answer;
  } catch (err) {
    announce(t("answer.failed", { reason: err.message }), true);
    return null;
  }
}

let onLive = null;
let stream = null;

/** Follow the shown body's new messages (server-sent events). */
function subscribe() {
  stream?.close();
  stream = onLive ? live(onLive) : null;
}

/** A new or restored key on this device: then the body shown is the one
 *  the key is a member of. */
export async function adoptKey(seed) {
  await useSeed(seed);
  await store.delItem("body");
  await chooseBody();
}

/** The body the page shows: the one asked for, else the last one shown,
 *  else the first the member belongs to, else the node's first. */
export async function chooseBody(wanted = null, listed = null) {
  const saved = wanted ?? (await store.getItem("body"));
  const { bodies } = listed ?? (await getJSON("/v0/bodies"));
  state.bodies = bodies;
  let chosen = bodies.find((b) => b.id === saved) ?? null;
  if (!chosen && state.keyHex && bodies.length > 1) {
    for (const b of bodies) {
      const { people } = await getJSON(`/v0/bodies/${b.id}/people`);
      if (people.some((p) => p.key === state.keyHex && p.member)) { chosen = b; break; }
    }
  }
  chosen ??= bodies[0] ?? null;
  state.body = chosen?.id ?? null;
  document.getElementById("body-name").textContent = chosen?.name || "Caracol";
  if (state.body) await store.setItem("body", state.body);
  subscribe();
}

function connection() {
  const c = document.getElementById("conn");
  const on = navigator.onLine;
  c.dataset.i18n = on ? "online" : "offline";
  c.textContent = t(c.dataset.i18n);
}

async function boot() {
  // the catalogue, the crypto libraries and the bodies, at once
  const bodies = getJSON("/v0/bodies");
  await Promise.all([setLanguage(chosenLanguage()), core.init()]);
  const select = document.getElementById("lang");
  select.value = language();
  select.addEventListener("change", async () => {
    await setLanguage(select.value, true);
    await route();
    announce(t("language.changed"));
  });
  await useSeed((await store.getItem("seed")) ?? null);
  await chooseBody(null, await bodies);
  connection();
  window.addEventListener("hashchange", route);
  window.addEventListener("online", async () => {
    connection();
    const sent = await flush();
    if (sent.size) announce(t("answer.sent", { count: sent.size }));
    await route();
  });
  window.addEventListener("offline", connection);
  document.getElementById("main").addEventListener("input", () => { drawing.dirty = true; });
  // live updates redraw the screen, unless the member is typing in it
  let pending = null;
  onLive = () => {
    clearTimeout(pending);
    pending = setTimeout(() => { if (!typing()) route(true); }, 250);
  };
  subscribe();
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js").catch(() => {});
  }
  await route();
  document.body.dataset.ready = "1";
}

boot().catch((err) => {
  document.getElementById("main").textContent = `Caracol: ${err.message}`;
});
