// Key cards at a shared device (spec/keys.md, "Key cards"): read the QR
// code from a photo of the card, open it with the PIN, and forget the key
// as soon as it has signed. The QR decoder (jsQR, from npm) is loaded only
// here, as a classic script from /vendor/, so a phone's first load stays small.
import * as core from "/core/index.js";

let decoder = null;

function loadDecoder() {
  decoder ??= new Promise((resolve, reject) => {
    if (window.jsQR) return resolve(window.jsQR);
    const s = document.createElement("script");
    s.src = "/vendor/jsqr/dist/jsQR.js";
    s.onload = () => (window.jsQR ? resolve(window.jsQR) : reject(new Error("the QR decoder did not load")));
    s.onerror = () => reject(new Error("the QR decoder did not load (run scripts/setup)"));
    document.head.append(s);
  });
  return decoder;
}

/** The card's bytes from a photo or scan of it (PNG, JPEG…). */
export async function scanCard(file) {
  const jsQR = await loadDecoder();
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
  const w = Math.round(bitmap.width * scale);
  const hgt = Math.round(bitmap.height * scale);
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = hgt;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0, w, hgt);
  const img = ctx.getImageData(0, 0, w, hgt);
  const code = jsQR(img.data, w, hgt, { inversionAttempts: "attemptBoth" });
  if (!code) throw new core.CoreError("damaged_card", "no QR code found: photograph the card again, flat and lit");
  return new Uint8Array(code.binaryData);
}

/** Forget a secret: overwrite it in place. */
export function wipe(bytes) {
  if (bytes) bytes.fill(0);
}
