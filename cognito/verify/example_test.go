package verify_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/hashless/hashless/cognito"
	"github.com/hashless/hashless/cognito/cognitotest"
	"github.com/hashless/hashless/cognito/verify"
)

// signedInUser starts a throwaway pool with a signed-in user "alice" in group "staff".
func signedInUser() (*cognitotest.Pool, *cognito.Tokens) {
	ctx := context.Background()
	pool, err := cognitotest.Start(ctx, cognitotest.Options{})
	if err != nil {
		log.Fatal(err)
	}
	client, err := cognito.New(pool.Config())
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.AdminCreateUser(ctx, cognito.NewUser{Username: "alice", SuppressMessage: true}); err != nil {
		log.Fatal(err)
	}
	if err := client.AdminSetPassword(ctx, "alice", "Correct-Horse-42", true); err != nil {
		log.Fatal(err)
	}
	if _, err := client.CreateGroup(ctx, cognito.Group{Name: "staff"}); err != nil {
		log.Fatal(err)
	}
	if err := client.AdminAddUserToGroup(ctx, "alice", "staff"); err != nil {
		log.Fatal(err)
	}
	res, err := client.Login(ctx, "alice", "Correct-Horse-42")
	if err != nil {
		log.Fatal(err)
	}
	return pool, res.Tokens
}

// A Verifier checks tokens offline against the pool's published keys.
func ExampleVerifier_VerifyAccessToken() {
	pool, tokens := signedInUser()
	defer pool.Close()

	// For AWS: Issuer: verify.AWSIssuer("eu-west-1", "eu-west-1_AbCdEf123").
	v, err := verify.New(verify.Config{Issuer: pool.Issuer(), ClientIDs: []string{pool.ClientID}})
	if err != nil {
		log.Fatal(err)
	}
	claims, err := v.VerifyAccessToken(context.Background(), tokens.Access)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.Username, claims.TokenUse, claims.Groups, claims.HasScope("aws.cognito.signin.user.admin"))

	_, err = v.VerifyAccessToken(context.Background(), tokens.ID)
	fmt.Println(err)
	// Output:
	// alice access [staff] true
	// verify: wrong token use: "id" where "access" was expected
}

// Middleware guards an API: only requests with a valid access token get through, and the
// handler finds the claims in the request's context.
func ExampleVerifier_Middleware() {
	pool, tokens := signedInUser()
	defer pool.Close()
	v, err := verify.New(verify.Config{Issuer: pool.Issuer(), ClientIDs: []string{pool.ClientID}})
	if err != nil {
		log.Fatal(err)
	}
	api := httptest.NewServer(v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := verify.ClaimsFrom(r.Context())
		fmt.Fprintf(w, "hello %s", claims.Username)
	})))
	defer api.Close()

	for _, token := range []string{"", "not-a-token", tokens.Access} {
		req, _ := http.NewRequest("GET", api.URL, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%d %s (%s)\n", resp.StatusCode, strings.TrimSpace(string(body)), resp.Header.Get("WWW-Authenticate"))
	}
	// Output:
	// 401 a Bearer access token is required (Bearer)
	// 401 the access token is invalid (Bearer error="invalid_token")
	// 200 hello alice ()
}
