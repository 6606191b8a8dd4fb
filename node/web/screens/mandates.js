// Delegates and mandates: who is mandated for what, until when, elected or
// not; the vote that elects a nominee; the recall vote; and the carried
// resolutions that still need an implementation delegate.
import * as core from "/core/index.js";
import { t } from "../i18n.js";
import { h, person, show, when } from "../ui.js";
import { state, view } from "../net.js";
import { closeButton, tally, voteButtons } from "./common.js";

function mandateItem(m, titles) {
  const label = t("mandate.line", { name: person(m.delegate), title: titles.get(m.resolution) ?? m.resolution.slice(0, 8) });
  const recall = m.recall_tally;
  return h("li", { class: "card" }, h("h3", {}, label),
    h("p", {}, t("mandate.scope_line", { scope: m.scope })),
    h("p", { class: "muted" }, h("span", { class: "stage" }, t(`mandate.status.${m.status}`)), " ", t("mandate.expires", { when: when(m.expires) })),
    m.stage === "motion" ? tally(m) : null,
    m.actions.includes("vote") ? h("div", {}, h("p", {}, t("mandate.elect_help")), voteButtons(m.id, label)) : null,
    m.actions.includes("close") || m.actions.includes("cosign_close") ? closeButton(m) : null,
    m.status === "in_force" || m.actions.includes("recall")
      ? h("p", {}, t("mandate.recall_tally", { for: recall.for, against: recall.against, electorate: recall.electorate })) : null,
    m.actions.includes("recall")
      ? h("div", {}, h("p", {}, t("mandate.recall_help")),
        voteButtons(m.id, t("mandate.recall", { name: person(m.delegate) }), (choice) => [core.KIND.recall_vote, core.payloads.recall_vote(core.unhex(m.id), choice)]))
      : null);
}

export async function mandatesScreen() {
  if (!state.body) return show(t("mandates.title"), h("p", {}, t("no_body")));
  const [{ mandates }, { proposals }] = await Promise.all([view("mandates"), view("proposals")]);
  const titles = new Map(proposals.map((p) => [p.id, p.title]));
  const carried = proposals.filter((p) => p.actions.includes("nominate_mandate"));
  show(t("mandates.title"),
    h("p", {}, t("mandates.intro")),
    mandates.length ? h("ul", { class: "list" }, mandates.slice().reverse().map((m) => mandateItem(m, titles))) : h("p", {}, t("mandates.none")),
    carried.length ? h("section", { "aria-labelledby": "need-h" }, h("h2", { id: "need-h" }, t("mandates.nominate_title")),
      h("ul", { class: "list" }, carried.map((p) => h("li", {}, h("a", { href: `#/p/${p.id}` }, t("mandates.nominate_for", { title: p.title }))))))
      : null);
}
