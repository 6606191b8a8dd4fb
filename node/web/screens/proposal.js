// One proposal: its text with the amendments shown as changes, the
// discussion (replies, stances), the grievances by category with their
// delegates and pleas, the friendly amendments, the tallies, the minutes,
// and the action the open stage takes for this member.
import * as core from "/core/index.js";
import { t } from "../i18n.js";
import { announce, field, h, person, show, uid, when } from "../ui.js";
import { getJSON, state, view } from "../net.js";
import { perform } from "../app.js";
import { wipe } from "../cards.js";
import { cardField, readCardFile } from "./kiosk.js";
import { closeButton, facts, tally, voteButtons } from "./common.js";

const B = (x) => core.unhex(x);

/** The text as runs: what amendments inserted underlined, what they
 *  deleted struck through (the document of spec/text.md, as the node
 *  folds it). */
function documentView(s) {
  if (!s.document?.length) return h("div", { class: "text" }, s.text ?? "");
  const parts = s.document.map(([msg, , text, deleted]) => {
    if (deleted) return h("del", { "aria-label": t("text.deleted", { text }) }, text);
    if (msg !== s.id) return h("ins", { "aria-label": t("text.inserted", { text }) }, text);
    return text;
  });
  return h("div", { class: "text", id: "proposal-text" }, parts);
}

function changesView(changes) {
  return h("div", { class: "text" }, changes.map(([what, text]) => {
    if (what === "insert") return h("ins", { "aria-label": t("text.inserted", { text }) }, text);
    if (what === "delete") return h("del", { "aria-label": t("text.deleted", { text }) }, text);
    return text;
  }));
}

function stanceLabel(stance) {
  return stance && stance !== "neutral" ? h("span", { class: "stage" }, t(`stance.${stance}`)) : null;
}

function commentForm(s, replyTo = null) {
  const [textRow, text] = field(replyTo ? t("comment.reply_field") : t("comment.field"), h("textarea", { required: true, maxlength: "4000" }));
  const stance = h("select", {}, ["neutral", "support", "oppose"].map((x) => h("option", { value: x }, t(`stance.${x}`))));
  const [stanceRow] = field(t("comment.stance"), stance);
  return h("form", { class: replyTo ? "reply" : "card", onsubmit: async (e) => {
    e.preventDefault();
    if (!text.value.trim()) return announce(t("comment.empty"), true);
    await perform(core.KIND.comment, core.payloads.comment(B(s.id), replyTo ? B(replyTo) : null, core.STANCE[stance.value], text.value));
  } }, replyTo ? null : h("h3", {}, t("comment.heading")), textRow, stanceRow,
  h("button", { type: "submit" }, replyTo ? t("comment.reply") : t("comment.send")));
}

function discussion(s) {
  const byParent = new Map();
  for (const c of s.comments) {
    const k = c.reply_to ?? "";
    if (!byParent.has(k)) byParent.set(k, []);
    byParent.get(k).push(c);
  }
  const canComment = s.actions.includes("comment");
  const thread = (parent, depth) => (byParent.get(parent) ?? []).map((c) => {
    const replies = thread(c.id, depth + 1);
    const reply = canComment ? h("details", { "data-key": `reply-${c.id}` }, h("summary", {}, t("comment.reply")), commentForm(s, c.id)) : null;
    return h("li", { class: "comment" },
      h("p", { class: "muted" }, h("strong", {}, person(c.author)), " · ", when(c.time), " ", stanceLabel(c.stance)),
      h("p", { class: "text" }, c.text), reply,
      replies.length ? h("ul", { class: "list", "aria-label": t("comment.replies") }, replies) : null);
  });
  const top = thread("", 0);
  // replies to comments this view does not hold still show, at the top level
  const known = new Set(s.comments.map((c) => c.id));
  const orphans = s.comments.filter((c) => c.reply_to && !known.has(c.reply_to));
  return h("section", { id: "discussion", "aria-labelledby": "discussion-h" },
    h("h2", { id: "discussion-h" }, t("comment.title", { count: s.comments.length })),
    top.length || orphans.length ? h("ul", { class: "list" }, top, orphans.map((c) => h("li", { class: "comment" },
      h("p", { class: "muted" }, h("strong", {}, person(c.author)), " · ", when(c.time)), h("p", { class: "text" }, c.text)))) : h("p", {}, t("comment.none")),
    canComment ? commentForm(s) : null);
}

async function candidates() {
  const { people } = await view("people");
  return people.filter((p) => p.member);
}

function personSelect(people, label, selected = null) {
  const sel = h("select", { required: true }, people.map((p) => h("option", { value: p.key, selected: p.key === selected }, person(p))));
  return field(label, sel);
}

function grievanceForm(s) {
  const cats = [...new Set(s.grievances.map((g) => g.category))];
  const listId = uid("cats");
  const [catRow, cat] = field(t("grievance.category"), h("input", { type: "text", required: true, maxlength: "64", list: listId }));
  const [textRow, text] = field(t("grievance.text"), h("textarea", { maxlength: "2000" }));
  const db = h("input", { type: "checkbox", id: uid("db") });
  return h("form", { class: "card", onsubmit: async (e) => {
    e.preventDefault();
    if (!cat.value.trim()) return announce(t("grievance.need_category"), true);
    await perform(core.KIND.grievance, core.payloads.grievance(B(s.id), cat.value.trim(), db.checked, text.value));
  } }, h("h3", {}, t("grievance.heading")), h("p", {}, t("grievance.help")), catRow,
  h("datalist", { id: listId }, cats.map((c) => h("option", { value: c }))), textRow,
  h("label", { class: "inline", for: db.id }, db, t("grievance.deal_breaker")),
  h("button", { type: "submit" }, t("grievance.send")));
}

function grievancesView(s, people) {
  if (!s.grievances.length) return null;
  const can = (a) => s.actions.includes(a);
  return h("section", { id: "grievances", "aria-labelledby": "grievances-h" }, h("h2", { id: "grievances-h" }, t("grievance.title")),
    s.grievances.map((g) => {
      const pleas = s.pleas.filter((p) => p.category === g.category);
      let elect = null;
      if (can("elect_delegate") && people) {
        const [row, sel] = personSelect(people, t("delegate.candidate"), g.delegate?.key);
        elect = h("form", { class: "row", onsubmit: async (e) => {
          e.preventDefault();
          await perform(core.KIND.delegate_elect, core.payloads.delegate_elect(B(s.id), g.category, B(sel.value)));
        } }, row, h("button", { type: "submit" }, t("delegate.elect")));
      }
      let plea = null;
      if (can("plea")) {
        const [row, text] = field(t("plea.field"), h("textarea", { required: true, maxlength: "4000" }));
        plea = h("form", { onsubmit: async (e) => {
          e.preventDefault();
          await perform(core.KIND.plea, core.payloads.plea(B(s.id), g.category, text.value));
        } }, row, h("button", { type: "submit" }, t("plea.send")));
      }
      return h("div", { class: "card" },
        h("h3", {}, g.category, " ", g.deal_breaker ? h("span", { class: "stage" }, t("grievance.deal_breaker")) : null),
        h("p", {}, t("delegate.of_category", { name: g.delegate ? person(g.delegate) : t("delegate.none") })),
        g.election?.length ? h("p", { class: "muted" }, t("delegate.votes", { votes: g.election.map((e) => `${person(e.candidate)} ${e.votes}`).join(", ") })) : null,
        h("ul", { class: "list" }, g.items.map((i) => h("li", { class: "comment" },
          h("p", { class: "muted" }, h("strong", {}, person(i.author)), " · ", t("grievance.agreement", { agree: i.agree, disagree: i.disagree })),
          i.text ? h("p", { class: "text" }, i.text) : null,
          can("agree") ? h("div", { class: "row", role: "group", "aria-label": t("grievance.weigh_in", { name: person(i.author) }) },
            h("button", { type: "button", onclick: () => perform(core.KIND.agreement, core.payloads.agreement(B(i.id), true)) }, t("grievance.agree")),
            h("button", { type: "button", class: "secondary", onclick: () => perform(core.KIND.agreement, core.payloads.agreement(B(i.id), false)) }, t("grievance.disagree"))) : null))),
        pleas.length ? h("div", {}, h("h4", {}, t("plea.title")), pleas.map((p) => h("blockquote", { class: "text" }, h("strong", {}, person(p.author)), ": ", p.text))) : null,
        elect, plea);
    }));
}

function amendForm(s) {
  const cats = [...new Set(s.grievances.map((g) => g.category))];
  const cat = h("select", { required: true }, cats.map((c) => h("option", { value: c }, c)));
  const [catRow] = field(t("amend.category"), cat);
  const [textRow, text] = field(t("amend.text"), h("textarea", { class: "edit", rows: "8" }));
  text.value = s.text ?? "";
  const [whyRow, why] = field(t("amend.rationale"), h("input", { type: "text", maxlength: "280" }));
  return h("form", { class: "card", id: "amend-form", onsubmit: async (e) => {
    e.preventDefault();
    const ops = core.editToOps(s.document, text.value);
    if (!ops.length) return announce(t("amend.unchanged"), true);
    await perform(core.KIND.amendment, core.payloads.amendment(B(s.id), cat.value, why.value, ops));
  } }, h("h3", {}, t("amend.heading")), h("p", {}, t("amend.help")), catRow, textRow, whyRow,
  h("button", { type: "submit" }, t("amend.send")));
}

function amendmentsView(s) {
  if (!s.amendments.length) return null;
  const canVote = s.actions.includes("amendment_vote");
  return h("section", { id: "amendments", "aria-labelledby": "amendments-h" }, h("h2", { id: "amendments-h" }, t("amend.title")),
    h("ul", { class: "list" }, s.amendments.map((a) => {
      const label = t("amend.by", { name: person(a.author), category: a.category });
      return h("li", { class: "card" }, h("h3", {}, label),
        h("p", { class: "muted" }, h("span", { class: "stage" }, t(`amend.status.${a.status}`)), " ",
          a.count ? t("tally", { for: a.count.for, against: a.count.against, abstain: a.count.abstain, electorate: a.count.electorate }) : ""),
        a.rationale ? h("p", {}, a.rationale) : null,
        changesView(a.changes),
        canVote && a.status === "open" && a.stage === s.stage
          ? voteButtons(a.id, label, (choice) => [core.KIND.amendment_vote, core.payloads.amendment_vote(B(a.id), choice)])
          : null);
    })));
}

function mandateForm(s, people) {
  const [delRow, del] = personSelect(people, t("mandate.delegate"));
  const [scopeRow, scope] = field(t("mandate.scope"), h("input", { type: "text", required: true, maxlength: "280" }));
  const [daysRow, days] = field(t("mandate.days"), h("input", { type: "number", min: "1", max: "365", value: "30", required: true }));
  return h("form", { class: "card", onsubmit: async (e) => {
    e.preventDefault();
    if (!scope.value.trim()) return announce(t("mandate.need_scope"), true);
    const expires = Math.floor(Date.now() / 1000) + Number(days.value) * 86400;
    await perform(core.KIND.mandate, core.payloads.mandate(B(s.id), B(del.value), scope.value.trim(), expires));
  } }, h("h3", {}, t("mandate.heading")), h("p", {}, t("mandate.help")), delRow, scopeRow, daysRow,
  h("button", { type: "submit" }, t("mandate.nominate")));
}

const HAND_STAGES = ["temperature", "minor_check", "final_vote", "motion"];

/** The facilitator's hand count at a face-to-face assembly (spec/process.md
 *  §6a): the counts and who is present, then each witness signs the record
 *  with their key card on this device (the key is wiped at once), then the
 *  facilitator signs the whole. The record is fixed once a witness signed. */
function handCountForm(s, people) {
  const num = (key) => field(t(key), h("input", { type: "number", min: "0", max: "100000", value: "0", required: true, inputmode: "numeric" }));
  const [fRow, f] = num("hand.for");
  const [aRow, a] = num("hand.against");
  const [xRow, x] = num("hand.abstain");
  const boxes = people.map((p) => {
    const cb = h("input", { type: "checkbox", id: uid("present"), value: p.key });
    return [h("label", { class: "inline", for: cb.id }, cb, person(p)), cb];
  });
  const witnesses = [];
  const list = h("ul", { class: "list", id: "witnesses", "aria-label": t("hand.witnesses") });
  let fixed = null;
  const record = () => [core.unhex(s.id), s.stage_number, Number(f.value), Number(a.value), Number(x.value),
    boxes.filter(([, cb]) => cb.checked).map(([, cb]) => core.unhex(cb.value)), null];
  const [cardRow, cardFile] = cardField("hand.witness_card");
  const [pinRow, pin] = field(t("kiosk.pin"), h("input", { type: "password", autocomplete: "off" }));
  const addWitness = async () => {
    const file = cardFile.files?.[0];
    if (!file) return announce(t("kiosk.choose_photo"), true);
    try {
      announce(t("kiosk.opening"));
      const { card, info } = await readCardFile(file);
      const { seed } = await core.openCard(card, pin.value);
      pin.value = "";
      fixed ??= record();
      for (const el of [f, a, x, ...boxes.map(([, cb]) => cb)]) el.disabled = true;
      const sig = await core.sign(seed, core.handCountWitnessed(core.unhex(state.body), fixed));
      wipe(seed);
      witnesses.push([info.publicKey, sig]);
      list.append(h("li", {}, info.name));
      cardFile.value = "";
      announce(t("hand.witnessed", { name: info.name }));
    } catch (err) {
      pin.value = "";
      announce(t("kiosk.card_failed", { reason: err.reason ?? err.message }), true);
    }
  };
  return h("form", { class: "card", id: "hand-count", "aria-labelledby": "hand-h", onsubmit: async (e) => {
    e.preventDefault();
    if (!witnesses.length) return announce(t("hand.need_witness"), true);
    const r = fixed ?? record();
    await perform(core.KIND.hand_count, core.payloads.hand_count(r[0], r[1], r[2], r[3], r[4], r[5], null, witnesses));
  } }, h("h3", { id: "hand-h" }, t("hand.heading")), h("p", {}, t("hand.help")),
  h("div", { class: "row" }, fRow, aRow, xRow),
  h("fieldset", {}, h("legend", {}, t("hand.present")), boxes.map(([label]) => label)),
  h("fieldset", {}, h("legend", {}, t("hand.witnesses")), list, cardRow, pinRow,
    h("button", { type: "button", class: "secondary", onclick: addWitness }, t("hand.add_witness"))),
  h("button", { type: "submit" }, t("hand.sign")));
}

function historyView(s) {
  if (!s.history?.length) return null;
  return h("section", { id: "history", "aria-labelledby": "history-h" }, h("h2", { id: "history-h" }, t("history.title")),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("history.stage")), h("th", { scope: "col" }, t("history.result")), h("th", { scope: "col" }, t("history.closed_by")))),
      h("tbody", {}, s.history.map((x) => h("tr", {},
        h("td", {}, t(`stage.${x.stage}`)),
        h("td", {}, t(`event.${x.event}`), x.count ? ` (${t("tally", { for: x.count.for, against: x.count.against, abstain: x.count.abstain, electorate: x.count.electorate })})` : ""),
        h("td", {}, person(x.closer)))))));
}

function minutesView(s) {
  if (!s.minutes?.length) return null;
  return h("details", { class: "card", "data-key": "minutes" }, h("summary", {}, t("minutes.title")),
    h("pre", { class: "text minutes" }, s.minutes.join("\n")));
}

function stageActions(s, people) {
  const can = (a) => s.actions.includes(a);
  const out = [];
  if (people && s.facilitator?.key === state.keyHex && HAND_STAGES.includes(s.stage)) out.push(handCountForm(s, people));
  if (can("vote")) out.push(h("div", { class: "card" }, h("h3", {}, t("vote.heading", { stage: t(`stage.${s.stage}`) })), voteButtons(s.id, t("vote.heading", { stage: t(`stage.${s.stage}`) }))));
  if (can("grievance")) out.push(grievanceForm(s));
  if (can("amend")) out.push(amendForm(s));
  if (can("nominate_mandate") && people) out.push(mandateForm(s, people));
  if (can("close") || can("cosign_close")) out.push(h("div", { class: "card" }, h("p", {}, can("close") ? t("close.facilitator") : t("close.cosign")), closeButton(s)));
  if (!out.length && state.seed && s.stage !== "carried" && s.stage !== "failed" && s.stage !== "tabled") out.push(h("p", { class: "muted" }, t("action.none_now")));
  return out.length ? h("section", { "aria-labelledby": "act", id: "actions" }, h("h2", { id: "act" }, t("action.title")), out) : null;
}

/** A resolution presented from a higher body: where it came from and, when
 *  this node holds that body, how its constituents' verdicts combine. */
async function originView(s) {
  const higher = state.bodies.find((b) => b.id === s.origin.body);
  const parts = [h("p", {}, t("origin.from", { name: higher?.name ?? s.origin.body.slice(0, 12) }))];
  if (higher) {
    try {
      const f = await getJSON(`/v0/bodies/${s.origin.body}/federation/${s.origin.proposal}`);
      parts.push(h("p", {}, t("origin.combined", { standing: t(`standing.${f.standing}`), for: f.count?.for ?? 0, against: f.count?.against ?? 0, bodies: f.communities.length })));
      parts.push(h("ul", { class: "list" }, f.communities.map((c) => h("li", {}, `${c.name}: `, c.verdict ? t(`outcome.${c.verdict.outcome}`) : t("origin.undecided")))));
    } catch { /* the higher body's view is optional */ }
  }
  return h("section", { class: "card", "aria-label": t("origin.from_higher") }, parts);
}

export async function proposalScreen(id) {
  const s = await view(`proposals/${id}`);
  if (!s.comments) {
    // an admission, removal or mandate: its summary and vote
    return show(s.title || t(`kind.${s.kind}`), facts(s), tally(s),
      s.actions.includes("vote") ? voteButtons(s.id, t("vote.heading", { stage: t(`stage.${s.stage}`) })) : null,
      s.actions.includes("close") || s.actions.includes("cosign_close") ? closeButton(s) : null);
  }
  const facilitating = s.facilitator?.key === state.keyHex && HAND_STAGES.includes(s.stage);
  const needPeople = facilitating || ["elect_delegate", "nominate_mandate"].some((a) => s.actions.includes(a));
  const people = needPeople ? await candidates() : null;
  const origin = s.origin ? await originView(s) : null;
  const verdict = s.verdict ? h("p", { class: "card", id: "verdict" }, t("verdict.line", { outcome: t(`outcome.${s.verdict.outcome}`) })) : null;
  show(s.title || t("untitled"),
    facts(s), h("p", { class: "muted" }, t("moved_by", { name: person(s.author), when: when(s.time) }), s.scope ? ` · ${t("scope", { scope: s.scope })}` : ""),
    s.minute_taker ? h("p", { class: "muted" }, t("roles", { minutes: person(s.minute_taker), mediator: person(s.mediator) })) : null,
    origin, verdict, tally(s),
    h("section", { "aria-labelledby": "text-h" }, h("h2", { id: "text-h" }, t("text.title")), documentView(s)),
    stageActions(s, people),
    grievancesView(s, people),
    amendmentsView(s),
    discussion(s),
    historyView(s),
    minutesView(s));
}
