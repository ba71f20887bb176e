// The cognito-user-pool library of the product's seed documents (0.2.4, on the
// amazon-cognito-identity-js 1.31 it pins, which signs in with SRP) against a `hashless pool`:
// login, loginNewPasswordRequired and loginMfa, in a pool without device tracking (that old
// client cannot handle device metadata). Its poolData takes an `endpoint`. The pool, client
// and users are made here with the AWS SDK v3 of tests/node (the SDK v2 the old client brings
// along predates the MFA operations).
//
//   ENDPOINT, ACCESS_KEY, SECRET_KEY   the server and a credential for admin operations
//
// Prints `ok - …` / `not ok - …` lines and `N passed, M failed`; exits 1 on any failure.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const Wrapper = require("cognito-user-pool");
const sdk = createRequire(new URL("../node/package.json", import.meta.url))("@aws-sdk/client-cognito-identity-provider");

let passed = 0;
let failed = 0;
const ok = (what) => { passed++; console.log(`ok - ${what}`); };
const notOk = (what, detail) => { failed++; console.log(`not ok - ${what}`); if (detail) console.log(`#   ${detail}`); };
const check = (what, cond, detail) => (cond ? ok(what) : notOk(what, detail));
const finish = () => { console.log(`${passed} passed, ${failed} failed`); process.exit(failed > 0 ? 1 : 0); };
setTimeout(() => { notOk("the script finished within 3 minutes"); finish(); }, 180_000).unref();

const { ENDPOINT, ACCESS_KEY, SECRET_KEY } = process.env;
if (!ENDPOINT || !ACCESS_KEY || !SECRET_KEY) {
  notOk("the environment names the server and a credential", "need ENDPOINT, ACCESS_KEY, SECRET_KEY");
  finish();
}

const admin = new sdk.CognitoIdentityProviderClient({
  region: "us-east-1", endpoint: ENDPOINT, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }, maxAttempts: 1,
});
// call("createUserPool", …) sends CreateUserPoolCommand.
const call = (op, params) => admin.send(new sdk[`${op[0].toUpperCase()}${op.slice(1)}Command`](params));
const wrap = (fn) => (body) => new Promise((resolve) => fn(body, (err, data) => resolve({ err, data })));
const describe = (err) => (err ? `${err.code || err.name}: ${err.message}` : "no error");

async function outboxCode(poolID, username) {
  const auth = Buffer.from(`${ACCESS_KEY}:${SECRET_KEY}`).toString("base64");
  const res = await fetch(`${ENDPOINT}/_local/messages?pool=${poolID}&username=${username}&kind=MFA`, {
    headers: { Authorization: `Basic ${auth}` },
  });
  const msgs = await res.json();
  return msgs.length ? msgs[msgs.length - 1].code : "";
}

try {
  const pool = await call("createUserPool", {
    PoolName: `seed-${Date.now()}`,
    Policies: { PasswordPolicy: { MinimumLength: 8, RequireLowercase: true, RequireNumbers: true, RequireUppercase: false, RequireSymbols: false } },
  });
  const poolID = pool.UserPool.Id;
  await call("setUserPoolMfaConfig", { UserPoolId: poolID, MfaConfiguration: "OPTIONAL", SmsMfaConfiguration: {} });
  const client = await call("createUserPoolClient", {
    UserPoolId: poolID, ClientName: "seed", ExplicitAuthFlows: ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
  });
  const poolData = { UserPoolId: poolID, ClientId: client.UserPoolClient.ClientId, endpoint: ENDPOINT };
  const lib = Wrapper(poolData);
  const login = wrap(lib.login.bind(lib));
  const loginNewPasswordRequired = wrap(lib.loginNewPasswordRequired.bind(lib));
  const loginMfa = wrap(lib.loginMfa.bind(lib));

  await call("adminCreateUser", { UserPoolId: poolID, Username: "alice", MessageAction: "SUPPRESS" });
  await call("adminSetUserPassword", { UserPoolId: poolID, Username: "alice", Password: "alice-pass1", Permanent: true });
  await call("adminCreateUser", { UserPoolId: poolID, Username: "bob", TemporaryPassword: "bob-temp1", MessageAction: "SUPPRESS" });
  await call("adminCreateUser", {
    UserPoolId: poolID, Username: "carol", MessageAction: "SUPPRESS",
    UserAttributes: [{ Name: "phone_number", Value: "+15555550199" }, { Name: "phone_number_verified", Value: "true" }],
  });
  await call("adminSetUserPassword", { UserPoolId: poolID, Username: "carol", Password: "carol-pass1", Permanent: true });
  await call("adminSetUserMFAPreference", { UserPoolId: poolID, Username: "carol", SMSMfaSettings: { Enabled: true, PreferredMfa: true } });

  // login
  let r = await login({ username: "alice", password: "alice-pass1" });
  check("login signs a confirmed user in with SRP", !r.err && r.data?.accessToken && r.data?.refreshToken && r.data?.idToken, describe(r.err));
  r = await login({ username: "alice", password: "wrong-pass1" });
  check("login with a wrong password fails with NotAuthorizedException", r.err?.code === "NotAuthorizedException", describe(r.err));

  // loginNewPasswordRequired
  r = await login({ username: "bob", password: "bob-temp1" });
  check("login with a temporary password asks for a new one", !r.err && r.data?.nextStep === "NEW_PASSWORD_REQUIRED" && r.data?.loginSession,
    describe(r.err) + " " + JSON.stringify(r.data));
  if (r.data?.loginSession) {
    const done = await loginNewPasswordRequired({ username: "bob", loginSession: r.data.loginSession, newPassword: "bob-perm22" });
    check("loginNewPasswordRequired sets it and signs in", !done.err && done.data?.accessToken, describe(done.err));
    const again = await login({ username: "bob", password: "bob-perm22" });
    check("login with the new password", !again.err && again.data?.accessToken, describe(again.err));
  }

  // loginMfa
  r = await login({ username: "carol", password: "carol-pass1" });
  check("login of a user with SMS MFA asks for the code", !r.err && r.data?.nextStep === "MFA_AUTH" && r.data?.loginSession,
    describe(r.err) + " " + JSON.stringify(r.data));
  if (r.data?.loginSession) {
    const code = await outboxCode(poolID, "carol");
    check("the SMS code is in the outbox", /^\d{6}$/.test(code), code);
    const done = await loginMfa({ username: "carol", mfaCode: code, loginSession: r.data.loginSession });
    check("loginMfa with the code signs in", !done.err && done.data?.accessToken, describe(done.err));
    const wrongSession = await login({ username: "carol", password: "carol-pass1" });
    const wrong = await loginMfa({ username: "carol", mfaCode: "000000", loginSession: wrongSession.data?.loginSession });
    check("loginMfa with a wrong code fails with CodeMismatchException", wrong.err?.code === "CodeMismatchException", describe(wrong.err));
  }
} catch (err) {
  notOk("the script ran to the end", err?.stack ?? String(err));
}
finish();
