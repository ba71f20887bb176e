// The tokens of a `hashless pool`'s OAuth endpoints (hosted UI code and implicit flows, the
// refresh_token and client_credentials grants), verified with aws-jwt-verify.
// tests/e2e/hosted-oauth.sh obtains them with curl and runs this with the path of a JSON file:
//
//   node oauth-tokens.mjs tokens.json
//
//   {
//     "issuer": "http://127.0.0.1:9229/us-east-1_AbCdEfGhI",
//     "tokens": [
//       { "name": "code flow", "kind": "id" | "access", "clientId": "...", "token": "eyJ...",
//         "grant": "client_credentials" }        (grant: optional, see below)
//     ]
//   }
//
// ID and access tokens of a user go through verifier.mjs's verifiers (JwtVerifier with the
// pool's issuer and aws-jwt-verify's own Cognito field checks). An access token whose grant is
// client_credentials belongs to no user: its verifier checks that token_use is access, that
// client_id is the client's, and that there is no username. Tampered copies of the tokens, and
// tokens handed to the wrong verifier, must be refused.
//
// Prints `ok - …` / `not ok - …` lines and `N passed, M failed`; exits 1 on any failure.
import { readFileSync } from "node:fs";
import { JwtVerifier } from "aws-jwt-verify";
import { JwtInvalidClaimError, JwtInvalidSignatureError } from "aws-jwt-verify/error";
import { cognitoVerifiers, decodeJwt, jwksUriFor, tamperPayload, tamperSignature } from "./verifier.mjs";
import { Tap, describeError } from "./tap.mjs";

const t = new Tap();

const watchdog = setTimeout(() => t.bail("the script did not finish within 2 minutes"), 120_000);
watchdog.unref();

// --- input ------------------------------------------------------------------------------------

const file = process.argv[2] || process.env.TOKENS_FILE;
if (!file) {
  t.notOk("a tokens file is named", "usage: node oauth-tokens.mjs tokens.json");
  t.bail("nothing to verify");
}
let input;
try {
  input = JSON.parse(readFileSync(file, "utf8"));
} catch (err) {
  t.notOk(`${file} is readable JSON`, describeError(err));
  t.bail("nothing to verify");
}
const { issuer, tokens } = input ?? {};
if (typeof issuer !== "string" || !issuer || !Array.isArray(tokens) || tokens.length === 0) {
  t.notOk("the tokens file has an issuer and tokens", JSON.stringify(input)?.slice(0, 300));
  t.bail("nothing to verify");
}
t.comment(`issuer ${issuer}, ${tokens.length} tokens, JWKS at ${jwksUriFor(issuer)}`);

// --- verifiers --------------------------------------------------------------------------------

// CustomCheckError is what the client_credentials check throws; aws-jwt-verify passes the
// customJwtCheck's error through.
class CustomCheckError extends Error {}

// clientCredentialsVerifier accepts access tokens a client got for itself (no user).
function clientCredentialsVerifier(clientId, jwksCache) {
  return JwtVerifier.create(
    {
      issuer,
      jwksUri: jwksUriFor(issuer),
      audience: null,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== "access") {
          throw new CustomCheckError(`token_use is ${JSON.stringify(payload.token_use)}, not "access"`);
        }
        if (payload.client_id !== clientId) {
          throw new CustomCheckError(`client_id is ${JSON.stringify(payload.client_id)}, not ${clientId}`);
        }
        if ("username" in payload || "cognito:username" in payload) {
          throw new CustomCheckError(`the token names a user (${payload.username ?? payload["cognito:username"]})`);
        }
      },
    },
    { jwksCache },
  );
}

// One set of verifiers per client (verifier.mjs's ID and access verifiers, and the
// client_credentials one on their JWKS cache).
const byClient = new Map();
function verifiersFor(clientId) {
  let v = byClient.get(clientId);
  if (!v) {
    const user = cognitoVerifiers({ issuer, clientId });
    v = { ...user, clientCredentials: clientCredentialsVerifier(clientId, user.jwksCache) };
    byClient.set(clientId, v);
  }
  return v;
}

// verifierOf picks the verifier a token is meant for.
function verifierOf(entry) {
  const v = verifiersFor(entry.clientId);
  if (entry.grant === "client_credentials") return v.clientCredentials;
  return entry.kind === "id" ? v.id : v.access;
}

// payloadOf is a token's unverified payload for a `#` line, or a note that it has none.
function payloadOf(token) {
  try {
    return decodeJwt(token).payload;
  } catch {
    return "(the payload does not decode)";
  }
}

async function accepted(what, verifier, token) {
  try {
    const payload = await verifier.verify(token);
    t.ok(what);
    return payload;
  } catch (err) {
    t.notOk(what, `${err?.constructor?.name}: ${describeError(err)}`, payloadOf(token));
    return undefined;
  }
}

async function refused(what, verifier, token, ...errorClasses) {
  try {
    const payload = await verifier.verify(token);
    t.notOk(what, "it was accepted", payload);
  } catch (err) {
    t.check(
      what,
      errorClasses.length === 0 || errorClasses.some((c) => err instanceof c),
      `expected ${errorClasses.map((c) => c.name).join(" or ")}`,
      `got ${err?.constructor?.name}: ${describeError(err)}`,
    );
  }
}

// --- every token ------------------------------------------------------------------------------

try {
  for (const entry of tokens) {
    const { name, kind, clientId, token } = entry;
    const label = `${name}: ${entry.grant === "client_credentials" ? "client_credentials access" : kind} token`;
    if (typeof token !== "string" || token.split(".").length !== 3 || !clientId || !["id", "access"].includes(kind)) {
      t.notOk(`${label} is a compact JWT with a client and a kind`, JSON.stringify(entry).slice(0, 300));
      continue;
    }
    const payload = await accepted(`${label} verifies with aws-jwt-verify`, verifierOf(entry), token);
    if (!payload) continue;

    t.equal(`${label}: iss is the pool's issuer`, payload.iss, issuer);
    const { header } = decodeJwt(token);
    t.check(`${label}: RS256 with a kid`, header.alg === "RS256" && typeof header.kid === "string" && header.kid !== "", header);
    if (entry.grant === "client_credentials") {
      t.equal(`${label}: sub is the client`, payload.sub, clientId);
      t.check(`${label}: has a scope and no user claims`,
        typeof payload.scope === "string" && payload.scope !== "" && !("username" in payload) && !("email" in payload), payload);
    } else if (kind === "id") {
      t.check(`${label}: names the user (sub, cognito:username) and the client (aud)`,
        typeof payload.sub === "string" && payload.sub !== "" && typeof payload["cognito:username"] === "string" &&
          payload.aud === clientId, payload);
    } else {
      t.check(`${label}: names the user (sub, username) and has openid in its scope`,
        typeof payload.sub === "string" && payload.sub !== "" && typeof payload.username === "string" &&
          String(payload.scope).split(" ").includes("openid"), payload);
    }

    // Tampered copies are refused: a changed signature, and a changed claim under the old one.
    await refused(`${label}: a tampered signature is refused`, verifierOf(entry), tamperSignature(token), JwtInvalidSignatureError);
    await refused(`${label}: a changed claim (sub) is refused`, verifierOf(entry), tamperPayload(token, "sub", "someone-else"),
      JwtInvalidSignatureError);
  }

  // --- tokens shown to the wrong verifier ---------------------------------------------------
  const firstOf = (pred) => tokens.find((e) => typeof e.token === "string" && pred(e));
  const userId = firstOf((e) => e.kind === "id" && e.grant !== "client_credentials");
  const userAccess = firstOf((e) => e.kind === "access" && e.grant !== "client_credentials");
  const cc = firstOf((e) => e.grant === "client_credentials");
  if (userId) {
    await refused(`an ID token (${userId.name}) is refused as an access token`, verifiersFor(userId.clientId).access, userId.token,
      JwtInvalidClaimError);
  }
  if (userAccess) {
    await refused(`an access token (${userAccess.name}) is refused as an ID token`, verifiersFor(userAccess.clientId).id,
      userAccess.token, JwtInvalidClaimError);
  }
  if (userAccess && cc) {
    await refused(`a user's access token (${userAccess.name}) is refused by the client_credentials check`,
      verifiersFor(userAccess.clientId).clientCredentials, userAccess.token, CustomCheckError);
    await refused(`the client_credentials token is refused for another client`, verifiersFor(userAccess.clientId).access,
      cc.token, JwtInvalidClaimError);
  }
} catch (err) {
  t.notOk("verifying the tokens", describeError(err), err?.stack);
}

t.finish();
