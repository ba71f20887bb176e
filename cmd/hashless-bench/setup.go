package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// password satisfies Cognito's default policy (length, upper, lower, digit, symbol).
const password = "Bench-Passw0rd!9"

func bulkName(i int) string  { return fmt.Sprintf("user%07d", i) }
func bulkEmail(i int) string { return fmt.Sprintf("user%07d@example.com", i) }
func signinName(i int) string {
	return fmt.Sprintf("signin%03d", i)
}

// fixture is what setup leaves for the scenarios on one target.
type fixture struct {
	poolID   string
	clientID string
	// bulk are the indices of bulk users that exist (bulkName(i)).
	bulk []int
	// signin are the users with a permanent password.
	signin []string
	// access and refresh tokens of the signin users; tokenErr says why there are none.
	access, refresh []string
	tokenErr        string
}

// SetupInfo records how a target's users were made.
type SetupInfo struct {
	PoolID        string  `json:"pool_id,omitempty"`
	Method        string  `json:"method"` // import or api
	UsersWanted   int     `json:"users_wanted"`
	Users         int     `json:"users"`
	Seconds       float64 `json:"seconds"`
	UsersPerSec   float64 `json:"users_per_s"`
	Failures      int64   `json:"failures,omitempty"`
	FailureSample string  `json:"failure_sample,omitempty"`
	BudgetHit     bool    `json:"budget_hit,omitempty"`
	SigninUsers   int     `json:"signin_users"`
	Tokens        int     `json:"tokens"`
	TokenError    string  `json:"token_error,omitempty"`
}

func createPool(ctx context.Context, c *client, name string) (poolID, clientID string, err error) {
	var pool struct {
		UserPool struct{ Id string }
	}
	if err := c.call(ctx, "CreateUserPool", map[string]any{"PoolName": name}, true, &pool); err != nil {
		return "", "", err
	}
	if pool.UserPool.Id == "" {
		return "", "", errors.New("CreateUserPool: no pool ID in the answer")
	}
	var cl struct {
		UserPoolClient struct{ ClientId string }
	}
	err = c.call(ctx, "CreateUserPoolClient", map[string]any{
		"UserPoolId":     pool.UserPool.Id,
		"ClientName":     "bench",
		"GenerateSecret": false,
		"ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH",
			"ALLOW_REFRESH_TOKEN_AUTH"},
	}, true, &cl)
	if err != nil {
		return "", "", err
	}
	if cl.UserPoolClient.ClientId == "" {
		return "", "", errors.New("CreateUserPoolClient: no client ID in the answer")
	}
	return pool.UserPool.Id, cl.UserPoolClient.ClientId, nil
}

// parallel runs fn(i) for i in [0, n) on workers goroutines until done or the deadline,
// and returns the indices that succeeded (in order), the failures and the first error.
func parallel(ctx context.Context, n, workers int, deadline time.Time, fn func(i int) error) (ok []int, failures int64, first error, budgetHit bool) {
	var next atomic.Int64
	var mu sync.Mutex
	done := make([]bool, n)
	var wg sync.WaitGroup
	var hit atomic.Bool
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				if !deadline.IsZero() && time.Now().After(deadline) {
					hit.Store(true)
					return
				}
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				err := fn(i)
				mu.Lock()
				if err != nil {
					failures++
					if first == nil {
						first = err
					}
				} else {
					done[i] = true
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i, d := range done {
		if d {
			ok = append(ok, i)
		}
	}
	return ok, failures, first, hit.Load()
}

// createSigninUsers makes n users with a permanent password: AdminCreateUser then
// AdminSetUserPassword, as an application would without import.
func createSigninUsers(ctx context.Context, c *client, poolID string, n, workers int) ([]string, error) {
	ok, _, first, _ := parallel(ctx, n, workers, time.Time{}, func(i int) error {
		name := signinName(i)
		err := c.call(ctx, "AdminCreateUser", map[string]any{
			"UserPoolId": poolID, "Username": name, "MessageAction": "SUPPRESS", "TemporaryPassword": password,
			"UserAttributes": []map[string]string{{"Name": "email", "Value": name + "@example.com"}, {"Name": "email_verified", "Value": "true"}},
		}, true, nil)
		if err != nil {
			return err
		}
		return c.call(ctx, "AdminSetUserPassword", map[string]any{
			"UserPoolId": poolID, "Username": name, "Password": password, "Permanent": true,
		}, true, nil)
	})
	var names []string
	for _, i := range ok {
		names = append(names, signinName(i))
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no sign-in user could be created: %v", first)
	}
	return names, nil
}

// createBulkAPI makes bulk users one AdminCreateUser each (for servers without user import),
// within the budget.
func createBulkAPI(ctx context.Context, c *client, poolID string, n, workers int, budget time.Duration) ([]int, int64, error, bool) {
	return parallel(ctx, n, workers, time.Now().Add(budget), func(i int) error {
		return c.call(ctx, "AdminCreateUser", map[string]any{
			"UserPoolId": poolID, "Username": bulkName(i), "MessageAction": "SUPPRESS", "TemporaryPassword": password,
			"UserAttributes": []map[string]string{{"Name": "email", "Value": bulkEmail(i)}, {"Name": "email_verified", "Value": "true"}},
		}, true, nil)
	})
}

// importBulk makes bulk users through a user import job: GetCSVHeader,
// CreateUserImportJob, PUT the CSV to the PreSignedUrl, StartUserImportJob, then poll
// DescribeUserImportJob. No password is hashed on this path.
func importBulk(ctx context.Context, c *client, poolID string, n int) ([]int, error) {
	var hdr struct{ CSVHeader []string }
	if err := c.call(ctx, "GetCSVHeader", map[string]any{"UserPoolId": poolID}, true, &hdr); err != nil {
		return nil, err
	}
	cols := hdr.CSVHeader
	if len(cols) == 0 {
		return nil, errors.New("GetCSVHeader: empty header")
	}
	var b strings.Builder
	b.Grow((n + 1) * (len(cols) + 60))
	b.WriteString(strings.Join(cols, ","))
	b.WriteByte('\n')
	for i := range n {
		for j, col := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			switch col {
			case "cognito:username":
				b.WriteString(bulkName(i))
			case "email":
				b.WriteString(bulkEmail(i))
			case "email_verified":
				b.WriteString("true")
			case "cognito:mfa_enabled":
				b.WriteString("false")
			case "phone_number_verified":
				b.WriteString("false")
			}
		}
		b.WriteByte('\n')
	}
	var job struct {
		UserImportJob struct {
			JobId, PreSignedUrl, Status, CompletionMessage string
			ImportedUsers, FailedUsers, SkippedUsers       int64
		}
	}
	err := c.call(ctx, "CreateUserImportJob", map[string]any{
		"UserPoolId": poolID, "JobName": "bench", "CloudWatchLogsRoleArn": "arn:aws:iam::123456789012:role/CognitoImport",
	}, true, &job)
	if err != nil {
		return nil, err
	}
	jobID := job.UserImportJob.JobId
	if err := c.put(ctx, job.UserImportJob.PreSignedUrl, []byte(b.String()), "text/csv"); err != nil {
		return nil, err
	}
	if err := c.call(ctx, "StartUserImportJob", map[string]any{"UserPoolId": poolID, "JobId": jobID}, true, nil); err != nil {
		return nil, err
	}
	lastLog := time.Now()
	for {
		if err := c.call(ctx, "DescribeUserImportJob", map[string]any{"UserPoolId": poolID, "JobId": jobID}, true, &job); err != nil {
			return nil, err
		}
		j := job.UserImportJob
		switch j.Status {
		case "Succeeded":
			if j.ImportedUsers != int64(n) {
				return nil, fmt.Errorf("import job %s imported %d of %d users (%d failed, %d skipped): %s", jobID, j.ImportedUsers, n, j.FailedUsers, j.SkippedUsers, j.CompletionMessage)
			}
			ok := make([]int, n)
			for i := range ok {
				ok[i] = i
			}
			return ok, nil
		case "Failed", "Stopped", "Expired":
			return nil, fmt.Errorf("import job %s: %s: %s", jobID, j.Status, j.CompletionMessage)
		}
		if time.Since(lastLog) > 10*time.Second {
			logf("  import job %s: %s, %d users so far", jobID, j.Status, j.ImportedUsers)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

type authResult struct {
	AuthenticationResult struct {
		AccessToken, IdToken, RefreshToken string
	}
	ChallengeName string
}

func checkAuth(b []byte) error {
	var a authResult
	if err := json.Unmarshal(b, &a); err != nil {
		return &apiError{Message: "undecodable InitiateAuth answer: " + err.Error()}
	}
	if a.AuthenticationResult.AccessToken == "" {
		if a.ChallengeName != "" {
			return &apiError{Message: "unexpected challenge " + a.ChallengeName}
		}
		return &apiError{Message: "InitiateAuth answer without an access token"}
	}
	return nil
}

// signInAll signs every signin user in once and keeps their tokens.
func signInAll(ctx context.Context, c *client, clientID string, users []string) (access, refresh []string, err error) {
	for _, u := range users {
		var a authResult
		err := c.call(ctx, "InitiateAuth", map[string]any{
			"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": clientID,
			"AuthParameters": map[string]string{"USERNAME": u, "PASSWORD": password},
		}, false, &a)
		if err != nil {
			return access, refresh, err
		}
		if a.AuthenticationResult.AccessToken == "" {
			return access, refresh, fmt.Errorf("InitiateAuth for %s: no tokens (challenge %q)", u, a.ChallengeName)
		}
		access = append(access, a.AuthenticationResult.AccessToken)
		if a.AuthenticationResult.RefreshToken != "" {
			refresh = append(refresh, a.AuthenticationResult.RefreshToken)
		}
	}
	return access, refresh, nil
}
