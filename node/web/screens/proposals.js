// The Community's proposals: stage, deadline, tally so far, facilitator by
// name; the motions (admissions, removals) open to a vote; a new proposal.
import * as core from "/core/index.js";
import { t } from "../i18n.js";
import { field, h, person, show, stageName } from "../ui.js";
import { getJSON, state, view } from "../net.js";
import { perform } from "../app.js";
import { closeButton, facts, tally, voteButtons } from "./common.js";

function proposalCard(s) {
  const mine = s.actions.length ? h("p", {}, t("you_can", { actions: s.actions.map((a) => t(a.endsWith("close") ? `you_can.${a}` : `action.${a}`)).join(", ") })) : null;
  return h("li", { class: "card" },
    h("h2", {}, h("a", { href: `#/p/${s.id}` }, s.title || t("untitled"))),
    facts(s), s.origin ? h("p", { class: "muted" }, t("origin.from_higher")) : null,
    s.verdict ? h("p", {}, t("verdict.line", { outcome: t(`outcome.${s.verdict.outcome}`) })) : null,
    tally(s), mine);
}

function motionCard(m) {
  const what = m.kind === "admission" ? t("motion.admit", { name: m.name || person(m.member) }) : t("motion.remove", { name: person(m.member) });
  return h("li", { class: "card" }, h("h3", {}, what), h("p", { class: "muted" }, h("span", { class: "stage" }, stageName(m.stage))), tally(m),
    m.actions.includes("vote") ? voteButtons(m.id, what) : null,
    m.actions.includes("close") || m.actions.includes("cosign_close") ? closeButton(m) : null);
}

function newProposal() {
  const [titleRow, title] = field(t("new.title_field"), h("input", { type: "text", maxlength: "200", required: true }));
  const [textRow, text] = field(t("new.text_field"), h("textarea", { required: true }));
  const [scopeRow, scope] = field(t("new.scope_field"), h("input", { type: "text", maxlength: "200" }));
  return h("form", { class: "card", "aria-labelledby": "new-p", onsubmit: async (e) => {
    e.preventDefault();
    await perform(core.KIND.proposal, core.payloads.proposal(title.value.trim(), text.value, scope.value.trim()));
  } }, h("h2", { id: "new-p" }, t("new.heading")), titleRow, textRow, scopeRow, h("button", { type: "submit" }, t("new.submit")));
}

/** The parent body's carried resolutions this node holds: each one the
 *  Community has not taken up yet can be presented to it (a proposal
 *  whose origin names the resolution; spec/process.md §10). */
export async function parentOf(bodyId) {
  const b = await getJSON(`/v0/bodies/${bodyId}`);
  const parent = b.genesis?.payload?.[2];
  return parent && typeof parent === "object" ? parent.bin : null;
}

async function higherSection(proposals) {
  const parent = await parentOf(state.body);
  const higher = state.bodies.find((b) => b.id === parent);
  if (!higher) return null;
  const { proposals: theirs } = await getJSON(`/v0/bodies/${parent}/proposals`);
  const taken = new Set(proposals.filter((p) => p.origin).map((p) => p.origin.proposal));
  const waiting = theirs.filter((r) => r.kind === "proposal" && r.stage === "carried" && !taken.has(r.id));
  if (!waiting.length) return null;
  return h("section", { "aria-labelledby": "higher-h" }, h("h2", { id: "higher-h" }, t("higher.title", { name: higher.name })),
    h("p", {}, t("higher.help")),
    h("ul", { class: "list" }, waiting.map((r) => h("li", { class: "card" }, h("h3", {}, r.title || t("untitled")),
      h("button", { type: "button", onclick: async () => {
        const full = await getJSON(`/v0/bodies/${parent}/proposals/${r.id}`);
        await perform(core.KIND.proposal, core.payloads.proposal(full.title.slice(0, 120), full.text, full.scope ?? "", core.unhex(parent), core.unhex(r.id)));
      } }, t("higher.present"))))));
}

export async function proposalsScreen() {
  if (!state.body) return show(t("proposals.title"), h("p", {}, t("no_body")));
  const [{ proposals }, { motions }, { people }] = await Promise.all([view("proposals"), view("motions"), view("people")]);
  const member = people.some((p) => p.key === state.keyHex && p.member);
  const open = proposals.filter((p) => p.kind === "proposal").reverse();
  const higher = member ? await higherSection(proposals).catch(() => null) : null;
  const liveMotions = motions.filter((m) => !["adopted", "rejected"].includes(m.stage));
  show(t("proposals.title"),
    state.seed ? null : h("p", {}, h("a", { href: "#/key" }, t("need_key"))),
    open.length ? h("ul", { class: "list", "aria-label": t("proposals.title") }, open.map(proposalCard)) : h("p", {}, t("proposals.none")),
    liveMotions.length ? h("section", { "aria-labelledby": "motions" }, h("h2", { id: "motions" }, t("motions.title")), h("ul", { class: "list" }, liveMotions.map(motionCard))) : null,
    higher,
    member ? newProposal() : null);
}
