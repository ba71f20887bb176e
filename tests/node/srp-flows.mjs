// SRP sign-in through amazon-cognito-identity-js (its default flow, USER_SRP_AUTH) against a
// `hashless pool`: many users with random names and passwords, wrong passwords, the
// newPasswordRequired callback after SRP, and the lockout. It makes its own pool and app
// client with the AWS SDK; tests/e2e/node-clients.sh starts the server and runs this with:
//
//   ENDPOINT          the server, e.g. http://127.0.0.1:9229
//   ACCESS_KEY        a credential the server accepts for admin operations
//   SECRET_KEY
//   SRP_USERS         how many random users sign in (default 300)
//
// Prints `ok - …` / `not ok - …` lines and `N passed, M failed`; exits 1 on any failure.
import { randomBytes, randomInt } from "node:crypto";
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
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

t.finish();
