// Members: who is in the Community (by name), the admissions and removals
// open to a vote, admitting a newcomer by the key text they show, leaving,
// and moving my membership to a new key (rotation).
import * as core from "/core/index.js";
import { t } from "../i18n.js";
import { announce, field, h, person, show } from "../ui.js";
import { state, view } from "../net.js";
import { perform, useSeed } from "../app.js";
import { closeButton, tally, voteButtons } from "./common.js";

function admitForm() {
  const [keyRow, key] = field(t("people.key_field"), h("input", { type: "text", required: true, autocomplete: "off", spellcheck: "false", placeholder: "ck1…" }));
  const [nameRow, name] = field(t("people.name_field"), h("input", { type: "text", maxlength: "64" }));
  const [noteRow, note] = field(t("people.note_field"), h("input", { type: "text", maxlength: "280" }));
  return h("form", { class: "card", "aria-labelledby": "admit-h", onsubmit: async (e) => {
    e.preventDefault();
    let k;
    try { k = core.keyFromText(key.value.trim()); } catch (err) {
      return announce(t("people.bad_key", { reason: err.message }), true);
    }
    await perform(core.KIND.admit, core.payloads.admit(k, name.value.trim(), note.value.trim()));
  } }, h("h2", { id: "admit-h" }, t("people.admit_heading")), h("p", {}, t("people.admit_help")),
  keyRow, nameRow, noteRow, h("button", { type: "submit" }, t("people.admit")));
}

function motionItem(m) {
  const what = m.kind === "admission" ? t("motion.admit", { name: m.name || person(m.member) }) : t("motion.remove", { name: person(m.member) });
  return h("li", { class: "card" }, h("h3", {}, what),
    m.note ? h("p", {}, m.note) : null,
    h("p", { class: "muted" }, h("span", { class: "stage" }, t(`stage.${m.stage}`))), tally(m),
    m.actions.includes("vote") ? voteButtons(m.id, what) : null,
    m.actions.includes("close") || m.actions.includes("cosign_close") ? closeButton(m) : null);
}

function removeForm(p) {
  const [row, reason] = field(t("people.reason_field"), h("input", { type: "text", required: true, maxlength: "280" }));
  return h("details", { "data-key": `remove-${p.key}` }, h("summary", {}, t("people.remove", { name: person(p) })),
    h("form", { onsubmit: async (e) => {
      e.preventDefault();
      await perform(core.KIND.leave, core.payloads.leave(core.unhex(p.key), reason.value.trim()));
    } }, row, h("button", { type: "submit", class: "secondary" }, t("people.move_remove"))));
}

function rotateCard() {
  return h("section", { class: "card", "aria-labelledby": "rotate-h" },
    h("h2", { id: "rotate-h" }, t("people.rotate_heading")), h("p", {}, t("people.rotate_help")),
    h("button", { type: "button", class: "secondary", onclick: async () => {
      if (!window.confirm(t("people.rotate_confirm"))) return;
      const oldSeed = state.seed;
      const newSeed = core.randomSeed();
      const newKey = await core.publicKey(newSeed);
      const proof = await core.rotationProof(newSeed, core.unhex(state.body), state.key);
      const answer = await perform(core.KIND.rotate_key, core.payloads.rotate_key(newKey, proof), { seed: oldSeed });
      if (answer && (answer.queued || (answer.status !== "rejected" && answer.process?.taken !== false))) {
        await useSeed(newSeed);
        announce(t("people.rotated"));
        location.hash = "#/key";
      }
    } }, t("people.rotate")));
}

export async function peopleScreen() {
  if (!state.body) return show(t("people.title"), h("p", {}, t("no_body")));
  const [{ people }, { motions }] = await Promise.all([view("people"), view("motions")]);
  const members = people.filter((p) => p.member);
  const me = members.find((p) => p.key === state.keyHex);
  const open = motions.filter((m) => !["adopted", "rejected"].includes(m.stage));
  show(t("people.title"),
    h("p", {}, t("people.count", { count: members.length })),
    h("ul", { class: "list", "aria-label": t("people.title") }, members.map((p) => h("li", { class: "comment" },
      h("strong", {}, person(p)), p.key === state.keyHex ? ` (${t("people.you")})` : "",
      me && p.key !== state.keyHex ? removeForm(p) : null))),
    open.length ? h("section", { "aria-labelledby": "motions-h" }, h("h2", { id: "motions-h" }, t("motions.title")), h("ul", { class: "list" }, open.map(motionItem))) : null,
    me ? admitForm() : h("p", {}, t("key.not_member")),
    me ? rotateCard() : null,
    me ? h("section", { class: "card", "aria-labelledby": "leave-h" }, h("h2", { id: "leave-h" }, t("people.leave_heading")), h("p", {}, t("people.leave_help")),
      h("button", { type: "button", class: "secondary", onclick: async () => {
        if (!window.confirm(t("people.leave_confirm"))) return;
        await perform(core.KIND.leave, core.payloads.leave(state.key, ""));
      } }, t("people.leave"))) : null);
}
