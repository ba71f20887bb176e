// A replay of the pool calls of the Medusa v1 Cognito auth plugin (medusa-auth-cognito,
// v0.2.0), made with the SDK it used (@aws-sdk/client-cognito-identity-provider) and
// configured as it configured it, against the pool that `hashless serve` embeds. A store
// moving from that plugin to hashless keeps a pool the plugin can still use, and this proves
// it call by call: the same operations, the same parameters, in the plugin's order, and every
// error matched as the plugin matches it, on the bare `__type` the SDK copies off the body.
//
// tests/e2e/medusa-plugin-replay.sh starts serve and runs this with:
//
//   ENDPOINT           serve's URL (where it mounts the pool surface: POST /)
//   POOL_ID            the embedded pool's ID   } both from GET /_local/pool
//   CLIENT_ID          its app client's ID      }
//   REGION             the pool's region
//   POOL_ACCESS_KEY    the credential the embedded pool's admin operations require
//   POOL_SECRET_KEY    (serve keeps it in its database as "KEY:SECRET")
//
// The calls, as the plugin's CognitoService makes them:
//   authenticateCustomer(email, pw)  AdminInitiateAuth  AuthFlow ADMIN_NO_SRP_AUTH,
//                                    AuthParameters {USERNAME: email, PASSWORD: pw}
//   createCustomer(email, pw)        AdminCreateUser    {Username: email.toLowerCase(),
//                                    UserAttributes [{Name: "email", Value: email}],
//                                    DesiredDeliveryMediums [], MessageAction SUPPRESS};
//                                    then setCustomerPassword; if that fails, deleteCustomer
//   setCustomerPassword(email, pw)   AdminSetUserPassword {Username: email, Password: pw,
//                                    Permanent: true}
//   updateCustomerEmail(old, new)    AdminUpdateUserAttributes {Username: old,
//                                    UserAttributes [{Name: "email", Value: new}]}
//   deleteCustomer(email)            AdminDeleteUser {Username: email}
// and its branches test e.__type === "UserNotFoundException", "NotAuthorizedException",
// "UsernameExistsException" and "InvalidParameterException".
//
// Prints `ok - …` / `not ok - …` lines and `N passed, M failed`; exits 1 on any failure.
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
} from "@aws-sdk/client-cognito-identity-provider";
import { readFileSync } from "node:fs";
import { Tap, describeError } from "./tap.mjs";

const t = new Tap();

const watchdog = setTimeout(() => t.bail("the script did not finish within 3 minutes"), 180_000);
watchdog.unref();

// --- configuration --------------------------------------------------------------------------

const env = {};
for (const k of ["ENDPOINT", "POOL_ID", "CLIENT_ID", "REGION", "POOL_ACCESS_KEY", "POOL_SECRET_KEY"]) {
  env[k] = process.env[k] || "";
}
const missing = Object.keys(env).filter((k) => !env[k]);
if (missing.length > 0) {
  t.notOk("the environment names the server, pool, client and credential", `missing: ${missing.join(", ")}`);
  t.bail("nothing to test against");
}
const { ENDPOINT, POOL_ID, CLIENT_ID, REGION } = env;

let sdkVersion = "?";
try {
  const url = new URL("./node_modules/@aws-sdk/client-cognito-identity-provider/package.json", import.meta.url);
  sdkVersion = JSON.parse(readFileSync(url, "utf8")).version;
} catch {
  // only for the comment below
}
t.comment(`@aws-sdk/client-cognito-identity-provider ${sdkVersion}; endpoint ${ENDPOINT}, pool ${POOL_ID}, client ${CLIENT_ID}, region ${REGION}`);

// The plugin's options were region, accessKeyId, secretAccessKey, userPoolId and clientId, and
// its client `new CognitoIdentityProviderClient({ region, credentials })`. It had no endpoint
// option, so the endpoint is given here the way the SDK takes one.
const options = {
  region: REGION,
  accessKeyId: env.POOL_ACCESS_KEY,
  secretAccessKey: env.POOL_SECRET_KEY,
  userPoolId: POOL_ID,
  clientId: CLIENT_ID,
};
const pluginClientConfig = {
  region: options.region,
  credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
};
const client = new CognitoIdentityProviderClient({ ...pluginClientConfig, endpoint: ENDPOINT });

// --- the plugin's CognitoService calls, parameter for parameter ----------------------------------

const cognito = {
  authenticateCustomer: (email, password) =>
    client.send(
      new AdminInitiateAuthCommand({
        UserPoolId: options.userPoolId,
        ClientId: options.clientId,
        AuthFlow: "ADMIN_NO_SRP_AUTH",
        AuthParameters: { USERNAME: email, PASSWORD: password },
      }),
    ),
  // The first half of createCustomer.
  createUser: (email) =>
    client.send(
      new AdminCreateUserCommand({
        UserPoolId: options.userPoolId,
        Username: email.toLowerCase(),
        UserAttributes: [{ Name: "email", Value: email }],
        DesiredDeliveryMediums: [],
        MessageAction: "SUPPRESS",
      }),
    ),
  setCustomerPassword: (email, password) =>
    client.send(
      new AdminSetUserPasswordCommand({
        UserPoolId: options.userPoolId,
        Username: email,
        Password: password,
        Permanent: true,
      }),
    ),
  updateCustomerEmail: (oldEmail, newEmail) =>
    client.send(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: options.userPoolId,
        Username: oldEmail,
        UserAttributes: [{ Name: "email", Value: newEmail }],
      }),
    ),
  deleteCustomer: (email) =>
    client.send(new AdminDeleteUserCommand({ UserPoolId: options.userPoolId, Username: email })),
};

// Not one of the plugin's calls: how the checks below see what a call left behind.
const getUser = (username) =>
  client.send(new AdminGetUserCommand({ UserPoolId: options.userPoolId, Username: username }));

// --- helpers ------------------------------------------------------------------------------------

// attempt runs a call and gives { out } or { err }.
async function attempt(promise) {
  try {
    return { out: await promise };
  } catch (err) {
    return { err };
  }
}

function detailOf(err) {
  if (!err) return "";
  return `${describeError(err)} __type=${JSON.stringify(err.__type)} status=${err.$metadata?.httpStatusCode}`;
}

// expectOk WHAT RESULT: ok if the call succeeded; returns its output (undefined on error).
function expectOk(what, r) {
  if (r.err) {
    t.notOk(what, detailOf(r.err));
    return undefined;
  }
  t.ok(what);
  return r.out;
}

// expectType WHAT RESULT TYPE: ok if the call failed with HTTP 400 and e.__type === TYPE,
// the exact test of the plugin's branches (and e.name, what SDK users switch on, agrees).
function expectType(what, r, type) {
  if (!r.err) {
    return t.notOk(what, `expected ${type}, the call succeeded`, JSON.stringify(r.out).slice(0, 300));
  }
  const e = r.err;
  const good = e.__type === type && e.name === type && e.$metadata?.httpStatusCode === 400;
  return good ? t.ok(what) : t.notOk(what, `expected __type === ${JSON.stringify(type)} (HTTP 400)`, `got: ${detailOf(e)}`);
}

function attr(user, name) {
  return (user?.UserAttributes ?? []).find((a) => a.Name === name)?.Value;
}

function jwtPayload(token) {
  try {
    return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

// expectTokens WHAT RESULT USERNAME: a successful sign-in with the tokens the plugin read
// (AuthenticationResult.AccessToken), for USERNAME.
function expectTokens(what, r, username) {
  if (r.err) return t.notOk(what, detailOf(r.err));
  const res = r.out?.AuthenticationResult;
  const access = res?.AccessToken ? jwtPayload(res.AccessToken) : undefined;
  const good =
    !r.out.ChallengeName &&
    typeof res?.AccessToken === "string" &&
    typeof res?.IdToken === "string" &&
    typeof res?.RefreshToken === "string" &&
    res?.TokenType === "Bearer" &&
    res?.ExpiresIn > 0 &&
    access?.token_use === "access" &&
    access?.client_id === CLIENT_ID &&
    access?.username === username;
  return good
    ? t.ok(what)
    : t.notOk(what, `got: ChallengeName=${r.out?.ChallengeName} result=${JSON.stringify(res ?? null).slice(0, 200)}`,
        `access token claims: ${JSON.stringify(access ?? null).slice(0, 300)}`);
}

// --- the replay -----------------------------------------------------------------------------------

const run = Date.now().toString(36);
// Registration: Medusa hands the plugin the address as the customer typed it.
const EMAIL = `Replay.Customer+${run}@Example.com`;
const USERNAME = EMAIL.toLowerCase();
const PASSWORD = "Replay-Passw0rd";
const NEW_EMAIL = `replay.renamed+${run}@example.com`;
const WEAK_EMAIL = `replay.weak+${run}@example.com`;
const WEAK_PASSWORD = "weakpass"; // no upper case letter, no digit: the pool's policy refuses it
const UNKNOWN_EMAIL = `replay.nobody+${run}@example.com`;

// 1. Registration: createCustomer(email, password).
let r = await attempt(cognito.createUser(EMAIL));
const created = expectOk("createCustomer: AdminCreateUser (SUPPRESS, DesiredDeliveryMediums []) succeeds", r);
if (!created) t.bail("no pool user to replay the other calls on");
t.check(
  "AdminCreateUser made the lower-cased email the username, kept the email as given, sent nothing",
  created.User?.Username === USERNAME && attr({ UserAttributes: created.User?.Attributes }, "email") === EMAIL &&
    created.User?.UserStatus === "FORCE_CHANGE_PASSWORD" &&
    attr({ UserAttributes: created.User?.Attributes }, "email_verified") !== "true",
  `got: ${JSON.stringify(created.User ?? null).slice(0, 400)}`,
);

// createCustomer passes the address it was given on to setCustomerPassword; the pool's
// usernames are case-insensitive, so that is the user just created.
r = await attempt(cognito.setCustomerPassword(EMAIL, PASSWORD));
expectOk("createCustomer: AdminSetUserPassword (Permanent) succeeds", r);
r = await attempt(getUser(USERNAME));
t.check(
  "the customer is CONFIRMED with no message sent",
  r.out?.UserStatus === "CONFIRMED" && r.out?.Enabled === true,
  r.err ? detailOf(r.err) : `got: ${JSON.stringify(r.out ?? null).slice(0, 300)}`,
);

// 2. Login: authenticateCustomer(email, password), the email lower-cased by the plugin.
r = await attempt(cognito.authenticateCustomer(USERNAME, PASSWORD));
expectTokens("authenticateCustomer: AdminInitiateAuth ADMIN_NO_SRP_AUTH returns tokens", r, USERNAME);

// The plugin's own client, unchanged, aimed at serve through the SDK's service endpoint
// variable (it had no endpoint option).
process.env.AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER = ENDPOINT;
const unchanged = new CognitoIdentityProviderClient(pluginClientConfig);
r = await attempt(
  unchanged.send(
    new AdminInitiateAuthCommand({
      UserPoolId: POOL_ID,
      ClientId: CLIENT_ID,
      AuthFlow: "ADMIN_NO_SRP_AUTH",
      AuthParameters: { USERNAME, PASSWORD },
    }),
  ),
);
expectTokens(
  "the plugin's client config with no endpoint, aimed by AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER, signs in",
  r,
  USERNAME,
);

// 3. A wrong password: the plugin's 401 branch.
r = await attempt(cognito.authenticateCustomer(USERNAME, "Wrong-Passw0rd"));
expectType("wrong password: AdminInitiateAuth fails with __type NotAuthorizedException", r, "NotAuthorizedException");
const wrongPasswordMessage = r.err?.message;

// 4. An unknown customer. The embedded app client has PreventUserExistenceErrors ENABLED,
// with which Cognito answers password sign-in for an unknown user exactly as for a wrong
// password: NotAuthorizedException "Incorrect username or password.", never
// UserNotFoundException. (The plugin's lazy-migration branch waited for UserNotFoundException;
// hashless migrates on its own side and does not depend on it.)
r = await attempt(cognito.authenticateCustomer(UNKNOWN_EMAIL, PASSWORD));
expectType("unknown customer: AdminInitiateAuth fails with __type NotAuthorizedException", r, "NotAuthorizedException");
t.check(
  "unknown customer and wrong password answer the same message",
  r.err?.message === wrongPasswordMessage && wrongPasswordMessage === "Incorrect username or password.",
  `unknown: ${JSON.stringify(r.err?.message)}`, `wrong password: ${JSON.stringify(wrongPasswordMessage)}`,
);

// 5. Registering the same address again: the plugin's DUPLICATE branch. (Any casing reaches
// the same username: the plugin lower-cases it.)
r = await attempt(cognito.createUser(EMAIL.toUpperCase()));
expectType("duplicate registration: AdminCreateUser fails with __type UsernameExistsException", r, "UsernameExistsException");

// 6. A password the pool's policy refuses: createCustomer's set fails, and it deletes the user
// it has just created.
r = await attempt(cognito.createUser(WEAK_EMAIL));
expectOk("weak password: createCustomer's AdminCreateUser succeeds", r);
r = await attempt(cognito.setCustomerPassword(WEAK_EMAIL, WEAK_PASSWORD));
expectType("weak password: AdminSetUserPassword fails with __type InvalidPasswordException", r, "InvalidPasswordException");
// At v0.2.0 the login path called createCustomer(email) with no password: the SDK leaves the
// undefined member out and the pool refuses the request as Cognito does.
r = await attempt(cognito.setCustomerPassword(WEAK_EMAIL, undefined));
expectType("no password: AdminSetUserPassword fails with __type InvalidParameterException", r, "InvalidParameterException");
r = await attempt(cognito.deleteCustomer(WEAK_EMAIL));
expectOk("weak password: createCustomer's clean-up AdminDeleteUser succeeds", r);
r = await attempt(getUser(WEAK_EMAIL));
expectType("weak password: the user is gone (AdminGetUser: UserNotFoundException)", r, "UserNotFoundException");

// 7. An email change: updateCustomerEmail(old, new). The username cannot change, so it stays
// the old address; only the email attribute moves.
r = await attempt(cognito.updateCustomerEmail(USERNAME, NEW_EMAIL));
expectOk("updateCustomerEmail: AdminUpdateUserAttributes succeeds", r);
r = await attempt(getUser(USERNAME));
t.check(
  "the email attribute is the new address and the username the old one",
  r.out?.Username === USERNAME && attr(r.out, "email") === NEW_EMAIL,
  r.err ? detailOf(r.err) : `got: ${JSON.stringify(r.out ?? null).slice(0, 300)}`,
);
r = await attempt(cognito.authenticateCustomer(USERNAME, PASSWORD));
expectTokens("after the email change, sign-in under the old username still works", r, USERNAME);
r = await attempt(cognito.updateCustomerEmail(UNKNOWN_EMAIL, NEW_EMAIL));
expectType("updateCustomerEmail for an unknown user fails with __type UserNotFoundException", r, "UserNotFoundException");

// 8. Deletion: deleteCustomer(email), then the plugin's password-change path on the deleted
// customer, whose UserNotFoundException branch re-creates the user. The admin API is never
// masked by PreventUserExistenceErrors.
r = await attempt(cognito.deleteCustomer(USERNAME));
expectOk("deleteCustomer: AdminDeleteUser succeeds", r);
r = await attempt(cognito.setCustomerPassword(USERNAME, PASSWORD));
expectType("deleted customer: AdminSetUserPassword fails with __type UserNotFoundException", r, "UserNotFoundException");
r = await attempt(cognito.authenticateCustomer(USERNAME, PASSWORD));
expectType("deleted customer: AdminInitiateAuth fails with __type NotAuthorizedException", r, "NotAuthorizedException");
r = await attempt(cognito.deleteCustomer(USERNAME));
expectType("deleting again fails with __type UserNotFoundException", r, "UserNotFoundException");

// 9. The address is free again: the plugin's createCustomer registers it anew.
r = await attempt(cognito.createUser(EMAIL));
expectOk("re-registration: AdminCreateUser succeeds", r);
r = await attempt(cognito.setCustomerPassword(EMAIL, PASSWORD));
expectOk("re-registration: AdminSetUserPassword (Permanent) succeeds", r);
r = await attempt(cognito.authenticateCustomer(USERNAME, PASSWORD));
expectTokens("re-registration: AdminInitiateAuth ADMIN_NO_SRP_AUTH returns tokens", r, USERNAME);
await attempt(cognito.deleteCustomer(USERNAME));

t.finish();
