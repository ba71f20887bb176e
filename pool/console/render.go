package console

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashless/hashless/pool"
)

// page is what every template gets.
type page struct {
	Title string
	// Section marks the navigation entry of the page: "pools" or "outbox".
	Section string
	// Pool is the pool the page is about, for the breadcrumb.
	Pool     string
	PoolName string
	Notice   string
	Error    string
	Status   int
	Data     any
	// Set by render.
	CSRF     string
	SignedIn bool
	Open     bool
	Key      string
}

var funcs = template.FuncMap{
	"prefix": func() string { return Prefix },
	"poolURL": func(poolID string) string {
		return Prefix + "pools/" + url.PathEscape(poolID)
	},
	"usersURL": func(poolID string) string {
		return Prefix + "pools/" + url.PathEscape(poolID) + "/users"
	},
	"userURL": func(poolID, username string) string {
		return Prefix + "pools/" + url.PathEscape(poolID) + "/user?username=" + queryEscape(username)
	},
	"clientURL": func(poolID, clientID string) string {
		return Prefix + "pools/" + url.PathEscape(poolID) + "/clients/" + url.PathEscape(clientID)
	},
	"keysURL": func(poolID string) string {
		return Prefix + "pools/" + url.PathEscape(poolID) + "/keys"
	},
	"confirmURL": func(poolID, username, action string) string {
		return Prefix + "pools/" + url.PathEscape(poolID) + "/user/confirm?action=" + action + "&username=" + queryEscape(username)
	},
	"actionURL": func(poolID, action string) string {
		return Prefix + "pools/" + url.PathEscape(poolID) + "/user/" + action
	},
	"messagesURL": messagesURL,
	"when":        when,
	"yesNo":       yesNo,
	"join":        strings.Join,
	"attrOf":      attrOf,
}

func queryEscape(s string) string { return url.QueryEscape(s) }

func messagesURL(poolID string) string {
	if poolID == "" {
		return Prefix + "messages"
	}
	return Prefix + "messages?pool=" + queryEscape(poolID)
}

// when shows a time as a person reads it, in UTC.
func when(t any) string {
	switch v := t.(type) {
	case *pool.Timestamp:
		if v == nil {
			return "—"
		}
		return v.UTC().Format("2006-01-02 15:04:05 UTC")
	case time.Time:
		if v.IsZero() {
			return "—"
		}
		return v.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return fmt.Sprint(t)
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func attrOf(attrs []pool.AttributeType, name string) string {
	for _, a := range attrs {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

// render writes a page. The CSRF cookie is set on first sight, so every form a page carries
// can be submitted.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, name string, p page) {
	v := visitOf(r)
	p.CSRF = h.csrfToken(w, r)
	p.Open = v.access == accessOpen
	p.SignedIn = v.key != ""
	p.Key = v.key
	status := p.Status
	if status == 0 {
		status = http.StatusOK
	}
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, p); err != nil {
		h.log.ErrorContext(r.Context(), "rendering a console page", "page", name, "err", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	h.render(w, r, "error", page{Title: http.StatusText(status), Error: message, Status: status})
}

// failure turns a Service error into a status and a message fit to show: the pool's own
// words for the exceptions it words for callers, a generic line (and a log entry) for the
// rest.
func (h *Handler) failure(r *http.Request, err error) (int, string) {
	var pe *pool.Error
	if errors.As(err, &pe) {
		switch pe.Type {
		case pool.ExResourceNotFound, pool.ExUserNotFound:
			return http.StatusNotFound, pe.Message
		case pool.ExInternalError:
		default:
			return http.StatusBadRequest, pe.Message
		}
	}
	h.log.ErrorContext(r.Context(), "console call failed", "path", r.URL.Path, "err", err)
	return http.StatusServiceUnavailable, "The pool could not answer. Try again in a moment."
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := h.failure(r, err)
	h.errorPage(w, r, status, msg)
}
