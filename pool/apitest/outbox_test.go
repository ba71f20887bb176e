package apitest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/hashless/hashless/internal/pooltest"
)

type outboxMessage struct {
	ID          int64  `json:"id"`
	Pool        string `json:"pool"`
	Username    string `json:"username"`
	Destination string `json:"destination"`
	Medium      string `json:"medium"`
	Kind        string `json:"kind"`
	Code        string `json:"code"`
	Message     string `json:"message"`
	Time        string `json:"time"`
}

func outbox(t *testing.T, p *pooltest.Pool, query url.Values) []outboxMessage {
	t.Helper()
	resp, err := http.Get(p.URL + "/_local/messages?" + query.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("outbox answered %d", resp.StatusCode)
	}
	var msgs []outboxMessage
	if err := json.NewDecoder(resp.Body).Decode(&msgs); err != nil {
		t.Fatal(err)
	}
	if msgs == nil {
		t.Fatal("outbox must answer [] rather than null")
	}
	return msgs
}
