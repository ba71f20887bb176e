// Command storeauth mounts package storeauth in a net/http app: the app keeps its own
// customers table (here a map, behind store.Customers) and its sessions (here in memory),
// every password lives in a Cognito user pool, and one app route, GET /hello, is for
// signed-in customers only.
//
//	go run ./examples/storeauth -addr 127.0.0.1:8081
//
//	curl -s localhost:8081/store/customers -H 'Content-Type: application/json' \
//	  -d '{"email":"ann@example.com","password":"Correct-Horse-9"}'
//	curl -s -c jar localhost:8081/store/auth -H 'Content-Type: application/json' \
//	  -d '{"email":"ann@example.com","password":"Correct-Horse-9"}'
//	curl -s -b jar localhost:8081/hello
//
// It uses the pool in COGNITO_* (AWS Cognito, or a `hashless pool` with COGNITO_ENDPOINT)
// when COGNITO_USER_POOL_ID is set, and otherwise a throwaway local pool it starts itself.
package main
