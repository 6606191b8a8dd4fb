// Every message kind of protocol version 0 (spec/kinds.md): its payload
// schema, the checks a receiver applies (errors name the field, e.g.
// `payload.founders[3]`) and one small builder per kind for the page
// (`payloads.vote(subject, choice)` -> the wire array, checked).

import { CoreError, localError } from "./errors.js";
import { compareBytes, encode } from "./canonical.js";

const utf8 = new TextEncoder();

function tname(v) {
  if (v === null) return "nil";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number" || typeof v === "bigint") return "int";
  if (typeof v === "string") return "str";
  if (v instanceof Uint8Array) return "bin";
  if (Array.isArray(v)) return "array";
  if (v instanceof Map) return "map";
  return typeof v;
}

const isInt = (v) => (typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint";

// --- field types: each has check(value, path) (throws CoreError) and describe() ---

export function uint(maximum = 2 ** 32 - 1, minimum = 0) {
  return {
    check(v, path) {
      if (!isInt(v)) throw new CoreError("wrong_type", `expected an unsigned integer, got ${tname(v)}`, { field: path });
      if (typeof v === "bigint" || v < minimum || v > maximum) {
        throw new CoreError("out_of_range", `${v} is outside [${minimum}, ${maximum}]`, { field: path });
      }
      return v;
    },
    describe: () => `uint ${minimum}..${maximum}`,
  };
}

export function bin(size) {
  return {
    check(v, path) {
      if (!(v instanceof Uint8Array)) throw new CoreError("wrong_type", `expected bin, got ${tname(v)}`, { field: path });
      if (v.length !== size) throw new CoreError("wrong_length", `expected ${size} bytes, got ${v.length}`, { field: path });
      return v;
    },
    describe: () => `bin[${size}]`,
    compare: compareBytes,
  };
}

export function binMax(maximum) {
  return {
    check(v, path) {
      if (!(v instanceof Uint8Array)) throw new CoreError("wrong_type", `expected bin, got ${tname(v)}`, { field: path });
      if (v.length > maximum) throw new CoreError("oversize", `${v.length} bytes exceeds ${maximum}`, { field: path });
      return v;
    },
    describe: () => `bin[0..${maximum}]`,
  };
}

export function text(maxBytes, minBytes = 0) {
  return {
    check(v, path) {
      if (typeof v !== "string") throw new CoreError("wrong_type", `expected str, got ${tname(v)}`, { field: path });
      const n = utf8.encode(v).length;
      if (n > maxBytes) throw new CoreError("oversize", `${n} bytes of text exceeds ${maxBytes}`, { field: path });
      if (n < minBytes) throw new CoreError("out_of_range", `text must have at least ${minBytes} bytes`, { field: path });
      return v;
    },
    describe: () => `str[${minBytes}..${maxBytes} bytes]`,
  };
}

export function bool() {
  return {
    check(v, path) {
      if (typeof v !== "boolean") throw new CoreError("wrong_type", `expected bool, got ${tname(v)}`, { field: path });
      return v;
    },
    describe: () => "bool",
  };
}

export function enumOf(values) {
  // values: {name: number}
  const byNumber = new Map(Object.entries(values).map(([k, n]) => [n, k]));
  const names = [...byNumber].map(([n, k]) => `${n}=${k}`).join(", ");
  return {
    check(v, path) {
      if (!isInt(v)) throw new CoreError("wrong_type", `expected an enum number, got ${tname(v)}`, { field: path });
      if (!byNumber.has(Number(v)) || typeof v === "bigint") {
        throw new CoreError("out_of_range", `${v} is not one of ${names}`, { field: path });
      }
      return v;
    },
    describe: () => `enum ${names}`,
  };
}

export function opt(inner) {
  return {
    check: (v, path) => (v === null ? null : inner.check(v, path)),
    describe: () => `nil | ${inner.describe()}`,
  };
}

export function list(item, { maximum, minimum = 0, ascending = false, sortKey = (v) => v } = {}) {
  return {
    check(v, path) {
      if (!Array.isArray(v)) throw new CoreError("wrong_type", `expected array, got ${tname(v)}`, { field: path });
      if (v.length > maximum) throw new CoreError("oversize", `${v.length} elements exceeds ${maximum}`, { field: path });
      if (v.length < minimum) throw new CoreError("wrong_length", `needs at least ${minimum} elements`, { field: path });
      v.forEach((e, i) => item.check(e, `${path}[${i}]`));
      if (ascending) {
        for (let i = 1; i < v.length; i++) {
          if (!(compareKeys(sortKey(v[i - 1]), sortKey(v[i])) < 0)) {
            throw new CoreError("not_sorted", "elements must be strictly ascending (sorted, no duplicates)", {
              field: `${path}[${i}]`,
            });
          }
        }
      }
      return v;
    },
    describe: () =>
      `array[${minimum}..${maximum}] of (${item.describe()})${ascending ? ", strictly ascending" : ""}`,
    sort(v) {
      // a set's one encoding: sorted, duplicates removed (for builders)
      const out = [...v].sort((a, b) => compareKeys(sortKey(a), sortKey(b)));
      return out.filter((e, i) => i === 0 || compareKeys(sortKey(out[i - 1]), sortKey(e)) !== 0);
    },
  };
}

function compareKeys(a, b) {
  if (a instanceof Uint8Array) return compareBytes(a, b);
  return a < b ? -1 : a > b ? 1 : 0;
}

export function tuple(...parts) {
  return {
    parts,
    check(v, path) {
      if (!Array.isArray(v)) throw new CoreError("wrong_type", `expected array, got ${tname(v)}`, { field: path });
      if (v.length !== parts.length) {
        throw new CoreError("wrong_length", `expected ${parts.length} elements, got ${v.length}`, { field: path });
      }
      parts.forEach(([n, t], i) => t.check(v[i], `${path}.${n}`));
      return v;
    },
    describe: () => "[" + parts.map(([n, t]) => `${n}: ${t.describe()}`).join(", ") + "]",
  };
}

export function tagged(variants) {
  // variants: {tag: [name, tuple]}
  return {
    check(v, path) {
      if (!Array.isArray(v) || v.length === 0) {
        throw new CoreError("wrong_type", `expected a tagged array, got ${tname(v)}`, { field: path });
      }
      const tag = v[0];
      if (typeof tag !== "number" || !Object.hasOwn(variants, tag)) {
        throw new CoreError("out_of_range", `unknown variant tag ${String(tag)}`, { field: `${path}[0]` });
      }
      const [name, shape] = variants[tag];
      shape.check(v.slice(1), `${path}<${name}>`);
      return v;
    },
    describe: () =>
      Object.entries(variants)
        .map(([tag, [name, shape]]) => `[${tag} (${name}), ...${shape.describe()}]`)
        .join(" | "),
  };
}

// --- the enums ------------------------------------------------------------------

export const KIND = Object.freeze({
  genesis: 1, admit: 2, leave: 3, rotate_key: 4, proposal: 5, comment: 6, vote: 7,
  grievance: 8, delegate_elect: 9, plea: 10, agreement: 11, amendment: 12,
  amendment_vote: 13, close: 14, verdict: 15, mandate: 16, recall_vote: 17,
  constitution_amendment: 18, text_edit: 19, name: 20, founding: 21, constituent_admit: 22,
  constitution_initiative: 23, ratification: 24, constitution_adoption: 25,
  dispute: 26, mediation: 27, escalation: 28, dispute_response: 29,
  case: 30, plan: 31, council_charter: 32, pertinent: 33, hand_count: 40, hand_count_contest: 41,
});
export const KIND_NAME = Object.freeze(Object.fromEntries(Object.entries(KIND).map(([k, n]) => [n, k])));
export const BODY_KIND = Object.freeze({ workplace: 1, community: 2, municipality: 3, region: 4, collective: 5, justice_council: 6 });
export const CHOICE = Object.freeze({ against: 0, for: 1, abstain: 2 });
export const STANCE = Object.freeze({ neutral: 0, support: 1, oppose: 2 });
export const OUTCOME = Object.freeze({ passed: 1, failed: 2, tabled: 3 });
export const MEDIATION_OUTCOME = Object.freeze({ settled: 1, unresolved: 2 });
export const STAGE = Object.freeze({
  discussion: 1, temperature: 2, concerns: 3, minor_round: 4, minor_check: 5,
  major_round: 6, final_vote: 7, planning: 8, carried: 9, failed: 10, tabled: 11,
  motion: 12, adopted: 13, rejected: 14,
});

// --- the schemas ------------------------------------------------------------------

export const ID = bin(32);
export const KEY = bin(32);
export const SIG = bin(64);
export const MAX_FOUNDERS = 150;
export const MAX_PARAMS = 64;
export const MAX_TEXT_OPS = 64;
export const MAX_RUN_BYTES = 4096;
export const MAX_OFFSET = 2 ** 20;
const U32 = 2 ** 32 - 1;

const PARAM = tuple(["param", uint(0xffff)], ["num", uint(U32)], ["den", uint(U32, 1)]);
const paramsOf = (minimum) => list(PARAM, { maximum: MAX_PARAMS, minimum, ascending: true, sortKey: (p) => p[0] });
export const POSITION = tuple(["msg", ID], ["offset", uint(MAX_OFFSET)]);
export const TEXT_OP = tagged({
  0: ["insert", tuple(["left", opt(POSITION)], ["right", opt(POSITION)], ["text", text(MAX_RUN_BYTES, 1)])],
  1: ["delete", tuple(["start", POSITION], ["length", uint(MAX_OFFSET, 1)])],
});
export const TEXT_OPS = list(TEXT_OP, { maximum: MAX_TEXT_OPS, minimum: 1 });
const WITNESS = tuple(["key", KEY], ["signature", SIG]);
const ARTICLE = tuple(["number", uint(999, 1)], ["title", text(120)], ["text", text(2000)]);

export const SCHEMAS = Object.freeze({
  [KIND.genesis]: [
    ["body_kind", enumOf(BODY_KIND)],
    ["name", text(80, 1)],
    ["parent", opt(ID)],
    ["founders", list(KEY, { minimum: 1, maximum: MAX_FOUNDERS, ascending: true })],
    ["params", paramsOf(0)],
    ["salt", binMax(16)],
  ],
  [KIND.admit]: [["member", KEY], ["name", text(64)], ["note", text(280)]],
  [KIND.leave]: [["member", KEY], ["reason", text(280)]],
  [KIND.rotate_key]: [["new_key", KEY], ["proof", SIG]],
  [KIND.proposal]: [
    ["title", text(120, 1)],
    ["text", text(10000)],
    ["scope", text(280)],
    ["origin_body", opt(ID)],
    ["origin_proposal", opt(ID)],
  ],
  [KIND.comment]: [["proposal", ID], ["reply_to", opt(ID)], ["stance", enumOf(STANCE)], ["text", text(2000, 1)]],
  [KIND.vote]: [["subject", ID], ["choice", enumOf(CHOICE)]],
  [KIND.grievance]: [["proposal", ID], ["category", text(64, 1)], ["deal_breaker", bool()], ["text", text(2000)]],
  [KIND.delegate_elect]: [["proposal", ID], ["category", text(64, 1)], ["candidate", KEY]],
  [KIND.plea]: [["proposal", ID], ["category", text(64, 1)], ["text", text(4000)]],
  [KIND.agreement]: [["grievance", ID], ["agree", bool()]],
  [KIND.amendment]: [["proposal", ID], ["category", text(64, 1)], ["rationale", text(2000)], ["ops", TEXT_OPS]],
  [KIND.amendment_vote]: [["amendment", ID], ["choice", enumOf(CHOICE)]],
  [KIND.close]: [["subject", ID], ["stage", uint(255)]],
  [KIND.verdict]: [
    ["proposal", ID],
    ["close", ID],
    ["outcome", enumOf(OUTCOME)],
    ["votes_for", uint(U32)],
    ["votes_against", uint(U32)],
    ["abstentions", uint(U32)],
    ["members", uint(U32)],
  ],
  [KIND.mandate]: [["resolution", ID], ["delegate", KEY], ["scope", text(280, 1)], ["expires", uint(2 ** 40)]],
  [KIND.recall_vote]: [["mandate", ID], ["choice", enumOf(CHOICE)]],
  [KIND.constitution_amendment]: [["version", uint(U32, 1)], ["params", paramsOf(1)], ["rationale", text(2000)]],
  [KIND.text_edit]: [["document", ID], ["ops", TEXT_OPS]],
  [KIND.name]: [["member", KEY], ["name", text(64, 1)]],
  [KIND.founding]: [["constituents", list(ID, { minimum: 1, maximum: 1000, ascending: true })]],
  [KIND.constituent_admit]: [["constituent", ID], ["note", text(280)]],
  [KIND.constitution_initiative]: [
    ["version", uint(U32, 2)],
    ["params", list(PARAM, { maximum: 8, ascending: true, sortKey: (p) => p[0] })],
    ["articles", list(ARTICLE, { maximum: 4, ascending: true, sortKey: (a) => a[0] })],
    ["rationale", text(2000)],
  ],
  [KIND.ratification]: [["initiative", ID], ["version", uint(U32, 2)], ["constitution", bin(32)]],
  [KIND.constitution_adoption]: [
    ["collective", ID], ["ratification", ID], ["version", uint(U32, 2)], ["constitution", bin(32)],
  ],
  [KIND.dispute]: [["respondent", ID], ["matter", text(2000, 1)], ["resolution", opt(ID)]],
  [KIND.mediation]: [
    ["dispute", ID],
    ["mandate", ID],
    ["outcome", enumOf(MEDIATION_OUTCOME)],
    ["terms", text(2000)],
  ],
  [KIND.escalation]: [["claimant", ID], ["dispute", ID], ["respondent", ID], ["text", text(10000, 1)]],
  [KIND.dispute_response]: [["claimant", ID], ["dispute", ID], ["position", text(2000)]],
  [KIND.case]: [
    ["harmed", list(KEY, { minimum: 1, maximum: 16, ascending: true })],
    ["responsible", list(KEY, { minimum: 1, maximum: 16, ascending: true })],
    ["summary", text(2000, 1)],
    ["community", ID],
  ],
  [KIND.plan]: [
    ["case", ID],
    ["title", text(120, 1)],
    ["text", text(10000, 1)],
    ["repairs", list(KEY, { minimum: 1, maximum: 16, ascending: true })],
  ],
  [KIND.council_charter]: [["resolution", ID]],
  [KIND.pertinent]: [["resolution", ID], ["constituents", list(ID, { minimum: 1, maximum: 1000, ascending: true })]],
  [KIND.hand_count]: [
    ["subject", ID],
    ["stage", uint(255)],
    ["votes_for", uint(100000)],
    ["votes_against", uint(100000)],
    ["abstentions", uint(100000)],
    ["present", list(KEY, { minimum: 1, maximum: 400, ascending: true })],
    ["replaces", opt(ID)],
    ["witnesses", list(WITNESS, { minimum: 1, maximum: 16, ascending: true, sortKey: (w) => w[0] })],
  ],
  [KIND.hand_count_contest]: [["hand_count", ID], ["reason", text(280)]],
});

/**
 * Check a decoded payload against its kind's schema (untrusted input).
 * Unknown kinds pass if the payload is an array (spec/kinds.md rule 5).
 */
export function checkPayload(kind, value) {
  if (!Array.isArray(value)) throw new CoreError("wrong_type", "payload must be an array", { field: "payload" });
  const schema = SCHEMAS[kind];
  if (schema === undefined) return value;
  if (value.length !== schema.length) {
    throw new CoreError(
      "wrong_length",
      `${KIND_NAME[kind]} payload has ${value.length} fields, expected ${schema.length}`,
      { field: "payload" },
    );
  }
  schema.forEach(([n, t], i) => t.check(value[i], `payload.${n}`));
  return value;
}

function built(kind, wire) {
  try {
    return checkPayload(kind, wire);
  } catch (e) {
    if (e instanceof CoreError) throw localError(e.message, e.field);
    throw e;
  }
}

const SETS = {
  founders: SCHEMAS[KIND.genesis][3][1],
  params: SCHEMAS[KIND.genesis][4][1],
  present: SCHEMAS[KIND.hand_count][5][1],
  witnesses: SCHEMAS[KIND.hand_count][7][1],
  constituents: SCHEMAS[KIND.founding][0][1],
  harmed: SCHEMAS[KIND.case][0][1],
  responsible: SCHEMAS[KIND.case][1][1],
  repairs: SCHEMAS[KIND.plan][3][1],
  initiativeParams: SCHEMAS[KIND.constitution_initiative][1][1],
  articles: SCHEMAS[KIND.constitution_initiative][2][1],
};

const HAND_DOMAIN = new TextEncoder().encode("caracol/0 hand count\0");

/** What each witness of a hand count signs (spec/process.md §6a): the
 *  domain, the body id and the canonical record without its witnesses,
 *  `present` in ascending order. */
export function handCountWitnessed(body, [subject, stage, votesFor, votesAgainst, abstentions, present, replaces]) {
  const record = [subject, stage, votesFor, votesAgainst, abstentions, SETS.present.sort(present), replaces ?? null];
  const content = encode(record);
  const out = new Uint8Array(HAND_DOMAIN.length + body.length + content.length);
  out.set(HAND_DOMAIN, 0);
  out.set(body, HAND_DOMAIN.length);
  out.set(content, HAND_DOMAIN.length + body.length);
  return out;
}

/** Text operations in their wire shape (spec/kinds.md, "Text operations"). */
export const textOps = Object.freeze({
  insert: (left, right, str) => [0, left, right, str],
  delete: (start, length) => [1, start, length],
  position: (msg, offset) => [msg, offset],
});

/**
 * One builder per kind, arguments in the field order of spec/kinds.md; each
 * returns the checked wire array (sets are sorted and de-duplicated here)
 * or throws CoreError("local_error") naming the field.
 */
export const payloads = Object.freeze({
  genesis: (bodyKind, name, parent, founders, params = [], salt = new Uint8Array(0)) =>
    built(KIND.genesis, [bodyKind, name, parent, SETS.founders.sort(founders), SETS.params.sort(params), salt]),
  admit: (member, name = "", note = "") => built(KIND.admit, [member, name, note]),
  leave: (member, reason = "") => built(KIND.leave, [member, reason]),
  rotate_key: (newKey, proof) => built(KIND.rotate_key, [newKey, proof]),
  proposal: (title, text, scope = "", originBody = null, originProposal = null) =>
    built(KIND.proposal, [title, text, scope, originBody, originProposal]),
  comment: (proposal, replyTo, stance, text) => built(KIND.comment, [proposal, replyTo, stance, text]),
  vote: (subject, choice) => built(KIND.vote, [subject, choice]),
  grievance: (proposal, category, dealBreaker, text = "") =>
    built(KIND.grievance, [proposal, category, dealBreaker, text]),
  delegate_elect: (proposal, category, candidate) => built(KIND.delegate_elect, [proposal, category, candidate]),
  plea: (proposal, category, text = "") => built(KIND.plea, [proposal, category, text]),
  agreement: (grievance, agree) => built(KIND.agreement, [grievance, agree]),
  amendment: (proposal, category, rationale, ops) => built(KIND.amendment, [proposal, category, rationale, ops]),
  amendment_vote: (amendment, choice) => built(KIND.amendment_vote, [amendment, choice]),
  close: (subject, stage) => built(KIND.close, [subject, stage]),
  verdict: (proposal, close, outcome, votesFor, votesAgainst, abstentions, members) =>
    built(KIND.verdict, [proposal, close, outcome, votesFor, votesAgainst, abstentions, members]),
  mandate: (resolution, delegate, scope, expires) => built(KIND.mandate, [resolution, delegate, scope, expires]),
  recall_vote: (mandate, choice) => built(KIND.recall_vote, [mandate, choice]),
  constitution_amendment: (version, params, rationale = "") =>
    built(KIND.constitution_amendment, [version, SETS.params.sort(params), rationale]),
  text_edit: (document, ops) => built(KIND.text_edit, [document, ops]),
  name: (member, name) => built(KIND.name, [member, name]),
  founding: (constituents) => built(KIND.founding, [SETS.constituents.sort(constituents)]),
  constituent_admit: (constituent, note = "") => built(KIND.constituent_admit, [constituent, note]),
  constitution_initiative: (version, params, articles, rationale = "") =>
    built(KIND.constitution_initiative, [version, SETS.initiativeParams.sort(params), SETS.articles.sort(articles), rationale]),
  ratification: (initiative, version, constitution) => built(KIND.ratification, [initiative, version, constitution]),
  constitution_adoption: (collective, ratification, version, constitution) =>
    built(KIND.constitution_adoption, [collective, ratification, version, constitution]),
  dispute: (respondent, matter, resolution = null) => built(KIND.dispute, [respondent, matter, resolution]),
  mediation: (dispute, mandate, outcome, terms = "") => built(KIND.mediation, [dispute, mandate, outcome, terms]),
  escalation: (claimant, dispute, respondent, text) =>
    built(KIND.escalation, [claimant, dispute, respondent, text]),
  dispute_response: (claimant, dispute, position = "") =>
    built(KIND.dispute_response, [claimant, dispute, position]),
  case: (harmed, responsible, summary, community) =>
    built(KIND.case, [SETS.harmed.sort(harmed), SETS.responsible.sort(responsible), summary, community]),
  plan: (caseId, title, text, repairs) => built(KIND.plan, [caseId, title, text, SETS.repairs.sort(repairs)]),
  council_charter: (resolution) => built(KIND.council_charter, [resolution]),
  pertinent: (resolution, constituents) =>
    built(KIND.pertinent, [resolution, SETS.constituents.sort(constituents)]),
  hand_count: (subject, stage, votesFor, votesAgainst, abstentions, present, replaces, witnesses) =>
    built(KIND.hand_count, [
      subject, stage, votesFor, votesAgainst, abstentions,
      SETS.present.sort(present), replaces, SETS.witnesses.sort(witnesses),
    ]),
  hand_count_contest: (handCount, reason = "") => built(KIND.hand_count_contest, [handCount, reason]),
});
