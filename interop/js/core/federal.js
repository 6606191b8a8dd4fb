// The people's constitution (spec/constitution.md, "The people's
// constitution"): a version's digest and an initiative's text, written from
// the spec. A constitution is {version, params: [[n, num, den], …],
// articles: [[number, title, text], …]}, both ascending.
import { encode } from "./canonical.js";
import { sha256 } from "./hash.js";

const DOMAIN = new TextEncoder().encode("caracol/0 constitution\0");
/** The federation-level parameters' names (spec/process.md §12). */
export const FEDERAL_NAMES = Object.freeze({ 9: "size_cap", 10: "min_constituent_size", 13: "ratification_threshold" });

/** SHA-256("caracol/0 constitution" 0x00 || canonical [version, params, articles]). */
export async function constitutionDigest({ version, params, articles }) {
  const content = encode([version, params, articles]);
  const out = new Uint8Array(DOMAIN.length + content.length);
  out.set(DOMAIN, 0);
  out.set(content, DOMAIN.length);
  return sha256(out);
}

function gcd(a, b) {
  while (b) [a, b] = [b, a % b];
  return a || 1;
}

function paramLine([n, num, den]) {
  const name = FEDERAL_NAMES[n];
  if (name === undefined) throw new Error(`parameter ${n} is not federation-level`);
  return `Parameter ${n} (${name}): ${den === 1 ? `${num}` : `${num}/${den}`}`;
}

/** The text every body presents for an initiative. */
export function initiativeText({ version, params, articles }) {
  const parts = [`The people's constitution, version ${version}: amendment`];
  for (const [n, title, text] of articles) parts.push(title ? `Article ${n}. ${title}\n${text}` : `Article ${n} is repealed.`);
  for (const p of params) parts.push(paramLine(p));
  return parts.join("\n\n");
}

/** The constitution an initiative makes of `c` (checks left to the reference's
 *  rules: the version follows, repeals name existing articles). */
export function amended(c, { version, params, articles }) {
  if (version !== c.version + 1) throw new Error(`amends version ${version - 1}, version ${c.version} is in force`);
  const ps = new Map(c.params.map((p) => [p[0], p]));
  for (const [n, num, den] of params) {
    const g = gcd(num, den); // the value in lowest terms, as the reference keeps it
    ps.set(n, [n, num / g, den / g]);
  }
  const as = new Map(c.articles.map((a) => [a[0], a]));
  for (const [n, title, text] of articles) {
    if (!title && !text) {
      if (!as.has(n)) throw new Error(`article ${n} does not exist, so it cannot be repealed`);
      as.delete(n);
    } else as.set(n, [n, title, text]);
  }
  const asc = (m) => [...m.keys()].sort((x, y) => x - y).map((k) => m.get(k));
  return { version, params: asc(ps), articles: asc(as) };
}
