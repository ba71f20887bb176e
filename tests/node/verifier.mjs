// Token verification with aws-jwt-verify against a pool that is not on amazonaws.com.
//
// CognitoJwtVerifier derives its issuer from the pool id
// (https://cognito-idp.<region>.amazonaws.com/<pool>) and cannot be pointed elsewhere, so this
// uses the generic JwtVerifier with the pool's real issuer, and runs the same Cognito checks
// (token_use; aud for ID tokens, client_id for access tokens) through customJwtCheck with
// aws-jwt-verify's own validateCognitoJwtFields.
//
// aws-jwt-verify's default fetcher uses node:https and refuses http:// URLs, so the JWKS cache
// gets HttpFetcher below, built on Node's global fetch.
import { JwtVerifier } from "aws-jwt-verify";
import { validateCognitoJwtFields } from "aws-jwt-verify/cognito-verifier";
import { NonRetryableFetchError, FetchError } from "aws-jwt-verify/error";
import { SimpleJwksCache } from "aws-jwt-verify/jwk";

// HttpFetcher implements aws-jwt-verify's Fetcher interface (fetch(uri, requestOptions, data)
// resolving to an ArrayBuffer) over http and https with the global fetch.
export class HttpFetcher {
  constructor({ timeoutMs = 5000 } = {}) {
    this.timeoutMs = timeoutMs;
  }

  async fetch(uri, requestOptions = {}, data = undefined) {
    let res;
    try {
      res = await globalThis.fetch(uri, {
        method: requestOptions.method ?? (data === undefined ? "GET" : "POST"),
        headers: { accept: "application/json" },
        body: data,
        redirect: "error",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new FetchError(uri, err?.cause?.message ?? err?.message ?? String(err));
    }
    if (res.status !== 200) {
      // Drain the body so the connection can be reused.
      await res.arrayBuffer().catch(() => undefined);
      throw new NonRetryableFetchError(uri, `Status code is ${res.status}, expected 200`);
    }
    return res.arrayBuffer();
  }
}

// jwksUriFor is where a Cognito pool publishes its keys: <issuer>/.well-known/jwks.json.
export function jwksUriFor(issuer) {
  return `${issuer.replace(/\/+$/, "")}/.well-known/jwks.json`;
}

// cognitoVerifiers returns { id, access } verifiers for tokens of issuer meant for clientId.
// Both share one JWKS cache, so the JWKS is fetched once.
export function cognitoVerifiers({ issuer, clientId, jwksUri = jwksUriFor(issuer), fetcher = new HttpFetcher() }) {
  const jwksCache = new SimpleJwksCache({ fetcher });
  const id = JwtVerifier.create(
    {
      issuer,
      jwksUri,
      audience: clientId,
      customJwtCheck: ({ payload }) => validateCognitoJwtFields(payload, { tokenUse: "id", clientId }),
    },
    { jwksCache },
  );
  const access = JwtVerifier.create(
    {
      issuer,
      jwksUri,
      // Cognito access tokens have no aud; the client is in client_id.
      audience: null,
      customJwtCheck: ({ payload }) => validateCognitoJwtFields(payload, { tokenUse: "access", clientId }),
    },
    { jwksCache },
  );
  return { id, access, jwksCache };
}

// tamperSignature changes one character in the middle of a compact JWT's signature. (The last
// character of a base64url RSA signature may only carry padding bits, so it is not used.)
export function tamperSignature(jwt) {
  const parts = jwt.split(".");
  if (parts.length !== 3 || parts[2].length < 8) {
    throw new Error("not a compact JWS");
  }
  const sig = parts[2];
  const i = Math.floor(sig.length / 2);
  const c = sig[i] === "A" ? "B" : "A";
  parts[2] = sig.slice(0, i) + c + sig.slice(i + 1);
  return parts.join(".");
}

// tamperPayload re-encodes the payload with one claim changed and keeps the old signature.
export function tamperPayload(jwt, claim, value) {
  const parts = jwt.split(".");
  const payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  payload[claim] = value;
  parts[1] = Buffer.from(JSON.stringify(payload), "utf8").toString("base64url");
  return parts.join(".");
}

// decodeJwt returns the unverified header and payload of a compact JWT.
export function decodeJwt(jwt) {
  const [h, p] = jwt.split(".");
  return {
    header: JSON.parse(Buffer.from(h, "base64url").toString("utf8")),
    payload: JSON.parse(Buffer.from(p, "base64url").toString("utf8")),
  };
}
