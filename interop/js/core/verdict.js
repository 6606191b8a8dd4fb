// Community Verdicts (spec/federation.md): the verdict statement and the
// compact attestation a Community sends over radio before its full proof.
// (Re-deriving a verdict from a full proof needs the process fold of
// spec/process.md, which the JS core does not have yet.)
//
//   statement   = [community, higher_body, resolution, proposal, close, outcome,
//                  votes_for, votes_against, abstentions, electorate, text]
//   attestation = [0, statement, [[member key, signature], ...]]
//   signature   = Ed25519(member, "caracol/0 attest" 0x00 || canonical(statement))

import { decode, encode, compareBytes } from "./canonical.js";
import { CoreError } from "./errors.js";
import { concat, verify } from "./ed25519.js";

export const ATTEST_DOMAIN = new TextEncoder().encode("caracol/0 attest\0");
export const PROOF_VERSION = 0;
export const MAX_ATTESTATION_BYTES = 4096;
const MAX_COUNT = 2 ** 32;

const badProof = (reason) => new CoreError("bad_proof", reason);
const isId = (v) => v instanceof Uint8Array && v.length === 32;
const isCount = (v) => typeof v === "number" && Number.isInteger(v) && v >= 0 && v < MAX_COUNT;
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** A decoded statement -> a verdict object; throws bad_proof. */
export function verdictFromStatement(value) {
  if (!Array.isArray(value) || value.length !== 11) throw badProof("a verdict statement is an array of 11 fields");
  if (!value.slice(0, 5).every(isId)) throw badProof("a verdict statement starts with five 32-byte ids");
  if (!value.slice(5, 10).every(isCount)) throw badProof("a verdict statement has five counts after its ids");
  if (!isId(value[10])) throw badProof("a verdict statement ends with the 32-byte hash of the text decided");
  const [community, higherBody, resolution, proposal, close, outcome, votesFor, votesAgainst, abstentions, electorate, text] = value;
  if (outcome < 1 || outcome > 3) throw badProof(`unknown outcome ${outcome}`);
  return { community, higherBody, resolution, proposal, close, outcome, votesFor, votesAgainst, abstentions, electorate, text };
}

export function statementOf(v) {
  return [v.community, v.higherBody, v.resolution, v.proposal, v.close, v.outcome, v.votesFor, v.votesAgainst, v.abstentions, v.electorate, v.text];
}

/** spec/harness.md's JSON form of a verdict (ids in hex, the outcome as its number). */
export function verdictJson(v) {
  return {
    community: hex(v.community),
    higher_body: hex(v.higherBody),
    resolution: hex(v.resolution),
    proposal: hex(v.proposal),
    close: hex(v.close),
    outcome: v.outcome,
    votes_for: v.votesFor,
    votes_against: v.votesAgainst,
    abstentions: v.abstentions,
    electorate: v.electorate,
    text: hex(v.text),
  };
}

/** An attestation's bytes -> {verdict, signatures: [[key, sig], ...]}; throws bad_proof. */
export function decodeAttestation(data) {
  let value;
  try {
    value = decode(data, { maxBytes: MAX_ATTESTATION_BYTES });
  } catch (e) {
    if (e instanceof CoreError && e.code !== "local_error") throw badProof(`an attestation is not canonical: ${e.message}`);
    throw e;
  }
  if (!Array.isArray(value) || value.length !== 3 || value[0] !== PROOF_VERSION) {
    throw badProof("an attestation is [0, statement, [[key, signature], ...]]");
  }
  const verdict = verdictFromStatement(value[1]);
  const sigs = value[2];
  const pair = (s) => Array.isArray(s) && s.length === 2 && isId(s[0]) && s[1] instanceof Uint8Array && s[1].length === 64;
  if (!Array.isArray(sigs) || !sigs.every(pair)) throw badProof("signatures are [32-byte key, 64-byte signature] pairs");
  for (let i = 1; i < sigs.length; i++) {
    if (compareBytes(sigs[i - 1][0], sigs[i][0]) >= 0) throw badProof("signers must be distinct and ascending");
  }
  return { verdict, signatures: sigs };
}

/**
 * Accept an attestation provisionally: every signature verifies (under
 * spec/signatures.md) over the statement, by a member when `members` (a
 * Set of key hex) is given, and there are at least `k`. -> the verdict.
 */
export async function verifyAttestation(att, k, members = null) {
  const message = concat(ATTEST_DOMAIN, encode(statementOf(att.verdict)));
  let good = 0;
  for (const [key, sig] of att.signatures) {
    if (members !== null && !members.has(hex(key))) throw badProof(`signer ${hex(key).slice(0, 16)}… is not a member of the community`);
    if (!(await verify(key, message, sig))) throw badProof(`signature of ${hex(key).slice(0, 16)}… does not verify`);
    good++;
  }
  if (good < k) throw badProof(`${good} signatures, the rules require ${k}`);
  return att.verdict;
}
