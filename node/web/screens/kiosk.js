// The shared device (kiosk): a member without a phone shows their key card
// to the camera (or picks a photo of it), types the PIN, votes (or, having
// voted against, files a grievance), and the key is wiped from the device
// at once. Nothing of the card is stored here;
// the signed message goes through the same outbox as any other.
import * as core from "/core/index.js";
import { t } from "../i18n.js";
import { announce, field, h, person, show } from "../ui.js";
import { state, view } from "../net.js";
import { scanCard, wipe } from "../cards.js";
import { tell } from "../app.js";

const IDLE_MS = 120_000;
let session = null; // {card, info, seed, key, timer}

function end(message = null) {
  if (session) {
    wipe(session.seed);
    clearTimeout(session.timer);
  }
  session = null;
  if (message) announce(message);
  kioskScreen();
}

function touch() {
  if (!session) return;
  clearTimeout(session.timer);
  session.timer = setTimeout(() => end(t("kiosk.timeout")), IDLE_MS);
}

/** A card photo -> its bytes and who it is for; refuses another body's card. */
export async function readCardFile(file) {
  const card = await scanCard(file);
  const info = core.readCard(card);
  if (core.hex(info.body) !== state.body) {
    throw new core.CoreError("damaged_card", t("kiosk.other_body", { name: info.name }));
  }
  return { card, info };
}

export function cardField(labelKey) {
  return field(t(labelKey), h("input", { type: "file", accept: "image/*", capture: "environment" }));
}

function start() {
  const [fileRow, file] = cardField("kiosk.card_photo");
  return h("form", { class: "card", "aria-labelledby": "kiosk-start", onsubmit: async (e) => {
    e.preventDefault();
    const f = file.files?.[0];
    if (!f) return announce(t("kiosk.choose_photo"), true);
    try {
      announce(t("kiosk.reading"));
      const { card, info } = await readCardFile(f);
      session = { card, info, seed: null, key: info.publicKey, timer: null };
      touch();
      kioskScreen();
    } catch (err) {
      announce(t("kiosk.card_failed", { reason: err.reason ?? err.message }), true);
    }
  } }, h("h2", { id: "kiosk-start" }, t("kiosk.start")), h("p", {}, t("kiosk.start_help")),
  fileRow, h("button", { type: "submit" }, t("kiosk.read")));
}

function pin() {
  const [pinRow, input] = field(t("kiosk.pin"), h("input", { type: "password", autocomplete: "off", required: true }));
  return h("form", { class: "card", onsubmit: async (e) => {
    e.preventDefault();
    touch();
    try {
      announce(t("kiosk.opening"));
      const { seed } = await core.openCard(session.card, input.value);
      input.value = "";
      session.seed = seed;
      kioskScreen();
    } catch (err) {
      input.value = "";
      announce(t("kiosk.card_failed", { reason: err.reason ?? err.message }), true);
    }
  } }, h("h2", {}, t("kiosk.hello", { name: session.info.name })), pinRow,
  h("div", { class: "row" }, h("button", { type: "submit" }, t("kiosk.open")),
    h("button", { type: "button", class: "secondary", onclick: () => end(t("kiosk.cancelled")) }, t("kiosk.cancel"))));
}

async function votes() {
  const member = core.hex(session.key);
  const [{ proposals }, { motions }, { mandates }] = await Promise.all([
    view("proposals", { member }), view("motions", { member }), view("mandates", { member })]);
  const open = [...proposals, ...motions, ...mandates].filter((s) => s.actions.includes("vote"));
  const concerns = proposals.filter((s) => s.actions.includes("grievance"));
  const sign = async (kind, payload) => {
    touch();
    const { act } = await import("../net.js");
    try {
      const answer = await act(kind, payload, { seed: session.seed, key: session.key });
      tell(answer);
      end(t("kiosk.signed"));
    } catch (err) {
      announce(t("answer.failed", { reason: err.message }), true);
    }
  };
  const grievance = (s) => {
    const [catRow, cat] = field(t("grievance.category"), h("input", { type: "text", required: true, maxlength: "64" }));
    const [textRow, text] = field(t("grievance.text"), h("textarea", { maxlength: "2000" }));
    const db = h("input", { type: "checkbox", id: `db-${s.id.slice(0, 8)}` });
    return h("li", { class: "card" }, h("h3", {}, s.title || t("untitled")),
      h("form", { onsubmit: (e) => {
        e.preventDefault();
        if (!cat.value.trim()) return announce(t("grievance.need_category"), true);
        return sign(core.KIND.grievance, core.payloads.grievance(core.unhex(s.id), cat.value.trim(), db.checked, text.value));
      } }, h("p", {}, t("grievance.help")), catRow, textRow,
      h("label", { class: "inline", for: db.id }, db, t("grievance.deal_breaker")),
      h("button", { type: "submit" }, t("grievance.send"))));
  };
  const item = (s) => {
    const title = s.title || (s.kind === "admission" ? t("motion.admit", { name: s.name || person(s.member) })
      : s.kind === "removal" ? t("motion.remove", { name: person(s.member) })
        : s.kind === "mandate" ? t("mandate.line", { name: person(s.delegate), title: s.scope }) : t("untitled"));
    const cast = (choice) => () => sign(core.KIND.vote, core.payloads.vote(core.unhex(s.id), choice));
    const b = (name, choice, cls) => h("button", { type: "button", class: cls, onclick: cast(choice) }, t(`choice.${name}`));
    return h("li", { class: "card" }, h("h3", {}, title), h("p", { class: "muted" }, h("span", { class: "stage" }, t(`stage.${s.stage}`))),
      h("div", { class: "row", role: "group", "aria-label": title },
        b("for", core.CHOICE.for, null), b("against", core.CHOICE.against, "secondary"), b("abstain", core.CHOICE.abstain, "secondary")));
  };
  return h("section", { "aria-labelledby": "kiosk-votes" },
    h("h2", { id: "kiosk-votes" }, t("kiosk.votes", { name: session.info.name })),
    open.length || concerns.length ? null : h("p", {}, t("kiosk.nothing")),
    open.length ? h("ul", { class: "list" }, open.map(item)) : null,
    concerns.length ? h("section", { "aria-labelledby": "kiosk-concerns" },
      h("h3", { id: "kiosk-concerns" }, t("grievance.heading")), h("ul", { class: "list" }, concerns.map(grievance))) : null,
    h("button", { type: "button", class: "secondary", onclick: () => end(t("kiosk.wiped")) }, t("kiosk.finish")));
}

export async function kioskScreen() {
  if (!state.body) return show(t("kiosk.title"), h("p", {}, t("no_body")));
  const intro = h("p", {}, t("kiosk.intro"));
  if (!session) return show(t("kiosk.title"), intro, start());
  if (!session.seed) return show(t("kiosk.title"), pin());
  return show(t("kiosk.title"), await votes());
}
