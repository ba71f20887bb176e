package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

const webhookTimeout = 5 * time.Second

type webhookSender struct {
	url string
	// display is the URL without user info or query, which often carry a token and end up
	// in logs through errors.
	display string
	client  *http.Client
}

type webhookPayload struct {
	ID          int64  `json:"id"`
	Pool        string `json:"pool"`
	Username    string `json:"username"`
	Destination string `json:"destination"`
	Medium      string `json:"medium"`
	Kind        string `json:"kind"`
	Code        string `json:"code"`
	Subject     string `json:"subject"`
	Message     string `json:"message"`
	Time        string `json:"time"`
}

// NewWebhook returns a sender that POSTs every message, whatever its medium, to rawURL as
// JSON: {id, pool, username, destination, medium, kind, code, subject, message, time}, time
// in RFC 3339 UTC, the other fields as in the outbox. A 2xx answer is success; anything
// else, redirects included, is an error. client may be nil; a client without a Timeout gets
// 5 s. Redirects are not followed unless the client says how, because a redirect would hand
// the code to a host nobody configured.
func NewWebhook(rawURL string, client *http.Client) (Sender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error repeats the URL, token included.
		return nil, errors.New("webhook: invalid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("webhook: URL scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("webhook: URL has no host")
	}
	c := &http.Client{}
	if client != nil {
		cp := *client
		c = &cp
	}
	if c.Timeout == 0 {
		c.Timeout = webhookTimeout
	}
	if c.CheckRedirect == nil {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	display := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return &webhookSender{url: u.String(), display: display.String(), client: c}, nil
}

func (w *webhookSender) String() string { return "webhook " + w.display }

func (w *webhookSender) Send(ctx context.Context, m Message) error {
	t := m.Time
	if t.IsZero() {
		t = time.Now()
	}
	body, err := json.Marshal(webhookPayload{
		ID: m.ID, Pool: m.Pool, Username: m.Username, Destination: m.Destination, Medium: m.Medium,
		Kind: m.Kind, Code: m.Code, Subject: m.Subject, Message: m.Body, Time: t.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return permanent(fmt.Errorf("webhook: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return permanent(fmt.Errorf("webhook: POST %s: %w", w.display, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hashless-pool")
	resp, err := w.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webhook: POST %s: %w", w.display, err)
	}
	// Draining lets the connection be reused; the limit keeps a chatty receiver from
	// holding the worker.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("webhook: POST %s: %s", w.display, resp.Status)
	switch {
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return err
	default:
		return permanent(err)
	}
}
