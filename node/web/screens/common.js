// Pieces several screens share: the summary of a subject, vote buttons.
import * as core from "/core/index.js";
import { t } from "../i18n.js";
import { h, person, stageName, when } from "../ui.js";
import { perform } from "../app.js";

export function tally(s) {
  if (!s.tally) return null;
  const x = s.tally;
  return h("p", {}, t("tally", { for: x.for, against: x.against, abstain: x.abstain, electorate: x.electorate }));
}

export function facts(s) {
  return h("p", { class: "muted" },
    h("span", { class: "stage" }, stageName(s.stage)), " ",
    t("facilitator", { name: person(s.facilitator) }), " · ",
    s.deadline ? t("deadline", { when: when(s.deadline) }) : t("no_deadline"));
}

export function voteButtons(subjectHex, label, build = (choice) => [core.KIND.vote, core.payloads.vote(core.unhex(subjectHex), choice)]) {
  const b = (name, choice, cls) => h("button", { type: "button", class: cls, onclick: () => perform(...build(choice)) }, t(`choice.${name}`));
  return h("div", { class: "row", role: "group", "aria-label": label },
    b("for", core.CHOICE.for, null), b("against", core.CHOICE.against, "secondary"), b("abstain", core.CHOICE.abstain, "secondary"));
}

export function closeButton(s) {
  const label = s.actions.includes("close") ? t("action.close") : t("action.cosign_close");
  return h("button", { type: "button", class: "secondary", onclick: () =>
    perform(core.KIND.close, core.payloads.close(core.unhex(s.id), s.stage_number)) }, label);
}
