// The device's own storage (IndexedDB): the member's seed — which never
// leaves the device — the signed messages waiting for the network, and
// the last heads and sequence number seen for the member.
const DB = "caracol";
let dbp = null;

function db() {
  dbp ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => {
      const d = req.result;
      d.createObjectStore("kv");
      d.createObjectStore("outbox", { keyPath: "id" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return dbp;
}

async function tx(store, mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const x = d.transaction(store, mode);
    const req = fn(x.objectStore(store));
    x.oncomplete = () => resolve(req?.result);
    x.onerror = () => reject(x.error);
  });
}

export const getItem = (k) => tx("kv", "readonly", (s) => s.get(k));
export const setItem = (k, v) => tx("kv", "readwrite", (s) => s.put(v, k));
export const delItem = (k) => tx("kv", "readwrite", (s) => s.delete(k));
export const outbox = () => tx("outbox", "readonly", (s) => s.getAll());
export const queue = (entry) => tx("outbox", "readwrite", (s) => s.put(entry));
export const unqueue = (id) => tx("outbox", "readwrite", (s) => s.delete(id));
