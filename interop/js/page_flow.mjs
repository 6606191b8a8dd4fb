#!/usr/bin/env node
// The page's signing flow (interop/js/README.md, "Signing from the page")
// against a real node, with nothing but the core and fetch:
//
//   node interop/js/page_flow.mjs NODE_URL BODY_HEX SEED_HEX [--noble]
//
// Names the member, proposes, comments, and edits the proposal's text with
// editToOps over the served document; prints one JSON line per POST
// ({what, id, status, process}) and exits 0 when every POST got an answer.

const [url, bodyHex, seedHex] = process.argv.slice(2);
// Node 18 (Debian bookworm's nodejs) has WebCrypto but not as a global
if (!globalThis.crypto) globalThis.crypto = (await import("node:crypto")).webcrypto;
if (process.argv.includes("--noble")) {
  const { getRandomValues } = globalThis.crypto;
  const bare = { getRandomValues: (a) => getRandomValues.call(globalThis.crypto, a) };
  Object.defineProperty(globalThis, "crypto", { value: bare, configurable: true, writable: true });
}
const core = await import("./core/index.js");
await core.init();

const body = core.unhex(bodyHex);
const seed = core.unhex(seedHex);
const key = await core.publicKey(seed);
const base = `${url}/v0/bodies/${bodyHex}`;
let time = 1790000100;

async function getJson(path) {
  const r = await fetch(base + path);
  if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

async function post(what, kind, payload) {
  const r = await core.submit(url, bodyHex, seed, kind, payload, { time: time++ });
  console.log(JSON.stringify({ what, id: r.id, status: r.status, process: r.process, answer: r.result }));
  return core.unhex(r.id);
}

await post("name", core.KIND.name, core.payloads.name(key, "Ana Núñez"));
const proposal = await post(
  "proposal",
  core.KIND.proposal,
  core.payloads.proposal("Fix the well", "The pump is broken. We fix it on Sunday.", "the barrio"),
);
await post(
  "comment",
  core.KIND.comment,
  core.payloads.comment(proposal, null, core.STANCE.support, "Yes, before the summer."),
);
const view = await getJson(`/proposals/${core.hex(proposal)}?member=${core.hex(key)}&now=${time}`);
const ops = core.editToOps(view.document, "The pump is broken: we fix it on Saturday, all together.");
await post("text_edit", core.KIND.text_edit, core.payloads.text_edit(proposal, ops));
