package main

import (
	"context"
	"strings"
	"testing"
)

// The example runs end to end against the local pool it starts.
func TestRun(t *testing.T) {
	t.Setenv("COGNITO_USER_POOL_ID", "")
	var out strings.Builder
	if err := run(context.Background(), nil, strings.NewReader(""), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "signed in; tokens valid for") {
		t.Fatalf("unexpected output:\n%s", out.String())
	}
}
