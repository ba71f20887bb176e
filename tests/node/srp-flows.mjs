// SRP sign-in through amazon-cognito-identity-js (its default flow, USER_SRP_AUTH) against a
// `hashless pool`: many users with random names and passwords, wrong passwords, the
// newPasswordRequired callback after SRP, the lockout, TOTP MFA with codes computed here,
// and a remembered device that skips MFA. It makes its own pool and app
// client with the AWS SDK; tests/e2e/node-clients.sh starts the server and runs this with:
//
//   ENDPOINT          the server, e.g. http://127.0.0.1:9229
//   ACCESS_KEY        a credential the server accepts for admin operations
//   SECRET_KEY
//   SRP_USERS         how many random users sign in (default 300)
//
// Prints `ok - …` / `not ok - …` lines and `N passed, M failed`; exits 1 on any failure.
import { createHmac, randomBytes, randomInt } from "node:crypto";
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  SetUserPoolMfaConfigCommand,
} from "@aws-sdk/client-cognito-identity-provider";
import amazonCognitoIdentity from "amazon-cognito-identity-js";
import { cognitoVerifiers } from "./verifier.mjs";
import { Tap, describeError } from "./tap.mjs";

const { AuthenticationDetails, CognitoUser, CognitoUserPool } = amazonCognitoIdentity;

const t = new Tap();
const CALL_TIMEOUT_MS = 30_000;
const watchdog = setTimeout(() => t.bail("the script did not finish within 8 minutes"), 480_000);
watchdog.unref();

const { ENDPOINT, ACCESS_KEY, SECRET_KEY } = process.env;
const USERS = Number(process.env.SRP_USERS || 300);
if (!ENDPOINT || !ACCESS_KEY || !SECRET_KEY) {
  t.notOk("the environment names the server and a credential", "need ENDPOINT, ACCESS_KEY, SECRET_KEY");
  t.bail("nothing to test against");
}

const admin = new CognitoIdentityProviderClient({
  region: "us-east-1",
  endpoint: ENDPOINT,
  credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
});

// --- helpers ---------------------------------------------------------------------------------

function withTimeout(what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no callback within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function authCallbacks(resolve) {
  return {
    onSuccess: (session) => resolve({ kind: "onSuccess", session }),
    onFailure: (err) => resolve({ kind: "onFailure", err }),
    newPasswordRequired: (userAttributes, requiredAttributes) =>
      resolve({ kind: "newPasswordRequired", userAttributes, requiredAttributes }),
    mfaRequired: (challengeName) => resolve({ kind: "mfaRequired", challengeName }),
    totpRequired: (challengeName) => resolve({ kind: "totpRequired", challengeName }),
    selectMFAType: (challengeName) => resolve({ kind: "selectMFAType", challengeName }),
    mfaSetup: (challengeName) => resolve({ kind: "mfaSetup", challengeName }),
    customChallenge: () => resolve({ kind: "customChallenge" }),
  };
}

function signIn(pool, username, password) {
  const user = new CognitoUser({ Username: username, Pool: pool });
  const details = new AuthenticationDetails({ Username: username, Password: password });
  return withTimeout("authenticateUser", new Promise((resolve) => user.authenticateUser(details, authCallbacks(resolve))))
    .catch((err) => ({ kind: "onFailure", err }))
    .then((r) => ({ ...r, user }));
}

function describeOutcome(r) {
  if (r.kind === "onFailure") return `onFailure: ${describeError(r.err)}`;
  return r.kind;
}

// Random text for usernames and passwords: ASCII, accents, CJK, emoji and inner spaces.
const ALPHABET = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#%&*+-=?@^_.:éüßñ日本語한국🙂🔑"];
// Usernames leave out "@": in a pool with an e-mail alias a username may not look like one.
const NAME_ALPHABET = ALPHABET.filter((c) => c !== "@");
function randomText(min, max, alphabet = ALPHABET) {
  const n = randomInt(min, max + 1);
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}
function randomPassword() {
  // No leading or trailing space (the API's pattern); a space inside now and then.
  const inner = randomInt(4) === 0 ? " " : "";
  return `${randomText(4, 20)}${inner}${randomText(4, 20)}`;
}

async function runLimited(items, limit, fn) {
  let next = 0;
  const workers = Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

// --- setup ----------------------------------------------------------------------------------

const created = await admin.send(new CreateUserPoolCommand({
  PoolName: `srp-${Date.now()}`,
  UsernameConfiguration: { CaseSensitive: false },
  AliasAttributes: ["email"],
  Policies: { PasswordPolicy: { MinimumLength: 6, RequireLowercase: false, RequireUppercase: false, RequireNumbers: false, RequireSymbols: false } },
}));
const POOL_ID = created.UserPool.Id;
const client = await admin.send(new CreateUserPoolClientCommand({
  UserPoolId: POOL_ID, ClientName: "srp-app",
  ExplicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
  PreventUserExistenceErrors: "ENABLED",
}));
const CLIENT_ID = client.UserPoolClient.ClientId;
t.comment(`pool ${POOL_ID}, client ${CLIENT_ID}`);
const pool = new CognitoUserPool({ UserPoolId: POOL_ID, ClientId: CLIENT_ID, endpoint: ENDPOINT });
const verifiers = cognitoVerifiers({ issuer: `${ENDPOINT}/${POOL_ID}`, clientId: CLIENT_ID });

// --- many random users -------------------------------------------------------------------------

const users = [];
const taken = new Set();
while (users.length < USERS) {
  const username = `${randomText(1, 24, NAME_ALPHABET)}${users.length}`;
  if (taken.has(username.toLowerCase())) continue;
  taken.add(username.toLowerCase());
  users.push({ username, password: randomPassword(), email: `user${users.length}.${randomBytes(4).toString("hex")}@example.com` });
}
let setupFailures = 0;
await runLimited(users, 8, async (u) => {
  try {
    await admin.send(new AdminCreateUserCommand({
      UserPoolId: POOL_ID, Username: u.username, MessageAction: "SUPPRESS",
      UserAttributes: [{ Name: "email", Value: u.email }, { Name: "email_verified", Value: "true" }],
    }));
    await admin.send(new AdminSetUserPasswordCommand({ UserPoolId: POOL_ID, Username: u.username, Password: u.password, Permanent: true }));
  } catch (err) {
    setupFailures++;
    if (setupFailures <= 3) t.comment(`setup of ${JSON.stringify(u.username)}: ${describeError(err)}`);
  }
});
t.equal(`${USERS} random users created with random passwords`, setupFailures, 0);

const outcomes = { ok: 0, tokenChecked: 0, wrongRefused: 0, failures: [] };
await runLimited(users, 6, async (u, i) => {
  // Every tenth user signs in by the e-mail alias: the library then signs under
  // USER_ID_FOR_SRP, the canonical username.
  const name = i % 10 === 3 ? u.email.toUpperCase() : u.username;
  const r = await signIn(pool, name, u.password);
  if (r.kind !== "onSuccess") {
    outcomes.failures.push(`${JSON.stringify(name)}: ${describeOutcome(r)}`);
    return;
  }
  outcomes.ok++;
  if (i % 25 === 0) {
    try {
      const p = await verifiers.id.verify(r.session.getIdToken().getJwtToken());
      if (p["cognito:username"] === u.username) outcomes.tokenChecked++;
      else outcomes.failures.push(`${name}: ID token for ${p["cognito:username"]}`);
    } catch (err) {
      outcomes.failures.push(`${name}: ID token: ${describeError(err)}`);
    }
  }
  if (i % 10 === 0) {
    const w = await signIn(pool, name, `${u.password}x`);
    if (w.kind === "onFailure" && w.err?.code === "NotAuthorizedException") outcomes.wrongRefused++;
    else outcomes.failures.push(`${name} with a wrong password: ${describeOutcome(w)}`);
  }
});
t.check(`${USERS} SRP sign-ins with random usernames and passwords succeed`, outcomes.ok === USERS,
  ...outcomes.failures.slice(0, 5), `${outcomes.failures.length} failures`);
t.check("their ID tokens verify and name the user", outcomes.tokenChecked === Math.ceil(USERS / 25));
t.check("a wrong password through SRP is NotAuthorizedException", outcomes.wrongRefused === Math.ceil(USERS / 10));

// --- unknown users ---------------------------------------------------------------------------

const unknown = await signIn(pool, `nobody-${randomBytes(6).toString("hex")}`, "whatever-1");
t.check("an unknown user fails like a wrong password (PreventUserExistenceErrors)",
  unknown.kind === "onFailure" && unknown.err?.code === "NotAuthorizedException" && unknown.err?.message === "Incorrect username or password.",
  describeOutcome(unknown));

// --- newPasswordRequired after SRP -------------------------------------------------------------

await admin.send(new AdminCreateUserCommand({
  UserPoolId: POOL_ID, Username: "newbie", TemporaryPassword: "Temp-pass1", MessageAction: "SUPPRESS",
  UserAttributes: [{ Name: "email", Value: "newbie@example.com" }, { Name: "email_verified", Value: "true" }],
}));
const first = await signIn(pool, "newbie", "Temp-pass1");
t.equal("a temporary password through SRP calls newPasswordRequired", first.kind, "newPasswordRequired");
if (first.kind === "newPasswordRequired") {
  const done = await withTimeout("completeNewPasswordChallenge", new Promise((resolve) =>
    first.user.completeNewPasswordChallenge("Perm-pass2", {}, authCallbacks(resolve))));
  t.equal("completeNewPasswordChallenge signs the user in", done.kind, "onSuccess");
  const again = await signIn(pool, "newbie", "Perm-pass2");
  t.equal("the new password signs in through SRP", again.kind, "onSuccess");
  const got = await admin.send(new AdminGetUserCommand({ UserPoolId: POOL_ID, Username: "newbie" }));
  t.equal("the user is CONFIRMED", got.UserStatus, "CONFIRMED");
}

// --- lockout -----------------------------------------------------------------------------------

const victim = users[1];
const codes = [];
for (let i = 0; i < 6; i++) {
  const r = await signIn(pool, victim.username, "wrong-password");
  codes.push(r.kind === "onFailure" ? r.err?.message : r.kind);
}
t.check("five wrong SRP answers, then Password attempts exceeded",
  codes.slice(0, 5).every((m) => m === "Incorrect username or password.") && codes[5] === "Password attempts exceeded", codes);
const locked = await signIn(pool, victim.username, victim.password);
t.check("the right password is refused during the lockout",
  locked.kind === "onFailure" && locked.err?.message === "Password attempts exceeded", describeOutcome(locked));

// --- TOTP MFA and a remembered device ------------------------------------------------------------

// RFC 6238 with SHA-1, 6 digits and 30-second steps, as authenticator apps compute it.
function base32Decode(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, "").toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
function totpCode(secret, when = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(when / 1000 / 30)));
  const mac = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, "0");
}

class MemoryStorage {
  constructor() { this.items = new Map(); }
  setItem(k, v) { this.items.set(k, String(v)); }
  getItem(k) { return this.items.has(k) ? this.items.get(k) : null; }
  removeItem(k) { this.items.delete(k); }
  clear() { this.items.clear(); }
}

const mfaPoolOut = await admin.send(new CreateUserPoolCommand({
  PoolName: `mfa-${Date.now()}`,
  DeviceConfiguration: { ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: false },
  Policies: { PasswordPolicy: { MinimumLength: 6, RequireLowercase: false, RequireUppercase: false, RequireNumbers: false, RequireSymbols: false } },
}));
const MFA_POOL_ID = mfaPoolOut.UserPool.Id;
await admin.send(new SetUserPoolMfaConfigCommand({
  UserPoolId: MFA_POOL_ID, MfaConfiguration: "OPTIONAL", SoftwareTokenMfaConfiguration: { Enabled: true },
}));
const mfaClient = await admin.send(new CreateUserPoolClientCommand({
  UserPoolId: MFA_POOL_ID, ClientName: "mfa-app", ExplicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
}));
await admin.send(new AdminCreateUserCommand({ UserPoolId: MFA_POOL_ID, Username: "totp-user", MessageAction: "SUPPRESS" }));
await admin.send(new AdminSetUserPasswordCommand({ UserPoolId: MFA_POOL_ID, Username: "totp-user", Password: "Totp-pass1", Permanent: true }));

const deviceStorage = new MemoryStorage();
const mfaPool = (storage) => new CognitoUserPool({
  UserPoolId: MFA_POOL_ID, ClientId: mfaClient.UserPoolClient.ClientId, endpoint: ENDPOINT, Storage: storage,
});
function signInWith(storage, username, password) {
  const user = new CognitoUser({ Username: username, Pool: mfaPool(storage), Storage: storage });
  const details = new AuthenticationDetails({ Username: username, Password: password });
  return withTimeout("authenticateUser", new Promise((resolve) => user.authenticateUser(details, authCallbacks(resolve))))
    .catch((err) => ({ kind: "onFailure", err }))
    .then((r) => ({ ...r, user }));
}
const cb = (what, fn) => withTimeout(what, new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v)))));

// 1. The first sign-in, before MFA: the library confirms the new device it is given.
const firstMfa = await signInWith(deviceStorage, "totp-user", "Totp-pass1");
t.equal("the first SRP sign-in in a pool that tracks devices succeeds", firstMfa.kind, "onSuccess");
const cachedDevice = [...deviceStorage.items.keys()].find((k) => k.endsWith(".deviceKey"));
t.check("the library confirmed the new device and kept its key", cachedDevice !== undefined, [...deviceStorage.items.keys()]);

// 2. TOTP set up by the signed-in user: associate, verify with a code computed here, turn on.
let secret = "";
try {
  secret = await withTimeout("associateSoftwareToken", new Promise((resolve, reject) => firstMfa.user.associateSoftwareToken({
    associateSecretCode: resolve, onFailure: reject,
  })));
  t.check("associateSoftwareToken gives a base32 secret", /^[A-Z2-7]{16,}$/.test(secret), secret);
  await withTimeout("verifySoftwareToken", new Promise((resolve, reject) => firstMfa.user.verifySoftwareToken(totpCode(secret), "node", {
    onSuccess: resolve, onFailure: reject,
  })));
  t.ok("verifySoftwareToken accepts the current code");
  await cb("setUserMfaPreference", (done) => firstMfa.user.setUserMfaPreference(null, { PreferredMfa: true, Enabled: true }, done));
  t.ok("setUserMfaPreference turns TOTP on");
} catch (err) {
  t.notOk("TOTP set up through the library", describeError(err));
}

// 3. From the remembered device: the library proves the device and MFA is skipped.
const fromDevice = await signInWith(deviceStorage, "totp-user", "Totp-pass1");
t.equal("a sign-in from the remembered device skips MFA (DEVICE_SRP_AUTH)", fromDevice.kind, "onSuccess");

// 4. From a new browser: totpRequired, answered with the next step's code (the current one
// was spent by verifySoftwareToken).
const fresh = await signInWith(new MemoryStorage(), "totp-user", "Totp-pass1");
t.equal("a sign-in from a new device calls totpRequired", fresh.kind, "totpRequired");
if (fresh.kind === "totpRequired") {
  const wrong = await withTimeout("sendMFACode", new Promise((resolve) =>
    fresh.user.sendMFACode("000000", authCallbacks(resolve), "SOFTWARE_TOKEN_MFA")));
  t.check("a wrong TOTP code is CodeMismatchException", wrong.kind === "onFailure" && wrong.err?.code === "CodeMismatchException", describeOutcome(wrong));
  const again = await signInWith(new MemoryStorage(), "totp-user", "Totp-pass1");
  const ok = await withTimeout("sendMFACode", new Promise((resolve) =>
    again.user.sendMFACode(totpCode(secret, Date.now() + 30_000), authCallbacks(resolve), "SOFTWARE_TOKEN_MFA")));
  t.equal("the next TOTP code signs in", ok.kind, "onSuccess");
}

t.finish();
