// Every visible string comes from a catalogue (i18n/es.json, i18n/en.json).
// The language follows the browser, can be switched, and is remembered.
const LANGS = ["es", "en"];
let strings = {};
let fallback = {};
let lang = "es";

export function chosenLanguage() {
  const saved = localStorage.getItem("caracol.lang");
  if (LANGS.includes(saved)) return saved;
  for (const l of navigator.languages ?? [navigator.language]) {
    const base = (l || "").slice(0, 2).toLowerCase();
    if (LANGS.includes(base)) return base;
  }
  return "es";
}

async function load(l) {
  const r = await fetch(`/web/i18n/${l}.json`);
  return r.json();
}

export async function setLanguage(l, remember = false) {
  lang = LANGS.includes(l) ? l : "es";
  strings = await load(lang);
  if (lang !== "en" && !Object.keys(fallback).length) fallback = await load("en");
  if (remember) localStorage.setItem("caracol.lang", lang);
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-aria]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAria));
  }
  return lang;
}

export const language = () => lang;

export function t(key, vars = {}) {
  let s = strings[key] ?? fallback[key] ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}
