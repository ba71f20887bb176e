// Password sign-in through amazon-cognito-identity-js against a `hashless pool`, with every
// token checked by aws-jwt-verify. tests/e2e/node-clients.sh starts the server, creates the
// pool, the app client and the users, and runs this with:
//
//   ENDPOINT         the server, e.g. http://127.0.0.1:9229
//   POOL_ID          the user pool id
//   CLIENT_ID        an app client without a secret that allows ALLOW_USER_PASSWORD_AUTH and
//                    ALLOW_REFRESH_TOKEN_AUTH, with default token validities
//   ISSUER           the pool's token issuer, ENDPOINT + "/" + POOL_ID
//   TEST_USERNAME    a user in FORCE_CHANGE_PASSWORD (default alice) whose
//   TEMP_PASSWORD    temporary password is this (default Temp-pass1) and whose
//   TEST_EMAIL       email is this, verified (default alice@example.com)
//   NEW_PASSWORD     the permanent password to set (default Perm-pass2)
//   WEAK_USERNAME    optional: another user in FORCE_CHANGE_PASSWORD with TEMP_PASSWORD,
//   WEAK_PASSWORD    and a new password the pool's policy refuses (default no-digits-here)
//
// Prints `ok - …` / `not ok - …` lines and `N passed, M failed`; exits 1 on any failure.
import amazonCognitoIdentity from "amazon-cognito-identity-js";
import { cognitoVerifiers, decodeJwt, jwksUriFor, tamperPayload, tamperSignature } from "./verifier.mjs";
import { Tap, describeError } from "./tap.mjs";

const { AuthenticationDetails, CognitoUser, CognitoUserPool, CognitoUserSession } = amazonCognitoIdentity;

const t = new Tap();
const CALL_TIMEOUT_MS = 30_000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ADMIN_SCOPE = "aws.cognito.signin.user.admin";

// Everything the script needs fails loudly, not with a library stack trace, if it hangs.
const watchdog = setTimeout(() => t.bail("the script did not finish within 3 minutes"), 180_000);
watchdog.unref();

// --- configuration --------------------------------------------------------------------------

const env = {
  ENDPOINT: process.env.ENDPOINT,
  POOL_ID: process.env.POOL_ID,
  CLIENT_ID: process.env.CLIENT_ID,
  ISSUER: process.env.ISSUER,
  TEST_USERNAME: process.env.TEST_USERNAME || "alice",
  TEST_EMAIL: process.env.TEST_EMAIL || "alice@example.com",
  TEMP_PASSWORD: process.env.TEMP_PASSWORD || "Temp-pass1",
  NEW_PASSWORD: process.env.NEW_PASSWORD || "Perm-pass2",
  WEAK_USERNAME: process.env.WEAK_USERNAME || "",
  WEAK_PASSWORD: process.env.WEAK_PASSWORD || "no-digits-here",
};
const missing = ["ENDPOINT", "POOL_ID", "CLIENT_ID", "ISSUER"].filter((k) => !env[k]);
if (missing.length > 0) {
  t.notOk("the environment names the server, pool and client", `missing: ${missing.join(", ")}`);
  t.bail("nothing to test against");
}
const { ENDPOINT, POOL_ID, CLIENT_ID, ISSUER, TEST_USERNAME, TEST_EMAIL } = env;
t.comment(`endpoint ${ENDPOINT}, pool ${POOL_ID}, client ${CLIENT_ID}, issuer ${ISSUER}`);

// A Storage with window.localStorage's contract (getItem gives null for a missing key), so
// the library sends what it sends from a browser.
class LocalStorageLike {
  constructor() {
    this.items = new Map();
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  removeItem(key) {
    this.items.delete(key);
  }
  clear() {
    this.items.clear();
  }
}
const storage = new LocalStorageLike();

// --- promise wrappers around the library's callbacks ------------------------------------------

function withTimeout(what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no callback within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// authCallbacks resolves with { kind, ... } for whichever callback the library calls; only
// the first call counts.
function authCallbacks(resolve) {
  return {
    onSuccess: (session, userConfirmationNecessary) => resolve({ kind: "onSuccess", session, userConfirmationNecessary }),
    onFailure: (err) => resolve({ kind: "onFailure", err }),
    newPasswordRequired: (userAttributes, requiredAttributes) =>
      resolve({ kind: "newPasswordRequired", userAttributes, requiredAttributes }),
    mfaRequired: (challengeName, challengeParameters) => resolve({ kind: "mfaRequired", challengeName, challengeParameters }),
    totpRequired: (challengeName, challengeParameters) => resolve({ kind: "totpRequired", challengeName, challengeParameters }),
    selectMFAType: (challengeName, challengeParameters) => resolve({ kind: "selectMFAType", challengeName, challengeParameters }),
    mfaSetup: (challengeName, challengeParameters) => resolve({ kind: "mfaSetup", challengeName, challengeParameters }),
    customChallenge: (challengeParameters) => resolve({ kind: "customChallenge", challengeParameters }),
  };
}

function newUser(username) {
  const user = new CognitoUser({ Username: username, Pool: pool, Storage: storage });
  user.setAuthenticationFlowType("USER_PASSWORD_AUTH");
  return user;
}

function signIn(user, password) {
  const details = new AuthenticationDetails({ Username: user.getUsername(), Password: password });
  return withTimeout(
    "authenticateUser",
    new Promise((resolve) => user.authenticateUser(details, authCallbacks(resolve))),
  ).catch((err) => ({ kind: "onFailure", err }));
}

function completeNewPassword(user, newPassword, requiredAttributeData) {
  return withTimeout(
    "completeNewPasswordChallenge",
    new Promise((resolve) => user.completeNewPasswordChallenge(newPassword, requiredAttributeData, authCallbacks(resolve))),
  ).catch((err) => ({ kind: "onFailure", err }));
}

function nodeCallback(what, fn) {
  return withTimeout(
    what,
    new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value)))),
  );
}

// describeOutcome renders an unexpected { kind, ... } for a `#` line.
function describeOutcome(r) {
  if (r.kind === "onFailure") return `onFailure: ${describeError(r.err)}`;
  if (r.kind === "onSuccess") return "onSuccess";
  const rest = { ...r };
  delete rest.kind;
  return `${r.kind}: ${JSON.stringify(rest)}`;
}

// expectFailure WHAT RESULT CODE: ok if the library reported an error named CODE in both
// err.code and err.name (what apps switch on).
function expectFailure(what, r, code) {
  if (r.kind !== "onFailure") return t.notOk(what, `expected onFailure with ${code}`, `got ${describeOutcome(r)}`);
  return t.check(what, r.err?.code === code && r.err?.name === code, `expected code and name ${code}`, describeError(r.err));
}

function isJwt(s) {
  return typeof s === "string" && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(s);
}

// checkSession: the session the library built from an AuthenticationResult is complete.
function checkSession(label, session) {
  if (!(session instanceof CognitoUserSession)) {
    return t.notOk(`${label}: the library returns a CognitoUserSession`, session);
  }
  const id = session.getIdToken().getJwtToken();
  const access = session.getAccessToken().getJwtToken();
  const refresh = session.getRefreshToken().getToken();
  return t.check(
    `${label}: the session has an ID token, an access token and a refresh token, and is valid`,
    isJwt(id) && isJwt(access) && typeof refresh === "string" && refresh.length > 0 && session.isValid(),
    { id: id?.slice(0, 40), access: access?.slice(0, 40), refresh: refresh?.slice(0, 20), valid: session.isValid() },
  );
}

// --- token checks -----------------------------------------------------------------------------

const verifiers = cognitoVerifiers({ issuer: ISSUER, clientId: CLIENT_ID });
let jwks = null;

async function verify(label, verifier, token) {
  try {
    const payload = await verifier.verify(token);
    t.ok(`${label} verifies against the pool's JWKS (signature, iss, exp, token_use, client)`);
    return payload;
  } catch (err) {
    t.notOk(`${label} verifies against the pool's JWKS (signature, iss, exp, token_use, client)`,
      `${err?.constructor?.name}: ${err?.message}`, decodeJwt(token));
    return null;
  }
}

function checkHeader(label, token) {
  const { header } = decodeJwt(token);
  const kids = (jwks?.keys ?? []).map((k) => k.kid);
  t.check(`${label} header is RS256 with a kid from the JWKS`, header.alg === "RS256" && kids.includes(header.kid),
    { header, kids });
}

function checkTimes(label, p) {
  const now = Math.floor(Date.now() / 1000);
  t.check(`${label}: auth_time <= iat <= now < exp, all integers`,
    [p.auth_time, p.iat, p.exp].every(Number.isInteger) && p.auth_time <= p.iat && p.iat <= now + 5 && now < p.exp,
    { auth_time: p.auth_time, iat: p.iat, exp: p.exp, now });
  t.equal(`${label} lives one hour (the client's default validity)`, p.exp - p.iat, 3600);
}

async function checkIdToken(label, token) {
  checkHeader(label, token);
  const p = await verify(label, verifiers.id, token);
  if (!p) return null;
  t.equal(`${label}: token_use is id`, p.token_use, "id");
  t.equal(`${label}: aud is the client id`, p.aud, CLIENT_ID);
  t.equal(`${label}: iss is the pool's issuer`, p.iss, ISSUER);
  t.equal(`${label}: cognito:username is the user`, p["cognito:username"], TEST_USERNAME);
  t.check(`${label}: sub is a UUID`, UUID_RE.test(p.sub ?? ""), p.sub);
  t.equal(`${label}: email is the user's`, p.email, TEST_EMAIL);
  t.equal(`${label}: email_verified is the JSON boolean true`, p.email_verified, true);
  checkTimes(label, p);
  return p;
}

async function checkAccessToken(label, token, idPayload) {
  checkHeader(label, token);
  const p = await verify(label, verifiers.access, token);
  if (!p) return null;
  t.equal(`${label}: token_use is access`, p.token_use, "access");
  t.equal(`${label}: client_id is the client id`, p.client_id, CLIENT_ID);
  t.equal(`${label}: iss is the pool's issuer`, p.iss, ISSUER);
  t.equal(`${label}: username is the user`, p.username, TEST_USERNAME);
  t.check(`${label}: has no aud`, !("aud" in p), p.aud);
  t.check(`${label}: scope contains ${ADMIN_SCOPE}`,
    typeof p.scope === "string" && p.scope.split(" ").includes(ADMIN_SCOPE), p.scope);
  t.check(`${label}: jti and origin_jti are present`,
    typeof p.jti === "string" && p.jti.length > 0 && typeof p.origin_jti === "string" && p.origin_jti.length > 0,
    { jti: p.jti, origin_jti: p.origin_jti });
  if (idPayload) {
    t.equal(`${label}: sub is the ID token's`, p.sub, idPayload.sub);
    t.equal(`${label}: auth_time is the ID token's`, p.auth_time, idPayload.auth_time);
  }
  checkTimes(label, p);
  return p;
}

async function checkTokens(label, session) {
  const idPayload = await checkIdToken(`${label} ID token`, session.getIdToken().getJwtToken());
  const accessPayload = await checkAccessToken(`${label} access token`, session.getAccessToken().getJwtToken(), idPayload);
  return { id: idPayload, access: accessPayload };
}

async function expectRejected(what, verifier, token) {
  try {
    await verifier.verify(token);
    t.notOk(what, "the verifier accepted it");
  } catch (err) {
    t.ok(`${what} (${err?.constructor?.name})`);
  }
}

// --- the test ---------------------------------------------------------------------------------

let pool;

async function main() {
  // The pool's public key set and discovery document, where aws-jwt-verify and OIDC clients
  // look for them.
  try {
    const res = await fetch(jwksUriFor(ISSUER), { signal: AbortSignal.timeout(5000) });
    const body = await res.text();
    t.check(`GET ${jwksUriFor(ISSUER).slice(ENDPOINT.length)} is 200 application/json`,
      res.status === 200 && (res.headers.get("content-type") ?? "").startsWith("application/json"),
      `status ${res.status}, content-type ${res.headers.get("content-type")}`, body.slice(0, 300));
    jwks = JSON.parse(body);
    t.check("the JWKS has RSA signing keys with kid, alg RS256, n and e",
      Array.isArray(jwks.keys) && jwks.keys.length > 0 &&
        jwks.keys.every((k) => k.kty === "RSA" && k.alg === "RS256" && k.use === "sig" && typeof k.kid === "string" && k.n && k.e),
      jwks);
  } catch (err) {
    t.notOk("the pool's JWKS is served as JSON", describeError(err));
  }
  try {
    const res = await fetch(`${ISSUER}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
    const doc = res.status === 200 ? await res.json() : null;
    t.check("the OpenID discovery document names the issuer and its JWKS",
      doc?.issuer === ISSUER && doc?.jwks_uri === jwksUriFor(ISSUER), `status ${res.status}`, doc);
  } catch (err) {
    t.notOk("the OpenID discovery document names the issuer and its JWKS", describeError(err));
  }

  try {
    pool = new CognitoUserPool({ UserPoolId: POOL_ID, ClientId: CLIENT_ID, endpoint: ENDPOINT, Storage: storage });
    t.equal("CognitoUserPool takes the pool id and sends to the custom endpoint", pool.client.endpoint, ENDPOINT);
  } catch (err) {
    t.notOk("CognitoUserPool takes the pool id and the custom endpoint", describeError(err));
    t.bail("no user pool object");
  }

  // 1. The temporary password leads to NEW_PASSWORD_REQUIRED.
  const user = newUser(TEST_USERNAME);
  const first = await signIn(user, env.TEMP_PASSWORD);
  if (first.kind !== "newPasswordRequired") {
    t.notOk("USER_PASSWORD_AUTH with the temporary password asks for a new password", describeOutcome(first));
    t.bail("the NEW_PASSWORD_REQUIRED challenge is needed for every later step");
  }
  t.ok("USER_PASSWORD_AUTH with the temporary password asks for a new password");
  const { userAttributes, requiredAttributes } = first;
  t.check("newPasswordRequired gets userAttributes as a plain object of strings",
    userAttributes !== null && typeof userAttributes === "object" && !Array.isArray(userAttributes) &&
      Object.values(userAttributes).every((v) => typeof v === "string"),
    userAttributes);
  t.equal("userAttributes holds the user's email", userAttributes?.email, TEST_EMAIL);
  t.check("userAttributes names attributes without the userAttributes. prefix",
    Object.keys(userAttributes ?? {}).every((k) => !k.startsWith("userAttributes.")), userAttributes);
  t.check("a verified email shows as email_verified \"true\" (a string), if listed",
    userAttributes?.email_verified === undefined || userAttributes.email_verified === "true", userAttributes);
  t.check("newPasswordRequired gets requiredAttributes as an empty array (the pool requires none)",
    Array.isArray(requiredAttributes) && requiredAttributes.length === 0, requiredAttributes);
  t.check("the challenge comes with a Session", typeof user.Session === "string" && user.Session.length > 0, user.Session);

  // As the library's documentation tells apps: the read-only *_verified attributes must not be
  // sent back. Nothing else needs changing, so no attributes are sent at all.
  const editable = { ...userAttributes };
  delete editable.email_verified;
  delete editable.phone_number_verified;
  t.check("userAttributes has nothing else read-only to strip (no sub)", !("sub" in editable), editable);

  // 2. The new password completes the sign-in.
  const completed = await completeNewPassword(user, env.NEW_PASSWORD, {});
  if (completed.kind !== "onSuccess") {
    t.notOk("completeNewPasswordChallenge signs the user in", describeOutcome(completed));
    t.bail("no session after the new password challenge");
  }
  t.ok("completeNewPasswordChallenge signs the user in");
  const session1 = completed.session;
  checkSession("after the new password", session1);
  t.equal("the library remembers the signed-in user", storage.getItem(`CognitoIdentityServiceProvider.${CLIENT_ID}.LastAuthUser`), TEST_USERNAME);
  const claims1 = await checkTokens("first", session1);

  // 3. A new password the policy refuses is InvalidPasswordException.
  if (env.WEAK_USERNAME) {
    const weak = newUser(env.WEAK_USERNAME);
    const r = await signIn(weak, env.TEMP_PASSWORD);
    if (r.kind === "newPasswordRequired") {
      t.ok(`${env.WEAK_USERNAME} is asked for a new password too`);
      const w = await completeNewPassword(weak, env.WEAK_PASSWORD, {});
      expectFailure("a new password that breaks the policy is InvalidPasswordException", w, "InvalidPasswordException");
    } else {
      t.notOk(`${env.WEAK_USERNAME} is asked for a new password too`, describeOutcome(r));
    }
  }

  // 4. The new password is now the password.
  const again = await signIn(newUser(TEST_USERNAME), env.NEW_PASSWORD);
  if (again.kind !== "onSuccess") {
    t.notOk("signing in with the new permanent password succeeds at once", describeOutcome(again));
    t.bail("no session from the permanent password");
  }
  t.ok("signing in with the new permanent password succeeds at once");
  const session2 = again.session;
  checkSession("second sign-in", session2);
  const claims2 = await checkTokens("second", session2);
  if (claims1.access && claims2.access) {
    t.check("each sign-in has its own jti and origin_jti",
      claims1.access.jti !== claims2.access.jti && claims1.access.origin_jti !== claims2.access.origin_jti,
      { first: claims1.access, second: claims2.access });
    t.equal("both sign-ins name the same sub", claims2.id?.sub, claims1.id?.sub);
  }

  // 5. Wrong passwords.
  const wrong = await signIn(newUser(TEST_USERNAME), `${env.NEW_PASSWORD}x`);
  expectFailure("a wrong password is NotAuthorizedException", wrong, "NotAuthorizedException");
  if (wrong.kind === "onFailure") {
    t.equal("its message is Cognito's", wrong.err?.message, "Incorrect username or password.");
  }
  const stale = await signIn(newUser(TEST_USERNAME), env.TEMP_PASSWORD);
  expectFailure("the old temporary password is NotAuthorizedException", stale, "NotAuthorizedException");

  // 6. The session from storage, as an app finds it after a restart.
  const current = pool.getCurrentUser();
  t.check("pool.getCurrentUser() finds the last signed-in user", current?.getUsername() === TEST_USERNAME, current?.getUsername());
  if (!current) t.bail("no current user");
  let stored;
  try {
    stored = await nodeCallback("getSession", (cb) => current.getSession(cb));
    t.check("getSession returns the stored session, still valid",
      stored?.isValid() && stored.getAccessToken().getJwtToken() === session2.getAccessToken().getJwtToken(),
      stored?.getAccessToken().getJwtToken().slice(0, 40));
  } catch (err) {
    t.notOk("getSession returns the stored session, still valid", describeError(err));
    t.bail("no stored session to refresh");
  }

  // 7. REFRESH_TOKEN_AUTH through the library.
  let refreshed;
  try {
    refreshed = await nodeCallback("refreshSession", (cb) => current.refreshSession(stored.getRefreshToken(), cb));
    t.ok("refreshSession with the refresh token returns a new session");
  } catch (err) {
    t.notOk("refreshSession with the refresh token returns a new session", describeError(err));
    t.bail("no refreshed session");
  }
  checkSession("after refresh", refreshed);
  t.check("the refresh gives a new access token",
    refreshed.getAccessToken().getJwtToken() !== stored.getAccessToken().getJwtToken());
  t.equal("the refresh token stays the same (no rotation)",
    refreshed.getRefreshToken().getToken(), stored.getRefreshToken().getToken());
  const claims3 = await checkTokens("refreshed", refreshed);
  if (claims2.access && claims3.access) {
    t.check("the refreshed access token has a new jti", claims3.access.jti !== claims2.access.jti, claims3.access);
    t.equal("the refreshed access token keeps the sign-in's origin_jti", claims3.access.origin_jti, claims2.access.origin_jti);
    t.equal("the refreshed tokens keep the sign-in's auth_time", claims3.access.auth_time, claims2.access.auth_time);
    t.equal("the refreshed ID token names the same sub", claims3.id?.sub, claims2.id?.sub);
  }
  try {
    const after = await nodeCallback("getSession", (cb) => pool.getCurrentUser().getSession(cb));
    t.equal("getSession now returns the refreshed tokens from storage",
      after.getAccessToken().getJwtToken(), refreshed.getAccessToken().getJwtToken());
  } catch (err) {
    t.notOk("getSession now returns the refreshed tokens from storage", describeError(err));
  }

  // 8. Forged tokens.
  const idToken = refreshed.getIdToken().getJwtToken();
  const accessToken = refreshed.getAccessToken().getJwtToken();
  await expectRejected("an ID token with one signature character changed is refused", verifiers.id, tamperSignature(idToken));
  await expectRejected("an access token with one signature character changed is refused", verifiers.access, tamperSignature(accessToken));
  await expectRejected("an ID token with a changed cognito:username is refused", verifiers.id,
    tamperPayload(idToken, "cognito:username", "mallory"));
  await expectRejected("an access token is not accepted as an ID token", verifiers.id, accessToken);
  await expectRejected("an ID token is not accepted as an access token", verifiers.access, idToken);
}

try {
  await main();
} catch (err) {
  t.notOk("the script ran to the end", err?.stack ?? describeError(err));
}
t.finish();
