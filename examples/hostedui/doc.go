// Command hostedui is a small web app that signs users in through a user pool's hosted UI
// with the cognito/oauth package: authorization code, PKCE, state and nonce, then a page
// showing the verified ID token's claims and a sign-out link to the pool's logout endpoint.
//
// Against `hashless pool` (its endpoints are read from the issuer's discovery document):
//
//	go run ./examples/hostedui --issuer http://localhost:9229/<pool ID> --client-id <app client ID>
//
// Against AWS, with the pool's hosted domain:
//
//	go run ./examples/hostedui \
//		--issuer https://cognito-idp.<region>.amazonaws.com/<pool ID> \
//		--domain https://<prefix>.auth.<region>.amazoncognito.com \
//		--client-id <app client ID> --client-secret "$COGNITO_CLIENT_SECRET"
//
// The app client must list http://localhost:4200/oauth/callback as a callback URL and
// http://localhost:4200/oauth/logout as a sign-out URL (or the --redirect-url and
// --logout-url given), allow the code grant and the openid and email scopes. Then open
// http://localhost:4200/.
//
// Routes: / (the page), /login (starts a sign-in), /oauth/callback (finishes it and
// starts the app's session), /oauth/logout (where the pool's logout sends the browser
// back: ends the app's session and revokes its refresh token). The session is an
// HttpOnly cookie holding a random ID; the tokens stay in the process's memory, so a
// restart signs everyone out. Every flag also reads an environment variable, shown in
// -help.
package main
