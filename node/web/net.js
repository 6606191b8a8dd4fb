// Talking to the node: views (GET, JSON), signing and sending, the outbox
// for offline use, live updates. Retrying a queued message sends the same
// signed bytes, so it can never count twice (the node answers "duplicate").
import * as core from "/core/index.js";
import * as store from "./store.js";

export const state = { body: null, bodies: [], seed: null, key: null, keyHex: null };

export async function getJSON(path, params = {}) {
  const q = new URLSearchParams(params);
  if (state.keyHex && !q.has("member")) q.set("member", state.keyHex);
  const r = await fetch(`${path}${q.size ? "?" + q : ""}`, { headers: { Accept: "application/json" } });
  if (!r.ok) {
    let reason = `HTTP ${r.status}`;
    try { const e = await r.json(); reason = e.reason || e.error?.reason || reason; } catch { /* not JSON */ }
    throw new Error(reason);
  }
  return r.json();
}

export const view = (name, params) => getJSON(`/v0/bodies/${state.body}/${name}`, params);

/** The member's last sequence number and the body's heads, kept on the
 *  device so the member can sign while offline. */
export async function authorState(keyHex = state.keyHex, body = state.body) {
  const cacheKey = `author:${body}:${keyHex}`;
  try {
    const a = await getJSON(`/v0/bodies/${body}/authors/${keyHex}`);
    await store.setItem(cacheKey, { last_seq: a.last_seq, heads: a.heads });
    return a;
  } catch (err) {
    const cached = await store.getItem(cacheKey);
    if (cached) return cached;
    throw err;
  }
}

/** Sign a payload as the member (or, at a kiosk, as the card's holder:
 *  `seed` and `key` given), queue it, and try to send it now; `body`
 *  another body this node holds (an initiative goes to the Collective's).
 *  Returns {queued: true} when offline, else the node's answer. */
export async function act(kind, payload, { seed = state.seed, key = state.key, body = state.body } = {}) {
  const keyHex = core.hex(key);
  const a = await authorState(keyHex, body);
  const seq = a.last_seq + 1;
  const { raw, id } = await core.signMessage(seed, core.unhex(body), kind, payload, {
    parents: [...a.heads].sort().slice(0, 16).map(core.unhex),
    seq,
    time: Math.floor(Date.now() / 1000),
  });
  const idHex = core.hex(id);
  await store.setItem(`author:${body}:${keyHex}`, { last_seq: seq, heads: [idHex] });
  await store.queue({ id: idHex, body, raw: core.hex(raw), at: Date.now() });
  if (!navigator.onLine) return { id: idHex, queued: true };
  const answers = await flush();
  return answers.get(idHex) ?? { id: idHex, queued: true };
}

/** Send every queued message, oldest first; keep those the network lost. */
export async function flush() {
  const answers = new Map();
  const waiting = (await store.outbox()).sort((x, y) => x.at - y.at);
  for (const m of waiting) {
    let r;
    try {
      r = await fetch(`/v0/bodies/${m.body}/messages`, {
        method: "POST",
        headers: { "Content-Type": "application/octet-stream" },
        body: core.unhex(m.raw),
      });
    } catch {
      break; // still offline: keep it and everything after it
    }
    if (r.status >= 500 || r.status === 429) break; // the node is busy: keep it for later
    let result = {};
    try {
      const doc = await r.json();
      // a refused batch (409 superseded_constitution, …) answers one error
      result = doc.results?.[0] ?? { status: "rejected", reason: doc.reason, code: doc.error };
    } catch { /* keep {} */ }
    await store.unqueue(m.id);
    answers.set(m.id, { id: m.id, status: result.status ?? "rejected", process: result.process ?? null,
                        reason: result.reason ?? null, code: result.code ?? null });
  }
  return answers;
}

export function live(onChange) {
  if (!("EventSource" in window) || !state.body) return null;
  const es = new EventSource(`/v0/bodies/${state.body}/events`);
  es.onmessage = () => onChange();
  return es;
}
