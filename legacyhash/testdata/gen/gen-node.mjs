// Prints test vectors for scrypt-kdf (Medusa v1/v2), bcrypt and argon2 as a JSON array.
// Every expected result ("oracle") is what the real package's verify answered for that
// exact (password, hash) pair; "ok" and "error" are what the Go verifier must answer.
// Run through generate.sh.
import crypto from "node:crypto";
import fs from "node:fs";
import Scrypt from "scrypt-kdf";
import bcrypt from "bcryptjs";
import bcrypt2 from "bcryptjs-2";
import argon2 from "argon2";

const version = (dir) =>
  JSON.parse(fs.readFileSync(new URL(`./node_modules/${dir}/package.json`, import.meta.url))).version;
const SRC = {
  scrypt: `scrypt-kdf@${version("scrypt-kdf")}`,
  bcrypt: `bcryptjs@${version("bcryptjs")}`,
  bcrypt2: `bcryptjs@${version("bcryptjs-2")}`,
  argon2: `argon2@${version("argon2")}`,
};

const PW = {
  ascii: "correct horse battery staple",
  empty: "",
  space: " ",
  nfc: "p\u00e4ssw\u00f6rd",
  nfd: "pa\u0308sswo\u0308rd",
  cjk: "\u5bc6\u7801\u{1f511}",
  ctrl: "tab\there\nnewline\r",
  nul: "nul\u0000inside",
};

// Wrong passwords close to the right one, the most telling first.
function wrongFor(pw) {
  const w = [];
  if (pw === PW.nfc) w.push(PW.nfd);
  if (pw === PW.nfd) w.push(PW.nfc);
  if (pw === "") w.push(" ");
  if (pw === " ") w.push("");
  w.push(pw + "!", Array.from(pw).slice(0, -1).join(""));
  if (pw.toUpperCase() !== pw) w.push(pw.toUpperCase());
  return [...new Set(w)].filter((x) => x !== pw);
}

const vectors = [];

// add records one vector. oracle(hash, password) is the real implementation's verify, or
// null when running it would take minutes or gigabytes (over-limit vectors).
async function add(format, kase, source, password, hash, oracle, want = {}) {
  let said;
  if (oracle === null) {
    said = "not run: over the verifier's limits";
  } else {
    try {
      said = String(await oracle(hash, password));
    } catch (e) {
      said = `error: ${e.message}`;
    }
  }
  if (!want.error && said !== "true" && said !== "false") {
    throw new Error(`${format} ${kase}: oracle answered ${said}`);
  }
  const v = { format, case: kase, source, password, hash, ok: !want.error && said === "true", error: want.error ?? "", oracle: said };
  // bcryptjs says itself whether it cut the password to 72 bytes.
  if (format === "bcrypt" && !want.error) v.truncated = bcrypt.truncates(password);
  vectors.push(v);
}

// addSet records the right password and its wrong neighbours against one hash; for hashes
// at real-world cost, only the first neighbour (maxWrong = 1) keeps the Go tests quick.
async function addSet(format, kase, source, password, hash, oracle, maxWrong = Infinity) {
  await add(format, kase, source, password, hash, oracle);
  for (const w of wrongFor(password).slice(0, maxWrong)) {
    await add(format, `${kase}, wrong password`, source, w, hash, oracle);
  }
}

// ---- scrypt-kdf, as Medusa stores it: base64 of the 96-byte key -----------------------------
{
  const kdf = async (pw, params) => (await Scrypt.kdf(pw, params)).toString("base64");
  const verify = (hash, pw) => Scrypt.verify(Buffer.from(hash, "base64"), pw);
  const V1 = { logN: 1, r: 1, p: 1 }; // Medusa v1 CustomerService/UserService.hashPassword_
  const V2 = { logN: 15, r: 8, p: 1 }; // Medusa v2 emailpass default hashConfig

  for (const [name, pw] of Object.entries(PW)) {
    await addSet("scrypt-kdf", `medusa-v1 logN=1 r=1 p=1, ${name}`, SRC.scrypt, pw, await kdf(pw, V1), verify);
  }
  for (const name of ["ascii", "nfc", "empty", "cjk"]) {
    await addSet("scrypt-kdf", `medusa-v2 logN=15 r=8 p=1, ${name}`, SRC.scrypt, PW[name], await kdf(PW[name], V2), verify, 1);
  }
  await addSet("scrypt-kdf", "medusa-v2 custom hashConfig logN=12 r=8 p=2", SRC.scrypt, PW.ascii, await kdf(PW.ascii, { logN: 12, r: 8, p: 2 }), verify);

  // Edited keys. withHeader rewrites bytes and, if fix, recomputes the header checksum.
  const base = Buffer.from(await kdf(PW.ascii, V1), "base64");
  const edit = (f, fix) => {
    const k = Buffer.from(base);
    f(k);
    if (fix) crypto.createHash("sha256").update(k.subarray(0, 48)).digest().copy(k, 48, 0, 16);
    return k.toString("base64");
  };
  await add("scrypt-kdf", "salt edited, checksum stale", SRC.scrypt, PW.ascii, edit((k) => (k[20] ^= 1), false), verify, { error: "malformed" });
  await add("scrypt-kdf", "HMAC edited", SRC.scrypt, PW.ascii, edit((k) => (k[90] ^= 1), false), verify);
  await add("scrypt-kdf", "95-byte key", SRC.scrypt, PW.ascii, base.subarray(0, 95).toString("base64"), verify, { error: "malformed" });
  await add("scrypt-kdf", "version byte 1 (scrypt-kdf ignores it)", SRC.scrypt, PW.ascii, edit((k) => (k[6] = 1), true), verify, { error: "unsupported" });
  await add("scrypt-kdf", "logN=0", SRC.scrypt, PW.ascii, edit((k) => (k[7] = 0), true), verify, { error: "malformed" });
  await add("scrypt-kdf", "r=0", SRC.scrypt, PW.ascii, edit((k) => k.writeUInt32BE(0, 8), true), verify, { error: "malformed" });
  await add("scrypt-kdf", "logN=21 r=8 over the N limit", SRC.scrypt, PW.ascii, edit((k) => { k[7] = 21; k.writeUInt32BE(8, 8); }, true), verify, { error: "limit" });
  await add("scrypt-kdf", "logN=14 r=8 p=128 over the work limit", SRC.scrypt, PW.ascii, edit((k) => { k[7] = 14; k.writeUInt32BE(8, 8); k.writeUInt32BE(128, 12); }, true), null, { error: "limit" });
}

// ---- bcrypt ----------------------------------------------------------------------------
{
  const verify = (hash, pw) => bcrypt.compareSync(pw, hash);
  const h = (pw, cost) => bcrypt.hashSync(pw, bcrypt.genSaltSync(cost));
  const addB = (kase, src, pw, hash) => addSet("bcrypt", kase, src, pw, hash, verify);

  for (const [name, pw] of Object.entries(PW)) {
    await addB(`$2b$04, ${name}`, SRC.bcrypt, pw, h(pw, 4));
  }
  await addSet("bcrypt", "$2b$10 (default cost)", SRC.bcrypt, PW.ascii, h(PW.ascii, 10), verify, 1);
  for (const name of ["ascii", "nfc"]) {
    await addB(`$2a$05, ${name}`, SRC.bcrypt2, PW[name], bcrypt2.hashSync(PW[name], bcrypt2.genSaltSync(5)));
  }
  const b = h(PW.ascii, 4);
  await addB("$2y$04 (a $2b$ hash under PHP's prefix)", SRC.bcrypt, PW.ascii, "$2y$" + b.slice(4));

  // Passwords around the 72-byte key limit.
  const a72 = "a".repeat(72);
  const long = a72 + "tail that bcrypt never sees";
  const hl = h(long, 4);
  await add("bcrypt", "100-byte password", SRC.bcrypt, long, hl, verify);
  await add("bcrypt", "100-byte password, other tail after byte 72", SRC.bcrypt, a72 + "different tail", hl, verify);
  await add("bcrypt", "100-byte password, its first 72 bytes", SRC.bcrypt, a72, hl, verify);
  await add("bcrypt", "100-byte password, byte 72 changed", SRC.bcrypt, "a".repeat(71) + "b" + "tail that bcrypt never sees", hl, verify);
  const h72 = h(a72, 4);
  await add("bcrypt", "72-byte password", SRC.bcrypt, a72, h72, verify);
  await add("bcrypt", "72-byte password, 73 bytes given", SRC.bcrypt, a72 + "b", h72, verify);
  await add("bcrypt", "72-byte password, 71 bytes given", SRC.bcrypt, "a".repeat(71), h72, verify);
  const split = "a".repeat(71) + "\u00e9"; // 73 bytes: the é is cut after its first byte
  const hs = h(split, 4);
  await add("bcrypt", "character split at byte 72", SRC.bcrypt, split, hs, verify);
  await add("bcrypt", "character split at byte 72, other character with the same first byte", SRC.bcrypt, "a".repeat(71) + "\u00e8", hs, verify);
  await add("bcrypt", "character split at byte 72, 71 bytes given", SRC.bcrypt, "a".repeat(71), hs, verify);
  const keys = "\u{1f511}".repeat(20); // 80 bytes
  const hk = h(keys, 5);
  await add("bcrypt", "80-byte emoji password", SRC.bcrypt, keys, hk, verify);
  await add("bcrypt", "80-byte emoji password, 18 emoji given", SRC.bcrypt, "\u{1f511}".repeat(18), hk, verify);

  // Malformed and unsupported.
  await add("bcrypt", "$2x$ prefix", SRC.bcrypt, PW.ascii, "$2x$" + b.slice(4), verify, { error: "unsupported" });
  const salt22 = b.slice(7, 29);
  await add("bcrypt", "$2$ (no NUL terminator)", SRC.bcrypt, PW.ascii, bcrypt.hashSync(PW.ascii, "$2$04$" + salt22), verify, { error: "unsupported" });
  const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bump = (c) => alphabet[alphabet.indexOf(c) + 1];
  await add("bcrypt", "salt with spare bits set", SRC.bcrypt, PW.ascii, b.slice(0, 28) + bump(b[28]) + b.slice(29), verify, { error: "malformed" });
  await add("bcrypt", "digest with spare bits set", SRC.bcrypt, PW.ascii, b.slice(0, 59) + bump(b[59]), verify, { error: "malformed" });
  await add("bcrypt", "59 characters", SRC.bcrypt, PW.ascii, b.slice(0, 59), verify, { error: "malformed" });
  await add("bcrypt", "cost 03", SRC.bcrypt, PW.ascii, "$2b$03$" + b.slice(7), verify, { error: "malformed" });
  await add("bcrypt", "cost 17 over the limit", SRC.bcrypt, PW.ascii, "$2b$17$" + b.slice(7), null, { error: "limit" });
}

// ---- argon2 PHC strings ------------------------------------------------------------------
{
  const verify = (hash, pw) => argon2.verify(hash, pw);
  const h = (pw, o) => argon2.hash(pw, o);
  const ID = argon2.argon2id, I = argon2.argon2i;

  await addSet("argon2", "argon2id v=19 npm defaults m=65536 t=3 p=4", SRC.argon2, PW.ascii, await h(PW.ascii, {}), verify, 1);
  for (const [name, pw] of Object.entries(PW)) {
    await addSet("argon2", `argon2id v=19 m=256 t=2 p=1, ${name}`, SRC.argon2, pw, await h(pw, { type: ID, memoryCost: 256, timeCost: 2, parallelism: 1 }), verify);
  }
  for (const name of ["ascii", "nfc"]) {
    await addSet("argon2", `argon2i v=19 m=4096 t=3 p=1, ${name}`, SRC.argon2, PW[name], await h(PW[name], { type: I, memoryCost: 4096, timeCost: 3, parallelism: 1 }), verify);
  }
  await addSet("argon2", "argon2id v=19 m=1024 t=2 p=2, 64-byte hash, 32-byte salt", SRC.argon2, PW.cjk,
    await h(PW.cjk, { type: ID, memoryCost: 1024, timeCost: 2, parallelism: 2, hashLength: 64, salt: crypto.randomBytes(32) }), verify);
  await addSet("argon2", "argon2i v=19 m=64 t=1 p=1, 16-byte hash, 8-byte salt", SRC.argon2, PW.ascii,
    await h(PW.ascii, { type: I, memoryCost: 64, timeCost: 1, parallelism: 1, hashLength: 16, salt: crypto.randomBytes(8) }), verify);
  await addSet("argon2", "argon2id v=19 m=1000 t=2 p=3 (m not a multiple of 4p), 100-byte hash", SRC.argon2, PW.ascii,
    await h(PW.ascii, { type: ID, memoryCost: 1000, timeCost: 2, parallelism: 3, hashLength: 100 }), verify);

  // Version 16 (0x10), which the npm package still makes when asked.
  await addSet("argon2", "argon2i v=16 m=1024 t=3 p=2", SRC.argon2, PW.ascii, await h(PW.ascii, { type: I, version: 0x10, memoryCost: 1024, timeCost: 3, parallelism: 2 }), verify);
  await addSet("argon2", "argon2id v=16 m=256 t=1 p=1", SRC.argon2, PW.nfc, await h(PW.nfc, { type: ID, version: 0x10, memoryCost: 256, timeCost: 1, parallelism: 1 }), verify);
  await addSet("argon2", "argon2id v=16 m=2048 t=4 p=4, 48-byte hash", SRC.argon2, PW.empty, await h(PW.empty, { type: ID, version: 0x10, memoryCost: 2048, timeCost: 4, parallelism: 4, hashLength: 48 }), verify);
  await addSet("argon2", "argon2i v=16 m=1000 t=2 p=3, 100-byte hash", SRC.argon2, PW.cjk, await h(PW.cjk, { type: I, version: 0x10, memoryCost: 1000, timeCost: 2, parallelism: 3, hashLength: 100 }), verify);
  const v16 = await h(PW.ascii, { type: ID, version: 0x10, memoryCost: 512, timeCost: 2, parallelism: 2 });
  await addSet("argon2", "argon2id without v= (means 16)", SRC.argon2, PW.ascii, v16.replace("$v=16$", "$"), verify);

  // The reference implementation's parameter order.
  const v19 = await h(PW.ascii, { type: ID, memoryCost: 256, timeCost: 2, parallelism: 2 });
  const reordered = v19.replace(/m=(\d+),p=(\d+),t=(\d+)/, "m=$1,t=$3,p=$2");
  await addSet("argon2", "argon2id v=19 params in m,t,p order", SRC.argon2, PW.ascii, reordered, verify);

  // Malformed, unsupported and over the limits.
  const E = (kase, hash, error, oracle = verify) => add("argon2", kase, SRC.argon2, PW.ascii, hash, oracle, { error });
  await E("argon2d", await h(PW.ascii, { type: argon2.argon2d, memoryCost: 256, timeCost: 1, parallelism: 1 }), "unsupported");
  await E("associated data (data=)", await h(PW.ascii, { type: ID, memoryCost: 256, timeCost: 1, parallelism: 1, associatedData: Buffer.from("ad") }), "unsupported");
  await E("v=20", v19.replace("$v=19$", "$v=20$"), "unsupported");
  await E("padded base64 salt", v19.replace(/\$([^$]+)\$([^$]+)$/, (_, s, t) => `$${s}==$${t}`), "malformed");
  await E("m below 8·p", v19.replace(/m=\d+,p=\d+/, "m=8,p=2"), "malformed");
  await E("t=0", v19.replace(/t=\d+/, "t=0"), "malformed");
  await E("no hash field", v19.replace(/\$[^$]+$/, ""), "malformed");
  await E("m=1048576 over the memory limit", v19.replace(/m=\d+/, "m=1048576"), "limit", null);
  await E("t=4294967295 over the time limit", v19.replace(/t=\d+/, "t=4294967295"), "limit", null);
}

process.stdout.write(JSON.stringify(vectors));
