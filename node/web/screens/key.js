// My key: create or restore it (from the backup file of spec/keys.md),
// back it up, set my name, and — before I am a member — show the key text
// a member admits me with. The seed stays on this device.
import * as core from "/core/index.js";
import { t } from "../i18n.js";
import { announce, field, h, show } from "../ui.js";
import { state, view } from "../net.js";
import { adoptKey, chooseBody, perform, route, useSeed } from "../app.js";

function download(bytes, name) {
  const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
  const a = h("a", { href: url, download: name }, name);
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function noKey() {
  const create = h("button", { type: "button", onclick: async () => {
    await adoptKey(core.randomSeed());
    announce(t("key.created"));
    if (location.hash === "#/key") await route();
    else location.hash = "#/key";
  } }, t("key.create"));
  const [fileRow, file] = field(t("key.backup_file"), h("input", { type: "file", accept: ".key,application/octet-stream" }));
  const [passRow, pass] = field(t("key.passphrase"), h("input", { type: "password", autocomplete: "current-password" }));
  const restore = h("form", { onsubmit: async (e) => {
    e.preventDefault();
    const f = file.files?.[0];
    if (!f) return announce(t("key.choose_file"), true);
    try {
      const seed = await core.unsealKeystore(new Uint8Array(await f.arrayBuffer()), pass.value);
      await adoptKey(seed);
      announce(t("key.restored"));
      if (location.hash === "#/key") await route();
      else location.hash = "#/key";
    } catch (err) {
      announce(t("key.restore_failed", { reason: err.reason ?? err.message }), true);
    }
  } }, fileRow, passRow, h("button", { type: "submit" }, t("key.restore")));
  show(t("key.title"),
    h("p", {}, t("key.intro")),
    h("section", { class: "card", "aria-labelledby": "new-key" }, h("h2", { id: "new-key" }, t("key.new")), h("p", {}, t("key.new_help")), create),
    h("section", { class: "card", "aria-labelledby": "restore-key" }, h("h2", { id: "restore-key" }, t("key.restore_title")), restore));
}

async function haveKey() {
  const text = core.keyToText(state.key);
  const people = state.body ? (await view("people")).people : [];
  const me = people.find((p) => p.key === state.keyHex);
  const member = Boolean(me?.member);
  const parts = [];
  parts.push(h("section", { class: "card", "aria-labelledby": "my-key" },
    h("h2", { id: "my-key" }, t("key.mine")),
    h("p", { class: "keytext", id: "key-text" }, text),
    h("p", {}, member ? t("key.member_as", { name: me.name || t("key.no_name") }) : t("key.not_member")),
    member ? null : h("p", {}, t("key.join_help"))));
  if (member) {
    const [nameRow, name] = field(t("key.my_name"), h("input", { type: "text", maxlength: "64", value: me.name ?? "", autocomplete: "name" }));
    parts.push(h("form", { class: "card", onsubmit: async (e) => {
      e.preventDefault();
      if (!name.value.trim()) return announce(t("key.name_empty"), true);
      await perform(core.KIND.name, core.payloads.name(state.key, name.value.trim()));
    } }, nameRow, h("button", { type: "submit" }, t("key.set_name"))));
  }
  const [p1Row, p1] = field(t("key.new_passphrase"), h("input", { type: "password", autocomplete: "new-password" }));
  const [p2Row, p2] = field(t("key.again"), h("input", { type: "password", autocomplete: "new-password" }));
  parts.push(h("form", { class: "card", "aria-labelledby": "backup", onsubmit: async (e) => {
    e.preventDefault();
    if (p1.value.length < 8) return announce(t("key.pass_short"), true);
    if (p1.value !== p2.value) return announce(t("key.pass_differ"), true);
    announce(t("key.sealing"));
    const bytes = await core.sealKeystore(state.seed, p1.value);
    download(bytes, `caracol-${text.slice(3, 11)}.key`);
    announce(t("key.backed_up"));
  } }, h("h2", { id: "backup" }, t("key.backup")), h("p", {}, t("key.backup_help")), p1Row, p2Row,
     h("button", { type: "submit" }, t("key.download"))));
  if (state.bodies.length > 1) {
    const sel = h("select", { id: "body-select" }, state.bodies.map((b) => h("option", { value: b.id, selected: b.id === state.body }, b.name || b.id.slice(0, 12))));
    parts.push(h("form", { class: "card", onsubmit: async (e) => {
      e.preventDefault(); await chooseBody(sel.value); await route();
    } }, h("label", { for: "body-select" }, t("key.body")), sel, h("button", { type: "submit" }, t("key.switch"))));
  }
  parts.push(h("section", { class: "card" }, h("h2", {}, t("key.forget_title")), h("p", {}, t("key.forget_help")),
    h("button", { type: "button", class: "secondary", onclick: async () => {
      if (!window.confirm(t("key.forget_confirm"))) return;
      await useSeed(null); announce(t("key.forgotten")); await route();
    } }, t("key.forget"))));
  show(t("key.title"), ...parts);
}

export async function keyScreen() {
  if (!state.seed) return noKey();
  return haveKey();
}
