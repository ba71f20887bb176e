// Self-test of verifier.mjs, with no pool server: it serves a JWKS over plain http on
// 127.0.0.1 with node:http, signs Cognito-shaped RS256 tokens with node:crypto, and checks that
// the aws-jwt-verify setup used by password-flows.mjs accepts them and refuses forged ones.
//
//   node verifier-selftest.mjs     (from tests/node, after npm ci; takes well under a second)
//
// Prints `ok - …` / `not ok - …` lines and `N passed, M failed`; exits 1 on any failure.
import { createServer } from "node:http";
import { generateKeyPairSync, randomUUID, sign as rsaSign } from "node:crypto";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";
import {
  CognitoJwtInvalidClientIdError,
  CognitoJwtInvalidTokenUseError,
  FetchError,
  JwtExpiredError,
  JwtInvalidAudienceError,
  JwtInvalidIssuerError,
  JwtInvalidSignatureError,
  KidNotFoundInJwksError,
} from "aws-jwt-verify/error";
import { cognitoVerifiers, HttpFetcher, tamperPayload, tamperSignature } from "./verifier.mjs";
import { Tap, describeError } from "./tap.mjs";

const t = new Tap();
const POOL_ID = "us-east-1_SelfTest1";
const CLIENT_ID = "selftestclient0000000000000";

// Two keys, as Cognito (and hashless) sign ID and access tokens with different keys.
function makeKey(kid) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } };
}
const idKey = makeKey("selftest-id-key");
const accessKey = makeKey("selftest-access-key");
const strayKey = makeKey("selftest-unpublished-key");

function signJwt(key, payload, header = { kid: key.kid, alg: "RS256" }) {
  const enc = (o) => Buffer.from(JSON.stringify(o), "utf8").toString("base64url");
  const input = `${enc(header)}.${enc(payload)}`;
  const sig = rsaSign("sha256", Buffer.from(input), key.privateKey).toString("base64url");
  return `${input}.${sig}`;
}

let jwksRequests = 0;
const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === `/${POOL_ID}/.well-known/jwks.json`) {
    jwksRequests++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: [idKey.jwk, accessKey.jwk] }));
    return;
  }
  res.writeHead(404, { "content-type": "application/json" });
  res.end('{"message":"not found"}');
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const ISSUER = `${base}/${POOL_ID}`;

async function rejects(what, promise, errorClass) {
  try {
    const v = await promise;
    t.notOk(what, `expected ${errorClass.name}, but it was accepted`, v);
  } catch (err) {
    t.check(what, err instanceof errorClass, `expected ${errorClass.name}`, `got ${err?.constructor?.name}: ${describeError(err)}`);
  }
}

async function accepts(what, promise) {
  try {
    return t.check(what, (await promise) !== undefined);
  } catch (err) {
    return t.notOk(what, describeError(err));
  }
}

try {
  const now = Math.floor(Date.now() / 1000);
  const sub = randomUUID();
  const originJti = randomUUID();
  const idClaims = {
    sub,
    email_verified: true,
    iss: ISSUER,
    "cognito:username": "alice",
    origin_jti: originJti,
    aud: CLIENT_ID,
    event_id: randomUUID(),
    token_use: "id",
    auth_time: now,
    exp: now + 3600,
    iat: now,
    jti: randomUUID(),
    email: "alice@example.com",
  };
  const accessClaims = {
    sub,
    iss: ISSUER,
    client_id: CLIENT_ID,
    origin_jti: originJti,
    event_id: randomUUID(),
    token_use: "access",
    scope: "aws.cognito.signin.user.admin",
    auth_time: now,
    exp: now + 3600,
    iat: now,
    jti: randomUUID(),
    username: "alice",
  };
  const idToken = signJwt(idKey, idClaims);
  const accessToken = signJwt(accessKey, accessClaims);

  // Why verifier.mjs has its own fetcher: node:https throws ERR_INVALID_PROTOCOL for http://.
  try {
    await new SimpleJwksCache().getJwks(`${ISSUER}/.well-known/jwks.json`);
    t.notOk("aws-jwt-verify's default fetcher refuses an http:// JWKS URI", "it fetched it");
  } catch (err) {
    t.check(
      "aws-jwt-verify's default fetcher refuses an http:// JWKS URI",
      err?.code === "ERR_INVALID_PROTOCOL" || err instanceof FetchError,
      describeError(err),
    );
  }

  const body = JSON.parse(Buffer.from(await new HttpFetcher().fetch(`${ISSUER}/.well-known/jwks.json`)).toString("utf8"));
  t.check("HttpFetcher fetches the JWKS over http", Array.isArray(body.keys) && body.keys.length === 2, body);
  await rejects(
    "HttpFetcher turns a 404 into a NonRetryableFetchError (a FetchError)",
    new HttpFetcher().fetch(`${base}/nowhere/.well-known/jwks.json`),
    FetchError,
  );

  const { id, access } = cognitoVerifiers({ issuer: ISSUER, clientId: CLIENT_ID });
  jwksRequests = 0;
  await accepts("a well-formed ID token verifies", id.verify(idToken));
  await accepts("a well-formed access token verifies", access.verify(accessToken));
  const payload = await id.verify(idToken);
  t.equal("verify returns the ID token's claims", payload["cognito:username"], "alice");
  t.equal("the JWKS is fetched once for both verifiers", jwksRequests, 1);

  await rejects("an ID token with a changed signature is refused", id.verify(tamperSignature(idToken)), JwtInvalidSignatureError);
  await rejects(
    "an access token with a changed signature is refused",
    access.verify(tamperSignature(accessToken)),
    JwtInvalidSignatureError,
  );
  await rejects(
    "an ID token with a changed claim is refused",
    id.verify(tamperPayload(idToken, "cognito:username", "mallory")),
    JwtInvalidSignatureError,
  );
  await rejects(
    "an ID token from another issuer is refused",
    id.verify(signJwt(idKey, { ...idClaims, iss: `${base}/us-east-1_Other0000` })),
    JwtInvalidIssuerError,
  );
  await rejects(
    "an ID token for another client is refused",
    id.verify(signJwt(idKey, { ...idClaims, aud: "someotherclient" })),
    JwtInvalidAudienceError,
  );
  await rejects(
    "an access token for another client is refused",
    access.verify(signJwt(accessKey, { ...accessClaims, client_id: "someotherclient" })),
    CognitoJwtInvalidClientIdError,
  );
  await rejects("an ID token is not an access token", access.verify(idToken), CognitoJwtInvalidTokenUseError);
  await rejects("an access token (no aud) is not an ID token", id.verify(accessToken), JwtInvalidAudienceError);
  await rejects(
    "an expired ID token is refused",
    id.verify(signJwt(idKey, { ...idClaims, iat: now - 7200, exp: now - 3600 })),
    JwtExpiredError,
  );
  await rejects(
    "a token signed by an unpublished key is refused",
    access.verify(signJwt(strayKey, accessClaims)),
    KidNotFoundInJwksError,
  );
  try {
    await id.verify(signJwt(idKey, idClaims, { kid: idKey.kid, alg: "none" }));
    t.notOk("a token whose header says alg none is refused", "it was accepted");
  } catch (err) {
    t.ok(`a token whose header says alg none is refused (${err?.constructor?.name})`);
  }
} catch (err) {
  t.notOk("the self-test ran to the end", err?.stack ?? describeError(err));
} finally {
  server.closeAllConnections();
  server.close();
}
t.finish();
