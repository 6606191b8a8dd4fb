// The signing round trip against a node's member API (spec/api.md), for
// the page and for scripts: read the author's heads and last seq, sign,
// POST the raw bytes, return the node's answer for the message.
//
//   const r = await submit("", bodyHex, seed, KIND.vote, payloads.vote(subject, CHOICE.for));
//   r.status ("accepted" | "duplicate" | "pending" | "rejected"), r.process {taken, reason}
//
// `nodeUrl` is "" in the page (same origin) or "http://127.0.0.1:8470".

import { CoreError } from "./errors.js";
import { publicKey } from "./ed25519.js";
import { signEnvelope } from "./envelope.js";
import { KIND } from "./kinds.js";

const hexOf = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const bytesOf = (h) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

export async function submit(nodeUrl, bodyHex, seed, kind, payload, { time = null, fetchFn = globalThis.fetch } = {}) {
  const base = `${nodeUrl}/v0/bodies/${bodyHex}`;
  const key = await publicKey(seed);
  const r = await fetchFn(`${base}/authors/${hexOf(key)}`);
  if (!r.ok) throw new CoreError("remote_error", `GET authors: HTTP ${r.status}`);
  const author = await r.json();
  const parents = author.heads.slice(0, 16).map(bytesOf);
  const { raw, id } = await signEnvelope(seed, kind === KIND.genesis ? null : bytesOf(bodyHex), kind, payload, {
    parents,
    seq: author.last_seq + 1,
    time: time ?? Math.floor(Date.now() / 1000),
  });
  const posted = await fetchFn(`${base}/messages`, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body: raw,
  });
  const answer = await posted.json();
  const result = answer.results?.[0] ?? {};
  return { id: hexOf(id), raw, status: result.status ?? null, process: result.process ?? null, result, http: posted.status };
}
