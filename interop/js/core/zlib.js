// zlib (RFC 1950) for radio frames (spec/mesh.md), injected like the crypto
// libraries (deps.js): `init({zlib})` with
//
//   zlib.inflate(bytes, maxBytes) -> Promise<Uint8Array>
//       throws ZlibError: kind "corrupt" (not a zlib stream, a bad check),
//       "truncated" (the stream does not end), "limit" (more than maxBytes),
//       "trailing" (bytes after the end of the stream)
//   zlib.deflate(bytes) -> Promise<Uint8Array>   any valid zlib stream
//
// Without one, `defaultZlib()` gives node:zlib under Node and the Compression
// Streams API (DecompressionStream("deflate"), which is RFC 1950 zlib) in a
// browser. The protocol does not fix the compressed bytes (spec/mesh.md), so
// CompressionStream, whose level cannot be chosen, is as good a sender as
// zlib level 9.

export class ZlibError extends Error {
  constructor(kind, message) {
    super(message);
    this.name = "ZlibError";
    this.kind = kind;
  }
}

let cached = null;

export async function defaultZlib() {
  cached ??= (typeof process !== "undefined" && process.versions?.node ? nodeZlib() : streamsZlib());
  return cached;
}

async function nodeZlib() {
  const z = await import("node:zlib");
  return {
    async inflate(data, maxBytes) {
      let r;
      try {
        // one byte more than the limit, so "exactly the limit" and "past it" differ
        r = z.inflateSync(data, { info: true, maxOutputLength: maxBytes + 1 });
      } catch (e) {
        if (e.code === "ERR_BUFFER_TOO_LARGE") throw new ZlibError("limit", `inflates past ${maxBytes} bytes`);
        if (e.code === "Z_BUF_ERROR") throw new ZlibError("truncated", "the compressed stream is cut short");
        throw new ZlibError("corrupt", String(e.message ?? e));
      }
      if (r.buffer.length > maxBytes) throw new ZlibError("limit", `inflates past ${maxBytes} bytes`);
      if (r.engine.bytesWritten !== data.length) {
        throw new ZlibError("trailing", `${data.length - r.engine.bytesWritten} bytes after the end of the compressed stream`);
      }
      return new Uint8Array(r.buffer.buffer, r.buffer.byteOffset, r.buffer.length);
    },
    async deflate(data) {
      const b = z.deflateSync(data, { level: 9 });
      return new Uint8Array(b.buffer, b.byteOffset, b.length);
    },
  };
}

// The browser's Compression Streams. The API does not tell a corrupt stream
// from a cut one (both are a TypeError): both are reported "corrupt".
export function streamsZlib() {
  if (typeof DecompressionStream === "undefined") {
    return {
      inflate() {
        throw new ZlibError("corrupt", "no zlib: pass one to init({zlib}) (core/zlib.js)");
      },
      deflate() {
        throw new ZlibError("corrupt", "no zlib: pass one to init({zlib}) (core/zlib.js)");
      },
    };
  }
  async function pump(stream, data, maxBytes) {
    const writer = stream.writable.getWriter();
    writer.write(data).catch(() => {});
    writer.close().catch(() => {});
    const reader = stream.readable.getReader();
    const parts = [];
    let total = 0;
    for (;;) {
      let step;
      try {
        step = await reader.read();
      } catch (e) {
        throw new ZlibError("corrupt", String(e?.message ?? e));
      }
      if (step.done) break;
      total += step.value.length;
      if (total > maxBytes) {
        reader.cancel().catch(() => {});
        throw new ZlibError("limit", `inflates past ${maxBytes} bytes`);
      }
      parts.push(step.value);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
  return {
    async inflate(data, maxBytes) {
      const out = await pump(new DecompressionStream("deflate"), data, maxBytes);
      // Some engines (Node 20's) ignore bytes after the end of the stream.
      // A whole stream cut by its last byte no longer ends, so: if the
      // input without its last byte still inflates, a byte was left over.
      let shorter = true;
      try {
        await pump(new DecompressionStream("deflate"), data.subarray(0, data.length - 1), maxBytes);
      } catch {
        shorter = false;
      }
      if (shorter) throw new ZlibError("trailing", "bytes after the end of the compressed stream");
      return out;
    },
    deflate: (data) => pump(new CompressionStream("deflate"), data, Infinity),
  };
}
