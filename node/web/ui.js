// Small DOM helpers: elements without innerHTML (no injection), the live
// region that announces every result, focus on screen change.
import { t } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let seq = 0;
export const uid = (p = "f") => `${p}${++seq}`;

/** A labelled control: returns [wrapper, control]. */
export function field(labelText, control) {
  const id = control.id || uid();
  control.id = id;
  return [h("div", {}, h("label", { for: id }, labelText), control), control];
}

export function announce(text, bad = false) {
  const s = document.getElementById("status");
  s.classList.toggle("bad", bad);
  s.textContent = "";
  // a fresh text node so screen readers announce a repeated message too
  setTimeout(() => { s.textContent = text; }, 30);
}

/** How the screen is being drawn: a live redraw (an update arrived) keeps
 *  what the member opened and where they were; a new screen takes focus. */
export const drawing = { live: false, dirty: false };

/** True while the member is typing in a form on the screen. */
export function typing() {
  const a = document.activeElement;
  return drawing.dirty || Boolean(a?.closest?.("#main form") && a.matches("input, textarea, select"));
}

export function show(title, ...content) {
  const main = document.getElementById("main");
  if (drawing.live && typing()) return; // never throw away what they typed
  const opened = new Set([...main.querySelectorAll("details[open][data-key]")].map((d) => d.dataset.key));
  const y = window.scrollY;
  main.replaceChildren(h("h1", {}, title), ...content.flat().filter((c) => c !== null && c !== undefined && c !== false));
  document.title = `${title} — Caracol`;
  if (drawing.live) {
    for (const d of main.querySelectorAll("details[data-key]")) if (opened.has(d.dataset.key)) d.open = true;
    window.scrollTo(0, y);
  } else {
    main.focus();
  }
}

export function when(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  return new Date(seconds * 1000).toLocaleString(document.documentElement.lang, {
    dateStyle: "medium", timeStyle: "short",
  });
}

export const person = (p) => (p ? p.name || `${t("member")} ${p.identity.slice(0, 8)}` : "—");

export function stageName(stage) {
  return t(`stage.${stage}`);
}
