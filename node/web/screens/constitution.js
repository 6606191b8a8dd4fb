// The constitution in force: every parameter with its value and bounds,
// the amendments under way (they go through the same process as any
// proposal), and a form to propose one.
import * as core from "/core/index.js";
import { t } from "../i18n.js";
import { announce, field, h, show } from "../ui.js";
import { getJSON, state, view } from "../net.js";
import { perform } from "../app.js";
import { facts, tally } from "./common.js";

function shown(p) {
  if (p.kind === "seconds") {
    const s = Number(p.value);
    return s % 86400 === 0 && s ? t("const.days", { days: s / 86400 }) : t("const.seconds", { seconds: s });
  }
  if (p.kind === "share") {
    const [n, d] = p.value.split("/").map(Number);
    const pct = Math.round((n / (d || 1)) * 1000) / 10;
    return `${p.value} (${pct} %)`;
  }
  return p.value;
}

/** "2/3", "0.5", "66%" or an integer → [num, den]; null if not a number. */
export function parseValue(text, kind) {
  const s = text.trim().replace(",", ".");
  let m = /^(\d+)\s*\/\s*(\d+)$/.exec(s);
  if (m && Number(m[2]) > 0) return [Number(m[1]), Number(m[2])];
  if (kind === "seconds" && (m = /^(\d+)\s*d$/i.exec(s))) return [Number(m[1]) * 86400, 1];
  m = /^(\d+)(?:\.(\d+))?\s*(%?)$/.exec(s);
  if (!m) return null;
  const frac = m[2] ?? "";
  let num = Number(m[1] + frac);
  let den = 10 ** frac.length;
  if (m[3]) den *= 100;
  return [num, den];
}

function amendForm(c) {
  // the federation-level parameters change only with the people's constitution
  const choices = c.parameters.filter((p) => !p.federal);
  const sel = h("select", { required: true }, choices.map((p) => h("option", { value: String(p.number) }, t(`param.${p.name}`))));
  const [selRow] = field(t("const.parameter"), sel);
  const [valRow, val] = field(t("const.new_value"), h("input", { type: "text", required: true, inputmode: "decimal" }));
  const [whyRow, why] = field(t("const.rationale"), h("textarea", { maxlength: "2000" }));
  const hint = h("p", { class: "muted", id: "const-hint" });
  const update = () => {
    const p = choices.find((x) => String(x.number) === sel.value);
    hint.textContent = t("const.bounds", { value: shown(p), low: p.low, high: p.high });
  };
  sel.addEventListener("change", update);
  update();
  val.setAttribute("aria-describedby", "const-hint");
  return h("form", { class: "card", "aria-labelledby": "camend-h", onsubmit: async (e) => {
    e.preventDefault();
    const p = choices.find((x) => String(x.number) === sel.value);
    const v = parseValue(val.value, p.kind);
    if (!v) return announce(t("const.bad_value"), true);
    await perform(core.KIND.constitution_amendment,
      core.payloads.constitution_amendment(c.version + 1, [[p.number, v[0], v[1]]], why.value.trim()));
  } }, h("h2", { id: "camend-h" }, t("const.amend_heading")), h("p", {}, t("const.amend_help")),
  selRow, hint, valRow, whyRow, h("button", { type: "submit" }, t("const.propose")));
}

const hexToBytes = (hex) => Uint8Array.from(hex.match(/../g), (b) => parseInt(b, 16));

/** The people's constitution: its articles, the version in force here, and
 *  — when a newer version was ratified — the member's adoption of it. */
function initiativeForm(collective, version) {
  const [numRow, num] = field(t("people.number"), h("input", { type: "number", min: "1", max: "999", required: true }));
  const [titleRow, title] = field(t("people.article_title"), h("input", { type: "text", maxlength: "120" }));
  const [textRow, text] = field(t("people.article_text"), h("textarea", { maxlength: "2000" }));
  const [whyRow, why] = field(t("const.rationale"), h("textarea", { maxlength: "2000" }));
  return h("form", { class: "card", "aria-labelledby": "init-h", onsubmit: async (e) => {
    e.preventDefault();
    const article = [Number(num.value), title.value.trim(), text.value.trim()];
    await perform(core.KIND.constitution_initiative,
      core.payloads.constitution_initiative(version + 1, [], [article], why.value.trim()),
      { body: collective });
  } }, h("h3", { id: "init-h" }, t("people.propose_heading")), h("p", {}, t("people.propose_help")),
  numRow, titleRow, textRow, whyRow, h("button", { type: "submit" }, t("people.propose")));
}

async function peopleSection(pc, member) {
  let adopt = null;
  const top = pc.collective ? await getJSON(`/v0/bodies/${pc.collective}/constitution/people`) : null;
  if (pc.superseded && member && top) {
    const next = (top.initiatives ?? []).find((i) => i.verified && i.version === pc.version + 1);
    if (next) {
      adopt = h("button", { type: "button", onclick: () => perform(core.KIND.constitution_adoption,
        core.payloads.constitution_adoption(hexToBytes(pc.collective), hexToBytes(next.ratification),
          next.version, hexToBytes(next.constitution))) }, t("people.adopt", { version: next.version }));
    }
  }
  return h("section", { "aria-labelledby": "people-h" },
    h("h2", { id: "people-h" }, t("people.title", { version: pc.version })),
    h("p", {}, t("people.help")),
    pc.superseded ? h("p", { class: "card", role: "status" }, t("people.superseded", { version: pc.latest.version }), " ", adopt) : null,
    h("ol", { class: "list" }, pc.articles.map((a) => h("li", { class: "card", value: String(a.number) },
      h("h3", {}, t("people.article", { number: a.number, title: a.title })), h("p", {}, a.text)))),
    top && state.seed ? initiativeForm(pc.collective, top.version) : null);
}

export async function constitutionScreen() {
  if (!state.body) return show(t("const.title"), h("p", {}, t("no_body")));
  const [c, { proposals }, { people }, pc] = await Promise.all(
    [view("constitution"), view("proposals"), view("people"), view("constitution/people")]);
  const member = people.some((p) => p.key === state.keyHex && p.member);
  const peoples = await peopleSection(pc, member);
  const amendments = proposals.filter((p) => p.kind === "constitution");
  show(t("const.title"),
    h("p", {}, t("const.version", { version: c.version, kind: t(`body_kind.${c.body_kind}`) })),
    h("table", {}, h("caption", {}, t("const.caption")),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("const.parameter")), h("th", { scope: "col" }, t("const.value")))),
      h("tbody", {}, c.parameters.map((p) => h("tr", {},
        h("th", { scope: "row" }, t(`param.${p.name}`), p.federal ? h("span", { class: "muted" }, ` (${t("const.federal")})`) : null),
        h("td", {}, shown(p)))))),
    amendments.length ? h("section", { "aria-labelledby": "cam-h" }, h("h2", { id: "cam-h" }, t("const.amendments")),
      h("ul", { class: "list" }, amendments.slice().reverse().map((a) => h("li", { class: "card" },
        h("h3", {}, h("a", { href: `#/p/${a.id}` }, a.title || t("const.amendment"))), facts(a), tally(a))))) : null,
    member ? amendForm(c) : null,
    peoples);
}
