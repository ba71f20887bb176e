package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
)

// scenarioNames are the load scenarios, in the order they run on a target. createuser
// comes last because it grows the pool the others read.
var scenarioNames = []string{"getuser", "admingetuser", "listusers-email", "refresh", "signin", "createuser"}

// scenarioInfo says what each scenario does, for the rendered tables.
var scenarioInfo = map[string]string{
	"getuser":         "GetUser with an access token (unsigned)",
	"admingetuser":    "AdminGetUser by username (SigV4)",
	"listusers-email": `ListUsers with Filter email = "…" (SigV4)`,
	"refresh":         "InitiateAuth REFRESH_TOKEN_AUTH (unsigned)",
	"signin":          "InitiateAuth USER_PASSWORD_AUTH (unsigned; one password verification)",
	"createuser":      "AdminCreateUser, SUPPRESS, TemporaryPassword (SigV4; one password hash)",
}

// createRuns numbers the runs of createuser.
var createRuns atomic.Int64

// q quotes an ASCII string as JSON.
func q(s string) string { return strconv.Quote(s) }

func want(cond bool, format string, args ...any) error {
	if cond {
		return nil
	}
	return &apiError{Message: fmt.Sprintf(format, args...)}
}

func checkUsername(b []byte) error {
	var v struct{ Username string }
	if err := json.Unmarshal(b, &v); err != nil {
		return &apiError{Message: "undecodable answer: " + err.Error()}
	}
	return want(v.Username != "", "answer without Username")
}

// buildScenario returns the request generator of a scenario on a set-up target, or why it
// cannot run there.
func buildScenario(name string, f *fixture, tag string) (scenarioRun, string) {
	sc := scenarioRun{name: name, users: len(f.bulk)}
	switch name {
	case "getuser":
		if len(f.access) == 0 {
			return sc, "no access token: " + f.tokenErr
		}
		bodies := make([][]byte, len(f.access))
		for i, t := range f.access {
			bodies[i] = []byte(`{"AccessToken":` + q(t) + `}`)
		}
		sc.gen = func(i int64) request {
			return request{op: "GetUser", body: bodies[i%int64(len(bodies))], check: checkUsername}
		}
	case "admingetuser":
		if len(f.bulk) == 0 {
			return sc, "no bulk users"
		}
		sc.gen = func(i int64) request {
			u := bulkName(f.bulk[i%int64(len(f.bulk))])
			return request{op: "AdminGetUser", signed: true, check: checkUsername,
				body: []byte(`{"UserPoolId":` + q(f.poolID) + `,"Username":` + q(u) + `}`)}
		}
	case "listusers-email":
		if len(f.bulk) == 0 {
			return sc, "no bulk users"
		}
		sc.gen = func(i int64) request {
			email := bulkEmail(f.bulk[i%int64(len(f.bulk))])
			filter := `email = "` + email + `"`
			return request{op: "ListUsers", signed: true, check: checkOneUser,
				body: []byte(`{"UserPoolId":` + q(f.poolID) + `,"Filter":` + q(filter) + `}`)}
		}
	case "refresh":
		if len(f.refresh) == 0 {
			return sc, "no refresh token: " + f.tokenErr
		}
		bodies := make([][]byte, len(f.refresh))
		for i, t := range f.refresh {
			bodies[i] = []byte(`{"AuthFlow":"REFRESH_TOKEN_AUTH","ClientId":` + q(f.clientID) + `,"AuthParameters":{"REFRESH_TOKEN":` + q(t) + `}}`)
		}
		sc.gen = func(i int64) request {
			return request{op: "InitiateAuth", body: bodies[i%int64(len(bodies))], check: checkAuth}
		}
	case "signin":
		if len(f.signin) == 0 {
			return sc, "no sign-in users"
		}
		bodies := make([][]byte, len(f.signin))
		for i, u := range f.signin {
			bodies[i] = []byte(`{"AuthFlow":"USER_PASSWORD_AUTH","ClientId":` + q(f.clientID) + `,"AuthParameters":{"USERNAME":` + q(u) + `,"PASSWORD":` + q(password) + `}}`)
		}
		sc.gen = func(i int64) request {
			return request{op: "InitiateAuth", body: bodies[i%int64(len(bodies))], check: checkAuth}
		}
	case "createuser":
		// Every run of the scenario gets names of its own.
		prefix := fmt.Sprintf("new%s%d", tag, createRuns.Add(1))
		sc.gen = func(i int64) request {
			u := fmt.Sprintf("%s-%09d", prefix, i)
			return request{op: "AdminCreateUser", signed: true, check: checkCreated,
				body: []byte(`{"UserPoolId":` + q(f.poolID) + `,"Username":` + q(u) + `,"MessageAction":"SUPPRESS","TemporaryPassword":` + q(password) + `}`)}
		}
	default:
		return sc, "unknown scenario"
	}
	return sc, ""
}

func checkOneUser(b []byte) error {
	var v struct{ Users []struct{ Username string } }
	if err := json.Unmarshal(b, &v); err != nil {
		return &apiError{Message: "undecodable ListUsers answer: " + err.Error()}
	}
	return want(len(v.Users) == 1, "ListUsers did not return exactly one user")
}

func checkCreated(b []byte) error {
	var v struct{ User struct{ Username string } }
	if err := json.Unmarshal(b, &v); err != nil {
		return &apiError{Message: "undecodable AdminCreateUser answer: " + err.Error()}
	}
	return want(v.User.Username != "", "AdminCreateUser answer without User.Username")
}
