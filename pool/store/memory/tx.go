package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashless/hashless/pool/store"
)

// Reads.

func (t *readTx) GetPool(_ context.Context, poolID string) (store.Pool, error) {
	p, ok := t.d.pools[poolID]
	if !ok {
		return store.Pool{}, store.ErrNotFound
	}
	return clonePool(p), nil
}

func (t *readTx) ListPools(_ context.Context, page store.Page) ([]store.Pool, string, error) {
	var all []store.Pool
	for _, p := range t.d.pools {
		all = append(all, p)
	}
	slices.SortFunc(all, func(a, b store.Pool) int { return cmp.Compare(a.ID, b.ID) })
	out, next := pageOf(all, func(p store.Pool) string { return p.ID }, page)
	return cloneAll(out, clonePool), next, nil
}

func (t *readTx) GetClient(_ context.Context, poolID, clientID string) (store.Client, error) {
	c, ok := t.d.clients[key2{poolID, clientID}]
	if !ok {
		return store.Client{}, store.ErrNotFound
	}
	return cloneClient(c), nil
}

func (t *readTx) FindClient(_ context.Context, clientID string) (store.Client, error) {
	for k, c := range t.d.clients {
		if k.b == clientID {
			return cloneClient(c), nil
		}
	}
	return store.Client{}, store.ErrNotFound
}

func (t *readTx) ListClients(_ context.Context, poolID string, page store.Page) ([]store.Client, string, error) {
	var all []store.Client
	for k, c := range t.d.clients {
		if k.a == poolID {
			all = append(all, c)
		}
	}
	slices.SortFunc(all, func(a, b store.Client) int { return cmp.Compare(a.ClientID, b.ClientID) })
	out, next := pageOf(all, func(c store.Client) string { return c.ClientID }, page)
	return cloneAll(out, cloneClient), next, nil
}

func (t *readTx) GetUser(_ context.Context, poolID, usernameKey string) (store.User, error) {
	u, ok := t.d.users[key2{poolID, usernameKey}]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return cloneUser(u), nil
}

func (t *readTx) GetUserBySub(ctx context.Context, poolID, sub string) (store.User, error) {
	key, ok := t.d.subs[key2{poolID, sub}]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return t.GetUser(ctx, poolID, key)
}

func (t *readTx) GetUserByAlias(ctx context.Context, poolID string, a store.Alias) (store.User, error) {
	key, ok := t.d.aliases[aliasKey{poolID, a.Kind, a.Key}]
	if !ok {
		return store.User{}, store.ErrNotFound
	}
	return t.GetUser(ctx, poolID, key)
}

func (t *readTx) ListUsers(_ context.Context, poolID string, f store.UserFilter, page store.Page) ([]store.User, string, error) {
	if f.Attribute != "" && !slices.Contains(store.FilterAttributes, f.Attribute) {
		return nil, "", fmt.Errorf("memory: cannot filter users on %q", f.Attribute)
	}
	after, err := store.DecodeUserCursor(page.After, f)
	if err != nil {
		return nil, "", err
	}
	type row struct {
		val string
		u   store.User
	}
	var rows []row
	for k, u := range t.d.users {
		if k.a != poolID {
			continue
		}
		var v string
		if f.Attribute != "" {
			v = u.SearchValue(f.Attribute)
			if f.Prefix && !strings.HasPrefix(v, f.Value) || !f.Prefix && v != f.Value {
				continue
			}
		}
		if page.After != "" && compareUser(v, u.UsernameKey, after.Value, after.Key) <= 0 {
			continue
		}
		rows = append(rows, row{v, u})
	}
	slices.SortFunc(rows, func(a, b row) int {
		return compareUser(a.val, a.u.UsernameKey, b.val, b.u.UsernameKey)
	})
	next := ""
	if page.Limit > 0 && len(rows) > page.Limit {
		rows = rows[:page.Limit]
		last := rows[len(rows)-1]
		next = store.EncodeCursor(store.UserCursor{Attr: f.Attribute, Value: last.val, Key: last.u.UsernameKey})
	}
	out := make([]store.User, len(rows))
	for i, r := range rows {
		out[i] = cloneUser(r.u)
	}
	return out, next, nil
}

func (t *readTx) CountUsers(_ context.Context, poolID string) (int64, error) {
	var n int64
	for k := range t.d.users {
		if k.a == poolID {
			n++
		}
	}
	return n, nil
}

func (t *readTx) GetGroup(_ context.Context, poolID, name string) (store.Group, error) {
	g, ok := t.d.groups[key2{poolID, name}]
	if !ok {
		return store.Group{}, store.ErrNotFound
	}
	return cloneGroup(g), nil
}

func (t *readTx) ListGroups(_ context.Context, poolID string, page store.Page) ([]store.Group, string, error) {
	var all []store.Group
	for k, g := range t.d.groups {
		if k.a == poolID {
			all = append(all, g)
		}
	}
	return t.pageGroups(all, page)
}

func (t *readTx) ListGroupsForUser(_ context.Context, poolID, usernameKey string, page store.Page) ([]store.Group, string, error) {
	var all []store.Group
	for m := range t.d.members {
		if m.pool == poolID && m.user == usernameKey {
			all = append(all, t.d.groups[key2{poolID, m.group}])
		}
	}
	return t.pageGroups(all, page)
}

func (t *readTx) pageGroups(all []store.Group, page store.Page) ([]store.Group, string, error) {
	slices.SortFunc(all, func(a, b store.Group) int { return cmp.Compare(a.Name, b.Name) })
	out, next := pageOf(all, func(g store.Group) string { return g.Name }, page)
	return cloneAll(out, cloneGroup), next, nil
}

func (t *readTx) ListUsersInGroup(_ context.Context, poolID, groupName string, page store.Page) ([]store.User, string, error) {
	var all []store.User
	for m := range t.d.members {
		if m.pool == poolID && m.group == groupName {
			all = append(all, t.d.users[key2{poolID, m.user}])
		}
	}
	slices.SortFunc(all, func(a, b store.User) int { return cmp.Compare(a.UsernameKey, b.UsernameKey) })
	out, next := pageOf(all, func(u store.User) string { return u.UsernameKey }, page)
	return cloneAll(out, cloneUser), next, nil
}

func (t *readTx) GetImportJob(_ context.Context, poolID, jobID string) (store.ImportJob, error) {
	j, ok := t.d.jobs[key2{poolID, jobID}]
	if !ok {
		return store.ImportJob{}, store.ErrNotFound
	}
	return cloneJob(j), nil
}

func (t *readTx) ListImportJobs(_ context.Context, poolID string, page store.Page) ([]store.ImportJob, string, error) {
	var after store.JobCursor
	if page.After != "" {
		if err := store.DecodeCursor(page.After, &after); err != nil {
			return nil, "", err
		}
	}
	pos := func(j store.ImportJob) store.JobCursor {
		return store.JobCursor{Created: timeKey(j.CreatedAt), JobID: j.JobID}
	}
	var all []store.ImportJob
	for k, j := range t.d.jobs {
		if k.a == poolID && (page.After == "" || compareJob(pos(j), after) > 0) {
			all = append(all, j)
		}
	}
	slices.SortFunc(all, func(a, b store.ImportJob) int { return compareJob(pos(a), pos(b)) })
	next := ""
	if page.Limit > 0 && len(all) > page.Limit {
		all = all[:page.Limit]
		next = store.EncodeCursor(pos(all[len(all)-1]))
	}
	return cloneAll(all, cloneJob), next, nil
}

func (t *readTx) GetImportCSV(_ context.Context, poolID, jobID string) ([]byte, error) {
	b, ok := t.d.csv[key2{poolID, jobID}]
	if !ok {
		return nil, store.ErrNotFound
	}
	return cloneBytes(b), nil
}

func (t *readTx) ListMessages(_ context.Context, f store.MessageFilter, limit int) ([]store.Message, error) {
	var out []store.Message
	for _, m := range t.d.messages {
		if matchMessage(m, f) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b store.Message) int { return cmp.Compare(a.ID, b.ID) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return cloneAll(out, cloneMessage), nil
}

func matchMessage(m store.Message, f store.MessageFilter) bool {
	switch {
	case m.ID <= f.AfterID,
		f.PoolID != "" && m.PoolID != f.PoolID,
		f.Destination != "" && m.Destination != f.Destination,
		f.Kind != "" && m.Kind != f.Kind,
		f.User != "" && m.Username != f.User && !slices.Contains(m.UserKeys, f.User):
		return false
	}
	return true
}

func (t *readTx) GetEphemeral(_ context.Context, namespace, key string, now time.Time) (store.Ephemeral, error) {
	e, ok := t.d.eph[key2{namespace, key}]
	if !ok || !e.ExpiresAt.After(now) {
		return store.Ephemeral{}, store.ErrNotFound
	}
	return cloneEphemeral(e), nil
}

func cloneAll[T any](s []T, clone func(T) T) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = clone(v)
	}
	return out
}

// Writes.

func (t *tx) CreatePool(_ context.Context, p store.Pool) error {
	if _, ok := t.d.pools[p.ID]; ok {
		return store.ErrAlreadyExists
	}
	put(t, t.d.pools, p.ID, clonePool(p))
	return nil
}

func (t *tx) UpdatePool(_ context.Context, p store.Pool) error {
	old, ok := t.d.pools[p.ID]
	if err := checkVersion(ok, old.Version, p.Version); err != nil {
		return err
	}
	p = clonePool(p)
	p.Version++
	put(t, t.d.pools, p.ID, p)
	return nil
}

func (t *tx) DeletePool(_ context.Context, poolID string) error {
	if _, ok := t.d.pools[poolID]; !ok {
		return store.ErrNotFound
	}
	remove(t, t.d.pools, poolID)
	removeWhere(t, t.d.clients, func(k key2) bool { return k.a == poolID })
	removeWhere(t, t.d.users, func(k key2) bool { return k.a == poolID })
	removeWhere(t, t.d.subs, func(k key2) bool { return k.a == poolID })
	removeWhere(t, t.d.aliases, func(k aliasKey) bool { return k.pool == poolID })
	removeWhere(t, t.d.groups, func(k key2) bool { return k.a == poolID })
	removeWhere(t, t.d.members, func(k memberKey) bool { return k.pool == poolID })
	removeWhere(t, t.d.jobs, func(k key2) bool { return k.a == poolID })
	removeWhere(t, t.d.csv, func(k key2) bool { return k.a == poolID })
	for id, m := range t.d.messages {
		if m.PoolID == poolID {
			remove(t, t.d.messages, id)
		}
	}
	for k, e := range t.d.eph {
		if e.PoolID == poolID {
			remove(t, t.d.eph, k)
		}
	}
	return nil
}

func removeWhere[K comparable, V any](t *tx, m map[K]V, match func(K) bool) {
	for k := range m {
		if match(k) {
			remove(t, m, k)
		}
	}
}

func checkVersion(exists bool, stored, given int64) error {
	switch {
	case !exists:
		return store.ErrNotFound
	case stored != given:
		return store.ErrConflict
	}
	return nil
}

func (t *tx) CreateClient(_ context.Context, c store.Client) error {
	if _, ok := t.d.pools[c.PoolID]; !ok {
		return store.ErrNotFound
	}
	k := key2{c.PoolID, c.ClientID}
	if _, ok := t.d.clients[k]; ok {
		return store.ErrAlreadyExists
	}
	put(t, t.d.clients, k, cloneClient(c))
	return nil
}

func (t *tx) UpdateClient(_ context.Context, c store.Client) error {
	k := key2{c.PoolID, c.ClientID}
	old, ok := t.d.clients[k]
	if err := checkVersion(ok, old.Version, c.Version); err != nil {
		return err
	}
	c = cloneClient(c)
	c.Version++
	put(t, t.d.clients, k, c)
	return nil
}

func (t *tx) DeleteClient(_ context.Context, poolID, clientID string) error {
	k := key2{poolID, clientID}
	if _, ok := t.d.clients[k]; !ok {
		return store.ErrNotFound
	}
	remove(t, t.d.clients, k)
	return nil
}

func (t *tx) CreateUser(_ context.Context, u store.User) error {
	if _, ok := t.d.pools[u.PoolID]; !ok {
		return store.ErrNotFound
	}
	k := key2{u.PoolID, u.UsernameKey}
	if _, ok := t.d.users[k]; ok {
		return store.ErrAlreadyExists
	}
	if _, ok := t.d.subs[key2{u.PoolID, u.Sub}]; ok {
		return store.ErrAlreadyExists
	}
	if err := t.checkAliases(u); err != nil {
		return err
	}
	t.putUser(u)
	return nil
}

func (t *tx) UpdateUser(_ context.Context, u store.User) error {
	k := key2{u.PoolID, u.UsernameKey}
	old, ok := t.d.users[k]
	if err := checkVersion(ok, old.Version, u.Version); err != nil {
		return err
	}
	if owner, ok := t.d.subs[key2{u.PoolID, u.Sub}]; ok && owner != u.UsernameKey {
		return store.ErrAlreadyExists
	}
	if err := t.checkAliases(u); err != nil {
		return err
	}
	t.removeUser(old)
	u.Version++
	t.putUser(u)
	return nil
}

func (t *tx) checkAliases(u store.User) error {
	for _, a := range u.Aliases {
		if owner, ok := t.d.aliases[aliasKey{u.PoolID, a.Kind, a.Key}]; ok && owner != u.UsernameKey {
			return store.ErrAliasExists
		}
	}
	return nil
}

func (t *tx) putUser(u store.User) {
	put(t, t.d.users, key2{u.PoolID, u.UsernameKey}, cloneUser(u))
	put(t, t.d.subs, key2{u.PoolID, u.Sub}, u.UsernameKey)
	for _, a := range u.Aliases {
		put(t, t.d.aliases, aliasKey{u.PoolID, a.Kind, a.Key}, u.UsernameKey)
	}
}

// removeUser drops the user's record and its index entries, not its memberships.
func (t *tx) removeUser(u store.User) {
	remove(t, t.d.users, key2{u.PoolID, u.UsernameKey})
	remove(t, t.d.subs, key2{u.PoolID, u.Sub})
	for _, a := range u.Aliases {
		remove(t, t.d.aliases, aliasKey{u.PoolID, a.Kind, a.Key})
	}
}

func (t *tx) DeleteUser(_ context.Context, poolID, usernameKey string) error {
	u, ok := t.d.users[key2{poolID, usernameKey}]
	if !ok {
		return store.ErrNotFound
	}
	t.removeUser(u)
	removeWhere(t, t.d.members, func(k memberKey) bool { return k.pool == poolID && k.user == usernameKey })
	return nil
}

func (t *tx) CreateGroup(_ context.Context, g store.Group) error {
	if _, ok := t.d.pools[g.PoolID]; !ok {
		return store.ErrNotFound
	}
	k := key2{g.PoolID, g.Name}
	if _, ok := t.d.groups[k]; ok {
		return store.ErrAlreadyExists
	}
	put(t, t.d.groups, k, cloneGroup(g))
	return nil
}

func (t *tx) UpdateGroup(_ context.Context, g store.Group) error {
	k := key2{g.PoolID, g.Name}
	old, ok := t.d.groups[k]
	if err := checkVersion(ok, old.Version, g.Version); err != nil {
		return err
	}
	g = cloneGroup(g)
	g.Version++
	put(t, t.d.groups, k, g)
	return nil
}

func (t *tx) DeleteGroup(_ context.Context, poolID, name string) error {
	k := key2{poolID, name}
	if _, ok := t.d.groups[k]; !ok {
		return store.ErrNotFound
	}
	remove(t, t.d.groups, k)
	removeWhere(t, t.d.members, func(k memberKey) bool { return k.pool == poolID && k.group == name })
	return nil
}

func (t *tx) AddMembership(_ context.Context, poolID, groupName, usernameKey string) error {
	if _, ok := t.d.groups[key2{poolID, groupName}]; !ok {
		return store.ErrNotFound
	}
	if _, ok := t.d.users[key2{poolID, usernameKey}]; !ok {
		return store.ErrNotFound
	}
	put(t, t.d.members, memberKey{poolID, groupName, usernameKey}, struct{}{})
	return nil
}

func (t *tx) RemoveMembership(_ context.Context, poolID, groupName, usernameKey string) error {
	remove(t, t.d.members, memberKey{poolID, groupName, usernameKey})
	return nil
}

func (t *tx) CreateImportJob(_ context.Context, j store.ImportJob) error {
	if _, ok := t.d.pools[j.PoolID]; !ok {
		return store.ErrNotFound
	}
	k := key2{j.PoolID, j.JobID}
	if _, ok := t.d.jobs[k]; ok {
		return store.ErrAlreadyExists
	}
	put(t, t.d.jobs, k, cloneJob(j))
	return nil
}

func (t *tx) UpdateImportJob(_ context.Context, j store.ImportJob) error {
	k := key2{j.PoolID, j.JobID}
	old, ok := t.d.jobs[k]
	if err := checkVersion(ok, old.Version, j.Version); err != nil {
		return err
	}
	j = cloneJob(j)
	j.Version++
	put(t, t.d.jobs, k, j)
	return nil
}

func (t *tx) PutImportCSV(_ context.Context, poolID, jobID string, body []byte) error {
	k := key2{poolID, jobID}
	if _, ok := t.d.jobs[k]; !ok {
		return store.ErrNotFound
	}
	// A non-nil value records that a body was uploaded, even an empty one.
	put(t, t.d.csv, k, append([]byte{}, body...))
	return nil
}

func (t *tx) AppendMessage(_ context.Context, m store.Message) (int64, error) {
	// IDs are not given back on rollback, like a database sequence.
	t.d.lastID++
	m = cloneMessage(m)
	m.ID = t.d.lastID
	put(t, t.d.messages, m.ID, m)
	return m.ID, nil
}

func (t *tx) PutEphemeral(_ context.Context, e store.Ephemeral) error {
	put(t, t.d.eph, key2{e.Namespace, e.Key}, cloneEphemeral(e))
	return nil
}

func (t *tx) TakeEphemeral(ctx context.Context, namespace, key string, now time.Time) (store.Ephemeral, error) {
	e, err := t.GetEphemeral(ctx, namespace, key, now)
	if err != nil {
		return e, err
	}
	remove(t, t.d.eph, key2{namespace, key})
	return e, nil
}

func (t *tx) DeleteEphemeral(_ context.Context, namespace, key string) error {
	k := key2{namespace, key}
	if _, ok := t.d.eph[k]; !ok {
		return store.ErrNotFound
	}
	remove(t, t.d.eph, k)
	return nil
}
