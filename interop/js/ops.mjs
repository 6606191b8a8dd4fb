// The harness operations (spec/harness.md), on the JS core.
import * as core from "./core/index.js";
import { Log } from "./core/log.js";
import { readBundle, encodeBundle, readBulletin } from "./core/sneakernet.js";
import * as frames from "./core/frames.js";
import { Session as ReconcileSession } from "./core/reconcile.js";
import { decodeAttestation, verifyAttestation, verdictJson } from "./core/verdict.js";
import { LinkSide } from "./core/link.js";

export const IMPLEMENTATION = "caracol-js";
export const VERSION = "0.1.0";

function hexField(request, name, { size = null, optional = false } = {}) {
  const v = request[name];
  if ((v === null || v === undefined) && optional) return null;
  if (typeof v !== "string") throw new Error(`${name} must be a hex string`);
  const raw = core.unhex(v);
  if (size !== null && raw.length !== size) throw new Error(`${name} must be ${size} bytes`);
  return raw;
}

function failure(e) {
  if (e instanceof core.CoreError) {
    return { ok: false, error: e.code, reason: e.reason, field: e.field, offset: e.offset };
  }
  throw e;
}

export const handlers = {
  async hello(_, { noble }) {
    return {
      ok: true,
      implementation: IMPLEMENTATION,
      version: VERSION,
      protocol: 0,
      ops: OPS,
      backend: noble || core.usingNoble() ? "noble" : "webcrypto",
    };
  },

  async decode(request) {
    const message = hexField(request, "message");
    const body = hexField(request, "body", { size: 32, optional: true });
    const verify = request.verify ?? true;
    if (typeof verify !== "boolean") throw new Error("verify must be true or false");
    try {
      const env = await core.decodeEnvelope(message, body);
      if (verify) await core.verifyEnvelope(env);
      return { ok: true, message_id: core.hex(env.id), fields: core.fieldsOf(env) };
    } catch (e) {
      return failure(e);
    }
  },

  async verify(request) {
    const pk = hexField(request, "pk");
    const msg = hexField(request, "msg");
    const sig = hexField(request, "sig");
    return { ok: true, valid: await core.verify(pk, msg, sig) };
  },

  async id(request) {
    return { ok: true, message_id: core.hex(await core.sha256(hexField(request, "message"))) };
  },

  async encode(request) {
    const seed = hexField(request, "seed", { size: 32 });
    const body = hexField(request, "body", { size: 32, optional: true });
    const f = request.fields;
    if (f === null || typeof f !== "object") throw new Error("fields must be an object");
    const kind = typeof f.kind === "number" ? f.kind : core.KIND[String(f.kind).toLowerCase()];
    if (kind === undefined) throw new Error(`unknown kind ${f.kind}`);
    try {
      const { raw, id } = await core.signEnvelope(seed, kind === core.KIND.genesis ? null : body, kind, core.wireFromPlain(f.payload), {
        parents: (f.parents ?? []).map(core.unhex),
        seq: f.seq,
        time: f.time,
      });
      return { ok: true, message: core.hex(raw), message_id: core.hex(id) };
    } catch (e) {
      if (e instanceof core.CoreError && e.code === "local_error") {
        return { ok: false, error: e.code, reason: e.reason, field: e.field };
      }
      return failure(e);
    }
  },

  // --- beyond harness.md's core ops (the runner drives these too) ---

  async canonical_decode(request) {
    try {
      const value = core.decode(hexField(request, "data"));
      return { ok: true, value: core.plain(value), reencoded: core.hex(core.encode(value)) };
    } catch (e) {
      return failure(e);
    }
  },

  async key_from_text(request) {
    try {
      return { ok: true, key: core.hex(core.keyFromText(String(request.text))) };
    } catch (e) {
      return failure(e);
    }
  },

  async key_to_text(request) {
    return { ok: true, text: core.keyToText(hexField(request, "key", { size: 32 })) };
  },

  async public_key(request) {
    return { ok: true, public_key: core.hex(await core.publicKey(hexField(request, "seed", { size: 32 }))) };
  },

  async sign(request) {
    const seed = hexField(request, "seed", { size: 32 });
    return { ok: true, sig: core.hex(await core.sign(seed, hexField(request, "msg"))) };
  },
};

// Text ops in JSON: positions as [hex, offset]; anything else is passed
// through unchanged, for the shape check to reject (bad_text_op).
function opFromJson(op) {
  const isPos = (p) => Array.isArray(p) && p.length === 2 && typeof p[0] === "string" && /^[0-9a-f]{64}$/.test(p[0]);
  const pos = (p) => (isPos(p) ? [core.unhex(p[0]), p[1]] : p);
  if (!Array.isArray(op)) return op;
  if (op[0] === 0) return [0, pos(op[1]), pos(op[2]), ...op.slice(3)];
  if (op[0] === 1) return [1, pos(op[1]), ...op.slice(2)];
  return op;
}

function opToJson(op) {
  const pos = (p) => (p === null ? null : [core.hex(p[0]), p[1]]);
  return op[0] === 0 ? [0, pos(op[1]), pos(op[2]), op[3]] : [1, pos(op[1]), op[2]];
}

Object.assign(handlers, {
  // Apply messages' text ops in the given order to a fresh document; a
  // message with `past` (ids) is first checked against it (checkOps), and a
  // rejection answers with its code and the state before that message.
  async text_replay(request) {
    const doc = new core.TextDocument(core.unhex(request.root), request.initial ?? "");
    for (const m of request.messages ?? []) {
      const id = core.unhex(m.id);
      const ops = Array.isArray(m.ops) ? m.ops.map(opFromJson) : m.ops;
      try {
        if (Array.isArray(m.past)) core.checkOps(doc, id, ops, new Set(m.past));
        doc.apply(id, ops);
      } catch (e) {
        if (!(e instanceof core.CoreError)) throw e;
        return { ...failure(e), text: doc.text(), state_sha256: core.hex(await doc.stateHash()) };
      }
    }
    return {
      ok: true,
      text: doc.text(),
      state_sha256: core.hex(await doc.stateHash()),
      runs: doc.spans(),
    };
  },

  // The ops that turn served runs into new_text (core.editToOps).
  async edit_to_ops(request) {
    const ops = core.editToOps(request.runs, String(request.new_text), { maxOps: request.max_ops ?? 64 });
    return { ok: true, ops: ops.map(opToJson) };
  },
});

Object.assign(handlers, {
  // spec/keys.md keystore, byte-compatible with protocol/keystore.py
  async keystore_seal(request) {
    const seed = hexField(request, "seed", { size: 32 });
    try {
      const file = await core.sealKeystore(seed, String(request.passphrase ?? ""), {
        opslimit: request.opslimit ?? 3,
        memlimit: request.memlimit ?? 64 * 1024 * 1024,
        salt: hexField(request, "salt", { size: 16, optional: true }),
        nonce: hexField(request, "nonce", { size: 24, optional: true }),
      });
      return { ok: true, file: core.hex(file) };
    } catch (e) {
      return failure(e);
    }
  },

  async keystore_open(request) {
    try {
      const seed = await core.unsealKeystore(hexField(request, "file"), String(request.passphrase ?? ""));
      return { ok: true, seed: core.hex(seed), public_key: core.hex(await core.publicKey(seed)) };
    } catch (e) {
      return failure(e);
    }
  },
});

Object.assign(handlers, {
  // Check a payload (JSON form, ints as numbers) against its kind's schema.
  async check_payload(request) {
    try {
      core.checkPayload(request.kind, core.wireFromPlain(request.payload));
      return { ok: true };
    } catch (e) {
      return failure(e);
    }
  },

  // A payload from its builder: payloads[kind](...args), args in JSON form.
  async build(request) {
    const builder = core.payloads[String(request.kind)];
    if (!builder) throw new Error(`no builder for ${request.kind}`);
    return { ok: true, payload: core.plain(builder(...core.wireFromPlain(request.args ?? []))) };
  },

  async rotation_proof(request) {
    const proof = await core.rotationProof(
      hexField(request, "new_seed", { size: 32 }),
      hexField(request, "body", { size: 32 }),
      hexField(request, "old_key", { size: 32 }),
    );
    return { ok: true, proof: core.hex(proof) };
  },

  // spec/keys.md key cards, byte-compatible with protocol/keycard.py
  async card_open(request) {
    try {
      const { card, seed } = await core.openCard(hexField(request, "card"), String(request.pin ?? ""));
      return { ok: true, seed: core.hex(seed), body: core.hex(card.body), public_key: core.hex(card.publicKey), name: card.name };
    } catch (e) {
      return failure(e);
    }
  },

  async normalise_pin(request) {
    return { ok: true, pin: core.hex(core.normalisePin(String(request.pin))) };
  },

  async card_seal(request) {
    try {
      const card = await core.sealCard(hexField(request, "seed", { size: 32 }), String(request.pin ?? ""), {
        body: hexField(request, "body", { size: 32 }),
        name: request.name,
        opslimit: request.opslimit ?? 3,
        memlimit: request.memlimit ?? 64 * 1024 * 1024,
        salt: hexField(request, "salt", { size: 16, optional: true }),
        nonce: hexField(request, "nonce", { size: 24, optional: true }),
        minPin: request.min_pin ?? 8,
      });
      return { ok: true, card: core.hex(card) };
    } catch (e) {
      return failure(e);
    }
  },

  // The people's constitution: a version's digest, and an initiative's text
  // and the digest of the constitution it makes (spec/harness.md).
  async constitution(request) {
    const c = request.constitution;
    const out = { ok: true, digest: core.hex(await core.constitutionDigest(c)) };
    if (request.initiative) {
      out.initiative_text = core.initiativeText(request.initiative);
      out.digest_after = core.hex(await core.constitutionDigest(core.amendedConstitution(c, request.initiative)));
    }
    return out;
  },

  // Every known kind's schema as [[field, type description], ...] (spec/kinds.md's tables).
  async schemas() {
    const out = {};
    for (const [kind, schema] of Object.entries(core.SCHEMAS)) {
      out[core.KIND_NAME[kind]] = [Number(kind), schema.map(([n, t]) => [n, t.describe()])];
    }
    return { ok: true, schemas: out };
  },
});

function hexList(request, name) {
  const v = request[name];
  if (!Array.isArray(v)) throw new Error(`${name} must be a list of hex strings`);
  return v.map((x, i) => {
    if (typeof x !== "string") throw new Error(`${name}[${i}] must be a hex string`);
    return core.unhex(x);
  });
}

Object.assign(handlers, {
  // spec/dag.md: deliver the messages, in order, to a fresh log of `body`
  // (each decoded and verified for it), and describe the log they make.
  async dag_replay(request) {
    const body = hexField(request, "body", { size: 32 });
    const messages = hexList(request, "messages");
    const log = new Log(body);
    for (const [index, raw] of messages.entries()) {
      try {
        const env = await core.decodeEnvelope(raw, body);
        await core.verifyEnvelope(env);
        log.add(env);
      } catch (e) {
        return { ...failure(e), index };
      }
    }
    const order = log.order();
    return {
      ok: true,
      order: order.map(core.hex),
      depths: Object.fromEntries(order.map((id) => [core.hex(id), log.depth(id)])),
      heads: log.heads().map(core.hex),
      missing: log.missing().map(core.hex),
      pending: log.pending().map(core.hex).sort(),
      equivocations: log.equivocations().map((e) => ({
        author: core.hex(e.author),
        seq: e.seq,
        first: core.hex(e.first),
        second: core.hex(e.second),
      })),
      state_hash: core.hex(await log.stateHash()),
    };
  },
});

// Each message decoded and verified for `body`: "ok" or the code it fails with.
async function verified(raws, body) {
  const out = [];
  for (const raw of raws) {
    try {
      await core.verifyEnvelope(await core.decodeEnvelope(raw, body));
      out.push("ok");
    } catch (e) {
      if (!(e instanceof core.CoreError)) throw e;
      out.push(e.code);
    }
  }
  return out;
}

Object.assign(handlers, {
  // spec/sneakernet.md: a bundle refused whole, or what it holds.
  async bundle_read(request) {
    let b;
    try {
      b = await readBundle(hexField(request, "bundle"));
    } catch (e) {
      return failure(e);
    }
    const ids = [];
    for (const m of b.messages) ids.push(core.hex(await core.sha256(m)));
    return {
      ok: true,
      body: core.hex(b.body),
      heads: b.heads.map(core.hex),
      messages: ids,
      verify: await verified(b.messages, b.body),
      reencoded: core.hex(await encodeBundle(b.body, b.heads, b.messages)),
    };
  },

  // spec/sneakernet.md: scanned bulletin codes, in the order scanned.
  async bulletin_read(request) {
    let r;
    try {
      r = readBulletin(hexList(request, "payloads"));
    } catch (e) {
      return failure(e);
    }
    const ids = [];
    for (const m of r.messages) ids.push(core.hex(await core.sha256(m)));
    return { ok: true, body: core.hex(r.body), messages: ids, problems: r.problems, verify: await verified(r.messages, r.body) };
  },
});

function radioContext(request) {
  return frames.radioContext(hexList(request, "roster"), hexList(request, "held"));
}

Object.assign(handlers, {
  // spec/mesh.md: a radio frame's fields and the byte form they encode to.
  async frame_decode(request) {
    const data = hexField(request, "frame");
    let f;
    try {
      f = await frames.decodeFrame(data);
    } catch (e) {
      return failure(e);
    }
    return { ok: true, fields: frames.frameFields(f), reencoded: core.hex(await frames.encodeFrame(f)) };
  },

  async frame_abbreviate(request) {
    const short = frames.abbreviate(hexField(request, "message"), radioContext(request));
    return { ok: true, abbreviated: core.hex(short), handle: core.hex(await frames.handleOf(short)) };
  },

  async frame_expand(request) {
    try {
      return { ok: true, message: core.hex(frames.expand(hexField(request, "abbreviated"), radioContext(request))) };
    } catch (e) {
      return failure(e);
    }
  },

  async frame_fragment(request) {
    if (!Number.isInteger(request.mtu)) throw new Error("mtu must be an integer");
    try {
      return { ok: true, fragments: (await frames.fragment(hexField(request, "frame"), request.mtu)).map(core.hex) };
    } catch (e) {
      if (e instanceof core.CoreError) return { ok: false, error: e.code, reason: e.reason };
      throw e;
    }
  },

  // FRAG frames received in the given order: the whole frame once the last is in.
  async frame_reassemble(request) {
    const r = new frames.Reassembler();
    let whole = null;
    for (const data of hexList(request, "fragments")) {
      let f;
      try {
        f = await frames.decodeFrame(data);
      } catch (e) {
        return failure(e);
      }
      if (f.type !== "FRAG") return { ok: false, error: "bad_frame", reason: "not a FRAG frame" };
      whole = (await r.receive(f)) ?? whole;
    }
    return { ok: true, frame: whole === null ? null : core.hex(whole), dropped: r.dropped };
  },
});

Object.assign(handlers, {
  // spec/reconcile.md: one side of a session over `ids`, fed the peer's frames in order.
  async reconcile_side(request) {
    const params = {};
    for (const [name, key] of [["max_frame", "maxFrame"], ["branching", "branching"], ["idlist_threshold", "idlistThreshold"]]) {
      if (name in request) {
        if (!Number.isInteger(request[name])) throw new Error(`${name} must be an integer`);
        params[key] = request[name];
      }
    }
    const ids = hexList(request, "ids");
    const peerFrames = hexList(request, "peer_frames");
    let session;
    try {
      session = new ReconcileSession(ids, params);
    } catch (e) {
      return failure(e);
    }
    if (request.initiate === true) session.initiate();
    const sent = session.framesToSend();
    for (const f of peerFrames) {
      session.receiveFrame(f);
      sent.push(...session.framesToSend());
    }
    const events = [];
    for (const e of session.events()) {
      const [name, v] = Object.entries(e)[0];
      if (name === "HaveIds" || name === "NeedIds") events.push({ [name]: v.map(core.hex).sort() });
      else if (name === "PeerError") events.push({ PeerError: { code: v.code, reason: v.reason } });
    }
    return { ok: true, frames: sent.map(core.hex), events };
  },
});

Object.assign(handlers, {
  // spec/federation.md: a compact attestation of at least k signers -> the verdict it states.
  async attestation_verify(request) {
    if (!Number.isInteger(request.k)) throw new Error("k must be an integer");
    try {
      const att = decodeAttestation(hexField(request, "attestation"));
      return { ok: true, verdict: verdictJson(await verifyAttestation(att, request.k)) };
    } catch (e) {
      return failure(e);
    }
  },
});

handlers.link_replay = async function linkReplay(request) {
  const seed = hexField(request, "seed", { size: 32 });
  const nonce = hexField(request, "nonce", { size: 32 });
  const expect = hexField(request, "expect", { size: 32, optional: true });
  const known = (request.known ?? []).map((k) => core.hex(core.unhex(k)));
  const side = await LinkSide.create(seed, nonce, { expect, known: (key) => known.includes(core.hex(key)) });
  const sent = side.framesToSend();
  for (const frame of hexList(request, "frames")) {
    if (side.state === "closed") break;
    await side.receive(frame);
    sent.push(...side.framesToSend());
  }
  return {
    ok: true,
    sent: sent.map(core.hex),
    authenticated: side.authenticated === null ? null : core.hex(side.authenticated),
    closed: side.closed,
  };
};

export const OPS = Object.keys(handlers);
