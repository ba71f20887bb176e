// Package oauth signs users in to a Go web app through a Cognito user pool's hosted UI
// (managed login), with the OAuth 2.0 authorization-code flow. It works against AWS
// Cognito's hosted domain and against `hashless pool`.
//
// It owns what every app otherwise gets subtly wrong: PKCE with S256 (the only method
// Cognito supports), a fresh state and nonce for every sign-in, checking state in
// constant time against what the browser that started the sign-in holds, verifying the ID
// token (signature, issuer, audience, expiry, nonce, at_hash) with the verify package,
// explicit client authentication (HTTP Basic with a secret, client_id in the body
// without, never a guessing request), keeping the old refresh token when the pool does not
// rotate it, turning RFC 6749 error responses into *Error, and the logout URL. LoginHandler
// and CallbackHandler are the two routes an app mounts; they keep each sign-in's secrets in
// a short-lived cookie sealed with AES-GCM, so the app needs no server-side storage for
// them.
//
// It does not keep the app's session: CallbackHandler hands the verified Tokens to the
// app, which stores what it needs (examples/hostedui keeps them in memory behind a random
// session ID). Protect the app's own state-changing routes against CSRF; this package only
// protects the sign-in. Verifying the access tokens an API receives is the verify
// package's job.
//
// With AWS, give the hosted domain; no request is made before the first sign-in:
//
//	c, err := oauth.New(ctx, oauth.Config{
//		Issuer:       verify.AWSIssuer("eu-west-1", "eu-west-1_AbCdEf123"),
//		Domain:       "https://myapp.auth.eu-west-1.amazoncognito.com",
//		ClientID:     "1example23456789",
//		ClientSecret: os.Getenv("CLIENT_SECRET"), // empty for a public client
//		RedirectURL:  "https://app.example.com/oauth/callback",
//		CookieKey:    key, // 32 bytes, the same on every instance
//		CookieSecure: true,
//	})
//
// With `hashless pool`, whose issuer is <public URL>/<pool ID> and which serves the
// endpoints under it, leave Domain empty to read them from the issuer's discovery document
// (or set Domain to the issuer):
//
//	c, err := oauth.New(ctx, oauth.Config{
//		Issuer:      "http://localhost:9229/local_AbCdEf123",
//		ClientID:    clientID,
//		RedirectURL: "http://localhost:4200/oauth/callback",
//	})
//
// Then mount the handlers:
//
//	mux.Handle("GET /login", c.LoginHandler())
//	mux.Handle("GET /oauth/callback", c.CallbackHandler(
//		func(w http.ResponseWriter, r *http.Request, t *oauth.Tokens) {
//			// keep t in the app's session, then:
//			http.Redirect(w, r, "/", http.StatusSeeOther)
//		}, nil))
//
// and send the browser to c.LogoutURL("https://app.example.com/signed-out") to end the
// hosted-UI session after clearing the app's own.
package oauth
