package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashless/hashless/storeauth"
	"github.com/hashless/hashless/storeauth/store"
)

// span is a choice of the overview's time range.
type span struct {
	key, label string
	step       time.Duration
	buckets    int
}

var spans = []span{
	{"24h", "Last 24 hours", time.Hour, 24},
	{"7d", "Last 7 days", 6 * time.Hour, 28},
	{"30d", "Last 30 days", 24 * time.Hour, 30},
}

func spanOf(key string) (span, bool) {
	if key == "" {
		return spans[0], true
	}
	for _, s := range spans {
		if s.key == key {
			return s, true
		}
	}
	return span{}, false
}

type spanLink struct {
	Label, Href string
	Current     bool
}

type overviewView struct {
	Status      storeauth.MigrationStatus
	Accounts    int64
	Percent     string
	Span        string
	Spans       []spanLink
	NoHistory   bool
	Migration   chart
	MigRows     []migRow
	Logins      chart
	Outcomes    []outcomeInfo
	LoginRows   []loginRow
	LoginTotals []int64
	LoginTotal  int64
}

type migRow struct {
	At               string
	Migrated, Legacy int64
}

type loginRow struct {
	Start  string
	Counts []int64
	Total  int64
}

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sp, ok := spanOf(r.URL.Query().Get("range"))
	if !ok {
		d.fail(w, r, http.StatusBadRequest, "The range must be 24h, 7d or 30d.")
		return
	}
	now := d.now()
	hr := storeauth.HistoryEnding(now, sp.step, sp.buckets)
	ov := &overviewView{Span: sp.label}
	for _, s := range spans {
		ov.Spans = append(ov.Spans, spanLink{Label: s.label, Href: Prefix + "?range=" + s.key, Current: s.key == sp.key})
	}
	status, points, err := d.svc.MigrationHistory(ctx, hr)
	if errors.Is(err, storeauth.ErrNoReports) {
		ov.NoHistory = true
		status, err = d.svc.MigrationStatus(ctx)
	}
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	ov.Status = status
	ov.Accounts = status.Legacy + status.Migrated
	if ov.Accounts > 0 {
		ov.Percent = strconv.FormatFloat(100*float64(status.Migrated)/float64(ov.Accounts), 'f', 1, 64) + "%"
	}
	if !ov.NoHistory {
		buckets, err := d.svc.LoginHistory(ctx, hr)
		if err != nil {
			d.failErr(w, r, err)
			return
		}
		label := pointLabel(sp.step)
		ov.Migration = migrationChart(points, now, label, sp.label)
		for _, p := range points {
			ov.MigRows = append(ov.MigRows, migRow{At: atLabel(p.At, now, label), Migrated: p.Migrated, Legacy: p.Legacy})
		}
		ov.Outcomes = outcomes()
		ov.Logins = loginChart(buckets, ov.Outcomes, label, sp.label, sp.step)
		ov.LoginTotals = make([]int64, len(ov.Outcomes))
		for _, b := range buckets {
			row := loginRow{Start: periodLabel(b.Start, sp.step), Total: b.Total}
			for i, o := range ov.Outcomes {
				row.Counts = append(row.Counts, b.Counts[o.Name])
				ov.LoginTotals[i] += b.Counts[o.Name]
			}
			ov.LoginTotal += b.Total
			ov.LoginRows = append(ov.LoginRows, row)
		}
	}
	d.render(w, r, "overview", view{Title: "Migration", Section: "overview", Overview: ov})
}

// --- customers blocked by the policy

const blockedPage = 50

type blockedView struct {
	Count     int64
	Customers []customerRow
	Next      string
	First     bool
}

type customerRow struct {
	ID, Href, Email, Name, Since string
}

func (d *Dashboard) blocked(w http.ResponseWriter, r *http.Request) {
	after := r.URL.Query().Get("after")
	if len(after) > 64 {
		d.fail(w, r, http.StatusBadRequest, "The page parameter is too long.")
		return
	}
	status, err := d.svc.MigrationStatus(r.Context())
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	cs, err := d.svc.BlockedByPolicy(r.Context(), after, blockedPage)
	if errors.Is(err, storeauth.ErrNoReports) {
		d.fail(w, r, http.StatusNotFound, "This store cannot list the customers the policy blocks.")
		return
	}
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	v := &blockedView{Count: status.BlockedByPolicy, First: after == ""}
	for _, c := range cs {
		v.Customers = append(v.Customers, customerRow{ID: c.ID, Href: customerHref(c.ID), Email: c.Email,
			Name: strings.TrimSpace(c.FirstName + " " + c.LastName), Since: timeLabel(c.UpdatedAt)})
	}
	if len(cs) == blockedPage {
		v.Next = Prefix + "blocked?" + url.Values{"after": {cs[len(cs)-1].ID}}.Encode()
	}
	d.render(w, r, "blocked", view{Title: "Blocked by the password policy", Section: "blocked", Blocked: v})
}

func customerHref(id string) string { return Prefix + "customers/" + url.PathEscape(id) }

// --- finding a customer

type searchView struct {
	Query    string
	NotFound bool
}

func (d *Dashboard) search(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v := &searchView{Query: q}
	if q != "" {
		if len(q) > 254 {
			d.fail(w, r, http.StatusBadRequest, "That is longer than any e-mail address.")
			return
		}
		var found store.Customer
		var err error
		if strings.Contains(q, "@") {
			var cs []store.Customer
			cs, err = d.svc.FindCustomers(r.Context(), q, "", 1)
			if len(cs) > 0 {
				found = cs[0]
			}
		} else {
			found, err = d.svc.Customer(r.Context(), q)
		}
		var e *storeauth.Error
		switch {
		case err == nil && found.ID != "":
			http.Redirect(w, r, customerHref(found.ID), http.StatusSeeOther)
			return
		case err == nil, errors.As(err, &e) && e.Type == storeauth.TypeNotFound:
			v.NotFound = true
		default:
			d.failErr(w, r, err)
			return
		}
	}
	d.render(w, r, "search", view{Title: "Find a customer", Section: "customers", Search: v})
}

// --- a customer

type customerView struct {
	ID, Href, Email, Name, Phone, Created string
	Password                              string
	Disabled                              bool
	Sessions                              []sessionRow
}

type sessionRow struct {
	ID, Created, LastSeen, Expires, Kind, IP, Device string
}

// viewCustomer builds what a page shows of c, field by field: never the hash.
func viewCustomer(c store.Customer) *customerView {
	v := &customerView{ID: c.ID, Href: customerHref(c.ID), Email: c.Email, Phone: c.Phone,
		Name: strings.TrimSpace(c.FirstName + " " + c.LastName), Created: timeLabel(c.CreatedAt), Disabled: c.Disabled}
	switch {
	case !c.HasAccount:
		v.Password = "None: a guest without an account."
	case c.PasswordHash != "" && c.PasswordChangeRequired:
		v.Password = "Legacy hash; the pool's policy refused the password, so it moves at the next password change."
	case c.PasswordHash != "":
		v.Password = "Legacy hash; it moves to the pool at the next sign-in."
	case !c.MigratedAt.IsZero():
		v.Password = "In the pool since " + timeLabel(c.MigratedAt) + " (migrated)."
	default:
		v.Password = "In the pool."
	}
	return v
}

func (d *Dashboard) loadCustomer(w http.ResponseWriter, r *http.Request) (*customerView, bool) {
	c, err := d.svc.Customer(r.Context(), r.PathValue("id"))
	if err != nil {
		d.failErr(w, r, err)
		return nil, false
	}
	v := viewCustomer(c)
	ss, err := d.svc.Sessions(r.Context(), c.ID)
	if err != nil {
		d.failErr(w, r, err)
		return nil, false
	}
	for _, s := range ss {
		v.Sessions = append(v.Sessions, sessionRow{ID: s.ID, Created: timeLabel(s.CreatedAt), LastSeen: timeLabel(s.LastSeenAt),
			Expires: timeLabel(s.ExpiresAt), Kind: s.Kind, IP: s.IP, Device: s.UserAgent})
	}
	return v, true
}

// notices are what a finished action says, by the done parameter of the redirect.
var notices = map[string]string{
	"end-sessions": "Every session ended: the customer must sign in again on every device.",
	"disable":      "The customer is disabled: they cannot sign in, and every session ended.",
	"enable":       "The customer is enabled: they can sign in again.",
}

func (d *Dashboard) customer(w http.ResponseWriter, r *http.Request) {
	v, ok := d.loadCustomer(w, r)
	if !ok {
		return
	}
	notice := notices[r.URL.Query().Get("done")]
	if n := r.URL.Query().Get("ended"); notice != "" && n != "" {
		if k, err := strconv.Atoi(n); err == nil && k >= 0 {
			notice += " Sessions ended: " + strconv.Itoa(k) + "."
		}
	}
	d.render(w, r, "customer", view{Title: "Customer " + v.Email, Section: "customers", Customer: v, Notice: notice})
}

// --- actions, each confirmed first

type action struct {
	key, title, question, button string
	danger                       bool
}

var actions = map[string]action{
	"end-sessions": {"end-sessions", "End all sessions", "End every session of this customer? They stay able to sign in, but must do so again on every device.", "End all sessions", true},
	"disable":      {"disable", "Disable the customer", "Disable this customer? They cannot sign in until enabled again, and every session ends now.", "Disable", true},
	"enable":       {"enable", "Enable the customer", "Enable this customer? They can sign in again with their password.", "Enable", false},
}

type confirmView struct {
	Customer *customerView
	Action   string
	Question string
	Button   string
	Danger   bool
	Post     string
}

func (d *Dashboard) confirm(w http.ResponseWriter, r *http.Request) {
	a, ok := actions[r.URL.Query().Get("action")]
	if !ok {
		d.fail(w, r, http.StatusBadRequest, "There is no such action.")
		return
	}
	v, ok := d.loadCustomer(w, r)
	if !ok {
		return
	}
	d.render(w, r, "confirm", view{Title: a.title, Section: "customers", Confirm: &confirmView{Customer: v, Action: a.key,
		Question: a.question, Button: a.button, Danger: a.danger, Post: v.Href + "/" + a.key}})
}

// act runs a confirmed action through the service's own admin functions, then sends the
// browser back to the customer (post, redirect, get: a reload does not repeat it).
func (d *Dashboard) act(w http.ResponseWriter, r *http.Request) {
	a, ok := actions[r.PathValue("action")]
	if !ok {
		d.fail(w, r, http.StatusNotFound, "There is no such action.")
		return
	}
	ctx := r.Context()
	c, err := d.svc.Customer(ctx, r.PathValue("id"))
	if err != nil {
		d.failErr(w, r, err)
		return
	}
	q := url.Values{"done": {a.key}}
	switch a.key {
	case "end-sessions":
		n, err := d.svc.EndSessions(ctx, c.ID, "")
		if err != nil {
			d.failErr(w, r, err)
			return
		}
		q.Set("ended", strconv.Itoa(n))
	case "disable", "enable":
		if _, err := d.svc.SetDisabled(ctx, c.ID, a.key == "disable"); err != nil {
			d.failErr(w, r, err)
			return
		}
	}
	d.log.Info("console action", "action", a.key, "customer", c.ID, "client", clientOf(r))
	http.Redirect(w, r, customerHref(c.ID)+"?"+q.Encode(), http.StatusSeeOther)
}
