#!/usr/bin/env node
// The conformance harness (spec/harness.md) for the JS core: JSON lines on
// stdin, one answer per line on stdout, in order. Never exits on bad input.
//
//   node interop/js/harness.mjs           WebCrypto (crypto.subtle)
//   node interop/js/harness.mjs --noble   the @noble fallback of plain-HTTP pages:
//                                          crypto.subtle is removed, as a browser
//                                          leaves it out of an insecure context
//   node interop/js/harness.mjs --compression-streams
//                                          radio frames' zlib from the browser's
//                                          Compression Streams, not node:zlib

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
if (process.argv.includes("--compression-streams")) {
  const { streamsZlib } = await import("./core/zlib.js");
  const { setDeps } = await import("./core/deps.js");
  setDeps({ zlib: streamsZlib() });
}

class BadRequest extends Error {}

async function handleLine(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return { id: null, ok: false, error: "bad_request", reason: "not JSON" };
  }
  try {
    request = JSON.parse(line, revive);
  } catch (e) {
    if (!(e instanceof BadNumber)) throw e;
    const id = request !== null && typeof request === "object" && !Array.isArray(request) ? (request.id ?? null) : null;
    return { id, ok: false, error: "bad_request", reason: e.message };
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

// Integers JSON cannot carry exactly (beyond 2^53 - 1 either side) travel as
// {"int": "digits"} (spec/harness.md): read as BigInt, written back the same.
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const DIGITS = /^-?(0|[1-9][0-9]*)$/;

class BadNumber extends Error {}

function revive(_, v) {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  if (keys.length !== 1 || keys[0] !== "int") return v;
  if (typeof v.int !== "string" || !DIGITS.test(v.int)) throw new BadNumber(`{"int": ...} must hold decimal digits, not ${JSON.stringify(v.int)}`);
  const n = BigInt(v.int);
  if (n >= -SAFE && n <= SAFE) throw new BadNumber(`${n} is written as a plain JSON number, not {"int": ...}`);
  return n;
}

function stringify(value) {
  return JSON.stringify(value, (_, v) => {
    if (typeof v !== "bigint") return v;
    return v >= -SAFE && v <= SAFE ? Number(v) : { int: v.toString() };
  });
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  process.stdout.write(stringify(await handleLine(line)) + "\n");
}
