package oauth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/hashless/hashless/cognito/oauth"
	"github.com/hashless/hashless/cognito/verify"
)

// With an AWS hosted domain the endpoints are known without asking the pool.
func ExampleNew_awsHostedDomain() {
	c, err := oauth.New(context.Background(), oauth.Config{
		Issuer:      verify.AWSIssuer("eu-west-1", "eu-west-1_AbCdEf123"),
		Domain:      "https://myapp.auth.eu-west-1.amazoncognito.com",
		ClientID:    "1example23456789",
		RedirectURL: "https://app.example.com/oauth/callback",
	})
	if err != nil {
		log.Fatal(err)
	}
	e := c.Endpoints()
	fmt.Println(e.Authorization)
	fmt.Println(e.Token)
	fmt.Println(c.LogoutURL("https://app.example.com/signed-out"))
	// Output:
	// https://myapp.auth.eu-west-1.amazoncognito.com/oauth2/authorize
	// https://myapp.auth.eu-west-1.amazoncognito.com/oauth2/token
	// https://myapp.auth.eu-west-1.amazoncognito.com/logout?client_id=1example23456789&logout_uri=https%3A%2F%2Fapp.example.com%2Fsigned-out
}

// A web app signs users in through `hashless pool`, whose endpoints are read from the
// issuer's discovery document, with two routes.
func ExampleClient_CallbackHandler() {
	ctx := context.Background()
	c, err := oauth.New(ctx, oauth.Config{
		Issuer:      "http://localhost:9229/local_AbCdEf123",
		ClientID:    "exampleclient",
		RedirectURL: "http://localhost:4200/oauth/callback",
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /login", c.LoginHandler())
	mux.Handle("GET /oauth/callback", c.CallbackHandler(
		func(w http.ResponseWriter, r *http.Request, t *oauth.Tokens) {
			// Keep t in the app's session here.
			log.Printf("signed in: %s", t.Claims.Username)
			http.Redirect(w, r, "/", http.StatusSeeOther)
		},
		func(w http.ResponseWriter, r *http.Request, err error) {
			log.Printf("sign-in failed: %v", err)
			http.Error(w, "Sign-in failed.", http.StatusBadRequest)
		}))
	log.Fatal(http.ListenAndServe("127.0.0.1:4200", mux))
}
