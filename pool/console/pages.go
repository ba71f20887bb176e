package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hashless/hashless/pool"
)

// Page sizes.
const (
	poolsPerPage   = 60
	clientsPerPage = 60
	usersPerPage   = 50
	// messagesShown is how many of the newest outbox messages the outbox page lists.
	messagesShown = 200
	// messagesReads bounds the outbox reads behind one page (messages expire with their
	// codes, so the outbox stays short).
	messagesReads = 100
)

// messagesRead is the outbox read in one call (a variable for tests).
var messagesRead = 10000

func ptr[T any](v T) *T { return &v }

type poolsView struct {
	Pools []pool.UserPoolSummary
	Next  string
}

func (h *Handler) poolsPage(w http.ResponseWriter, r *http.Request) {
	out, err := h.svc.ListUserPools(r.Context(), h.caller, &pool.ListUserPoolsInput{
		MaxResults: ptr(int32(poolsPerPage)), NextToken: r.URL.Query().Get("page")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := poolsView{Pools: out.UserPools}
	if out.NextToken != "" {
		v.Next = Prefix + "?page=" + queryEscape(out.NextToken)
	}
	h.render(w, r, "pools", page{Title: "User pools", Section: "pools", Data: v})
}

type poolView struct {
	Pool     pool.UserPoolDescription
	Password []setting
	SignIn   []setting
	MFA      []setting
	Clients  []pool.UserPoolClientDescription
	Next     string
}

func (h *Handler) poolPage(w http.ResponseWriter, r *http.Request) {
	poolID := r.PathValue("pool")
	d, err := h.svc.DescribeUserPool(r.Context(), h.caller, &pool.UserPoolIDInput{UserPoolId: poolID})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	clients, err := h.svc.ListUserPoolClients(r.Context(), h.caller, &pool.ListUserPoolClientsInput{
		UserPoolId: poolID, MaxResults: ptr(int32(clientsPerPage)), NextToken: r.URL.Query().Get("clients")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := d.UserPool
	v := poolView{Pool: p, SignIn: signIn(p), MFA: mfa(p), Clients: clients.UserPoolClients}
	var pp *pool.PasswordPolicy
	if p.Policies != nil {
		pp = p.Policies.PasswordPolicy
	}
	v.Password = passwordPolicy(pp)
	if clients.NextToken != "" {
		v.Next = Prefix + "pools/" + url.PathEscape(poolID) + "?clients=" + queryEscape(clients.NextToken)
	}
	h.render(w, r, "pool", page{Title: "Pool " + p.Name, Section: "pools", Pool: poolID, PoolName: p.Name, Data: v})
}

type clientView struct {
	Client   pool.UserPoolClient
	Flows    []string
	Validity []setting
	Settings []setting
}

func (h *Handler) clientPage(w http.ResponseWriter, r *http.Request) {
	poolID := r.PathValue("pool")
	out, err := h.svc.DescribeUserPoolClient(r.Context(), h.caller, &pool.ClientIDInput{UserPoolId: poolID, ClientId: r.PathValue("client")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c := out.UserPoolClient
	v := clientView{Flows: authFlows(c.ExplicitAuthFlows), Validity: tokenValidity(c), Settings: clientSettings(c)}
	// The secret is only ever said to exist.
	c.ClientSecret = ""
	v.Client = c
	h.render(w, r, "client", page{Title: "App client " + c.ClientName, Section: "pools", Pool: poolID, Data: v})
}

// searchAttrs are the attributes the users page searches by prefix, with their labels.
var searchAttrs = []setting{{"username", "Username"}, {"email", "E-mail"}, {"phone_number", "Phone number"}}

type usersView struct {
	By      string
	Query   string
	Options []setting
	Users   []pool.UserType
	Next    string
	First   string
	Paged   bool
}

// filterValue quotes a value for a ListUsers Filter.
func filterValue(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request) {
	poolID := r.PathValue("pool")
	q := r.URL.Query()
	by := q.Get("by")
	if !slices.ContainsFunc(searchAttrs, func(s setting) bool { return s.Name == by }) {
		by = "username"
	}
	term := strings.TrimSpace(q.Get("q"))
	if by == "phone_number" && term != "" && !strings.HasPrefix(term, "+") {
		// Phone numbers are stored in E.164, so every one starts with a plus.
		term = "+" + term
	}
	in := &pool.ListUsersInput{UserPoolId: poolID, Limit: ptr(int32(usersPerPage)), PaginationToken: q.Get("page")}
	if term != "" {
		in.Filter = by + " ^= " + filterValue(term)
	}
	v := usersView{By: by, Query: term, Options: searchAttrs, Paged: in.PaginationToken != ""}
	base := url.Values{}
	if term != "" {
		base.Set("by", by)
		base.Set("q", term)
	}
	v.First = Prefix + "pools/" + url.PathEscape(poolID) + "/users"
	if len(base) > 0 {
		v.First += "?" + base.Encode()
	}
	p := page{Title: "Users", Section: "pools", Pool: poolID, Data: &v}
	switch q.Get("done") {
	case "delete":
		p.Notice = "The user was deleted."
	}
	out, err := h.svc.ListUsers(r.Context(), h.caller, in)
	if err != nil {
		p.Status, p.Error = h.failure(r, err)
		if p.Status == http.StatusNotFound {
			h.errorPage(w, r, p.Status, p.Error)
			return
		}
		h.render(w, r, "users", p)
		return
	}
	v.Users = out.Users
	if out.PaginationToken != "" {
		next := url.Values{}
		for k, vs := range base {
			next[k] = vs
		}
		next.Set("page", out.PaginationToken)
		v.Next = Prefix + "pools/" + url.PathEscape(poolID) + "/users?" + next.Encode()
	}
	if term != "" {
		p.Title = "Users whose " + strings.ToLower(labelOf(by)) + " starts with " + strconv.Quote(term)
	}
	h.render(w, r, "users", p)
}

func labelOf(attr string) string {
	for _, s := range searchAttrs {
		if s.Name == attr {
			return s.Value
		}
	}
	return attr
}

type deviceRow struct {
	Key, Name, Status, LastAuthenticated, Created string
}

type userView struct {
	User    *pool.AdminGetUserOutput
	Groups  []pool.GroupType
	Devices []deviceRow
	Actions []action
}

// action is one thing an operator can do to a user, behind a confirmation page.
type action struct {
	Name    string // path segment
	Label   string // the button
	Explain string // what happens, on the confirmation page
	Done    string // the notice afterwards
	Danger  bool
}

var actions = []action{
	{Name: "disable", Label: "Disable user", Done: "The user was disabled.",
		Explain: "The user will not be able to sign in, and every token issued to them stops working. You can enable them again later."},
	{Name: "enable", Label: "Enable user", Done: "The user was enabled.",
		Explain: "The user will be able to sign in again."},
	{Name: "reset-password", Label: "Reset password", Done: "The password was reset; the user was sent a code to choose a new one.",
		Explain: "The user's password stops working. They are sent a code (see the outbox) and must choose a new password before they can sign in."},
	{Name: "sign-out", Label: "Sign out everywhere", Done: "The user was signed out everywhere.",
		Explain: "Every refresh and access token issued to the user stops working, on every device. They can sign in again."},
	{Name: "delete", Label: "Delete user", Danger: true, Done: "The user was deleted.",
		Explain: "The user, their attributes, group memberships and devices are deleted. This cannot be undone."},
}

func actionNamed(name string) (action, bool) {
	for _, a := range actions {
		if a.Name == name {
			return a, true
		}
	}
	return action{}, false
}

func (h *Handler) userPage(w http.ResponseWriter, r *http.Request) {
	poolID := r.PathValue("pool")
	username := r.URL.Query().Get("username")
	u, err := h.svc.AdminGetUser(r.Context(), h.caller, &pool.AdminUserInput{UserPoolId: poolID, Username: username})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	groups, err := h.svc.AdminListGroupsForUser(r.Context(), h.caller, &pool.AdminListGroupsForUserInput{UserPoolId: poolID, Username: u.Username, Limit: ptr(int32(60))})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	devices, err := h.svc.AdminListDevices(r.Context(), h.caller, &pool.AdminListDevicesInput{UserPoolId: poolID, Username: u.Username, Limit: ptr(int32(60))})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := userView{User: u, Groups: groups.Groups}
	for _, d := range devices.Devices {
		v.Devices = append(v.Devices, deviceRow{Key: d.DeviceKey, Name: attrOf(d.DeviceAttributes, "device_name"),
			Status: attrOf(d.DeviceAttributes, "device_status"), LastAuthenticated: when(d.DeviceLastAuthenticatedDate),
			Created: when(d.DeviceCreateDate)})
	}
	for _, a := range actions {
		if (a.Name == "enable" && u.Enabled) || (a.Name == "disable" && !u.Enabled) {
			continue
		}
		v.Actions = append(v.Actions, a)
	}
	p := page{Title: "User " + u.Username, Section: "pools", Pool: poolID, Data: v}
	if a, ok := actionNamed(r.URL.Query().Get("done")); ok {
		p.Notice = a.Done
	}
	h.render(w, r, "user", p)
}

type confirmView struct {
	Username string
	Action   action
}

func (h *Handler) confirmPage(w http.ResponseWriter, r *http.Request) {
	poolID := r.PathValue("pool")
	a, ok := actionNamed(r.URL.Query().Get("action"))
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "There is no such action.")
		return
	}
	u, err := h.svc.AdminGetUser(r.Context(), h.caller, &pool.AdminUserInput{UserPoolId: poolID, Username: r.URL.Query().Get("username")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, "confirm", page{Title: a.Label + " " + u.Username + "?", Section: "pools", Pool: poolID,
		Data: confirmView{Username: u.Username, Action: a}})
}

func (h *Handler) actionSubmit(w http.ResponseWriter, r *http.Request) {
	poolID := r.PathValue("pool")
	a, ok := actionNamed(r.PathValue("action"))
	if !ok {
		h.errorPage(w, r, http.StatusNotFound, "There is no such action.")
		return
	}
	username := r.PostFormValue("username")
	in := &pool.AdminUserInput{UserPoolId: poolID, Username: username}
	ctx := r.Context()
	var err error
	switch a.Name {
	case "disable":
		_, err = h.svc.AdminDisableUser(ctx, h.caller, in)
	case "enable":
		_, err = h.svc.AdminEnableUser(ctx, h.caller, in)
	case "reset-password":
		_, err = h.svc.AdminResetUserPassword(ctx, h.caller, &pool.AdminResetUserPasswordInput{UserPoolId: poolID, Username: username})
	case "sign-out":
		_, err = h.svc.AdminUserGlobalSignOut(ctx, h.caller, in)
	case "delete":
		_, err = h.svc.AdminDeleteUser(ctx, h.caller, in)
	}
	if err != nil {
		status, msg := h.failure(r, err)
		h.render(w, r, "confirm", page{Title: a.Label + " " + username + "?", Section: "pools", Pool: poolID, Status: status,
			Error: msg, Data: confirmView{Username: username, Action: a}})
		return
	}
	h.log.InfoContext(ctx, "console action", "action", a.Name, "pool", poolID, "access_key", visitOf(r).key)
	if a.Name == "delete" {
		http.Redirect(w, r, Prefix+"pools/"+url.PathEscape(poolID)+"/users?done=delete", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, Prefix+"pools/"+url.PathEscape(poolID)+"/user?username="+queryEscape(username)+"&done="+a.Name, http.StatusSeeOther)
}

// feedMessage is an outbox message as the console shows it: the code, but never an
// invitation's temporary password.
type feedMessage struct {
	ID          int64  `json:"id"`
	Time        string `json:"time"`
	Pool        string `json:"pool"`
	Username    string `json:"username"`
	Kind        string `json:"kind"`
	Medium      string `json:"medium"`
	Destination string `json:"destination"`
	Code        string `json:"code"`
}

// hiddenCode stands in for a temporary password.
const hiddenCode = "(temporary password, not shown)"

func feedOf(m pool.OutboxMessage) feedMessage {
	f := feedMessage{ID: m.ID, Time: m.Time, Pool: m.Pool, Username: m.Username, Kind: m.Kind, Medium: m.Medium,
		Destination: m.Destination, Code: m.Code}
	if m.Kind == "INVITATION" {
		f.Code = hiddenCode
	}
	return f
}

type messagesView struct {
	Pool     string
	Messages []feedMessage
	After    int64
	Feed     string
	Refresh  string
	Total    int
	Shown    int
}

func (h *Handler) messagesPage(w http.ResponseWriter, r *http.Request) {
	poolID := r.URL.Query().Get("pool")
	v := messagesView{Pool: poolID, Feed: Prefix + "messages.json", Refresh: messagesURL(poolID)}
	// The outbox lists oldest first; read it through to its end, keeping the newest.
	f := pool.OutboxFilter{PoolID: poolID}
	var newest []pool.OutboxMessage
	for range messagesReads {
		msgs, err := h.svc.Messages(r.Context(), f, messagesRead)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Total += len(msgs)
		newest = append(newest, msgs...)
		if len(newest) > messagesShown {
			newest = append(newest[:0:0], newest[len(newest)-messagesShown:]...)
		}
		if len(msgs) < messagesRead {
			break
		}
		f.AfterID = msgs[len(msgs)-1].ID
	}
	if len(newest) > 0 {
		v.After = newest[len(newest)-1].ID
	}
	for i := len(newest) - 1; i >= 0; i-- {
		v.Messages = append(v.Messages, feedOf(newest[i]))
	}
	v.Shown = len(v.Messages)
	title := "Messages outbox"
	if poolID != "" {
		title = "Messages outbox of " + poolID
	}
	h.render(w, r, "messages", page{Title: title, Section: "outbox", Pool: poolID, Data: v})
}

// messagesFeed answers the outbox page's script: messages after an ID, oldest first.
func (h *Handler) messagesFeed(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := pool.OutboxFilter{PoolID: q.Get("pool")}
	if after := q.Get("after"); after != "" {
		n, err := strconv.ParseInt(after, 10, 64)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "after must be a message id"})
			return
		}
		f.AfterID = n
	}
	msgs, err := h.svc.Messages(r.Context(), f, messagesShown)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "the outbox is unavailable"})
		return
	}
	out := make([]feedMessage, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, feedOf(m))
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
