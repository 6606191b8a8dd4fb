#!/usr/bin/env node
// The conformance harness (spec/harness.md) for the JS core: JSON lines on
// stdin, one answer per line on stdout, in order. Never exits on bad input.
//
//   node interop/js/harness.mjs           WebCrypto (crypto.subtle)
//   node interop/js/harness.mjs --noble   the @noble fallback of plain-HTTP pages:
//                                          crypto.subtle is removed, as a browser
//                                          leaves it out of an insecure context

import { createInterface } from "node:readline";

const noble = process.argv.includes("--noble");
// Node 18 (Debian bookworm's nodejs) has WebCrypto but not as a global
if (!globalThis.crypto) globalThis.crypto = (await import("node:crypto")).webcrypto;
if (noble) {
  const { getRandomValues } = globalThis.crypto;
  const bare = { getRandomValues: (a) => getRandomValues.call(globalThis.crypto, a) };
  Object.defineProperty(globalThis, "crypto", { value: bare, configurable: true, writable: true });
}
const core = await import("./core/index.js");
const { handlers, OPS } = await import("./ops.mjs");
await core.init();

class BadRequest extends Error {}

async function handleLine(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return { id: null, ok: false, error: "bad_request", reason: "not JSON" };
  }
  if (request === null || typeof request !== "object" || Array.isArray(request)) {
    return { id: null, ok: false, error: "bad_request", reason: "not a JSON object" };
  }
  const id = request.id ?? null;
  const handler = typeof request.op === "string" && Object.hasOwn(handlers, request.op) ? handlers[request.op] : undefined;
  let answer;
  try {
    if (!handler) throw new BadRequest(`unknown op ${JSON.stringify(request.op)}; ops: ${OPS.join(", ")}`);
    answer = await handler(request, { noble });
  } catch (e) {
    if (e instanceof core.CoreError && e.code !== "local_error") {
      answer = { ok: false, error: e.code, reason: e.reason, field: e.field, offset: e.offset };
    } else {
      answer = { ok: false, error: "bad_request", reason: String(e?.message ?? e) };
    }
  }
  return { id, ...answer };
}

// JSON with BigInt written as its exact digits (Python's json does the same).
function stringify(value) {
  return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `__BIGINT__${v}__` : v)).replace(
    /"__BIGINT__(-?\d+)__"/g,
    "$1",
  );
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  process.stdout.write(stringify(await handleLine(line)) + "\n");
}
