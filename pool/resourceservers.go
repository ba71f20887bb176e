package pool

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/hashless/hashless/pool/store"
)

// A resource server names an API and the custom scopes an access token may grant for it,
// written "identifier/scopeName". App clients may allow these scopes beside the standard
// ones (clientoauth.go).

// ResourceServerScope is Cognito's ResourceServerScopeType.
type ResourceServerScope struct {
	ScopeName        string `json:"ScopeName"`
	ScopeDescription string `json:"ScopeDescription"`
}

// ResourceServer is Cognito's ResourceServerType, kept in the pool record as it is answered.
type ResourceServer struct {
	UserPoolId string                `json:"UserPoolId"`
	Identifier string                `json:"Identifier"`
	Name       string                `json:"Name"`
	Scopes     []ResourceServerScope `json:"Scopes"`
}

// ResourceServerInput is what CreateResourceServer and UpdateResourceServer accept.
type ResourceServerInput struct {
	UserPoolId string                `json:"UserPoolId"`
	Identifier string                `json:"Identifier"`
	Name       string                `json:"Name"`
	Scopes     []ResourceServerScope `json:"Scopes"`
}

type ResourceServerOutput struct {
	ResourceServer ResourceServer `json:"ResourceServer"`
}

type ResourceServerIDInput struct {
	UserPoolId string `json:"UserPoolId"`
	Identifier string `json:"Identifier"`
}

type ListResourceServersInput struct {
	UserPoolId string `json:"UserPoolId"`
	MaxResults *int32 `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

type ListResourceServersOutput struct {
	ResourceServers []ResourceServer `json:"ResourceServers"`
	NextToken       string           `json:"NextToken,omitempty"`
}

const (
	maxResourceServersPerPool = 25
	maxScopesPerServer        = 100
)

// standardScopes are the scopes every pool grants without a resource server.
var standardScopes = []string{ScopePhone, ScopeEmail, ScopeOpenID, ScopeProfile, ScopeAdmin}

// customScopes is every scope the pool's resource servers define, as "identifier/scopeName".
func (p poolView) customScopes() []string {
	var out []string
	for _, rs := range p.resourceServers {
		for _, sc := range rs.Scopes {
			out = append(out, rs.Identifier+"/"+sc.ScopeName)
		}
	}
	return out
}

func checkResourceServerID(v *validator, id string) {
	if v.required("identifier", id) && v.length("identifier", id, 1, 256) {
		v.pattern("identifier", id, reResourceServerID)
	}
}

func (in *ResourceServerInput) validate() error {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkResourceServerID(&v, in.Identifier)
	if v.required("name", in.Name) && v.length("name", in.Name, 1, 256) {
		v.pattern("name", in.Name, reResourceServerName)
	}
	if len(in.Scopes) > maxScopesPerServer {
		v.add("Value at 'scopes' failed to satisfy constraint: Member must have length less than or equal to %d", maxScopesPerServer)
	}
	for i, sc := range in.Scopes {
		name := fmt.Sprintf("scopes.%d.member.scopeName", i+1)
		if v.required(name, sc.ScopeName) && v.length(name, sc.ScopeName, 1, 256) {
			v.pattern(name, sc.ScopeName, reScopeName)
		}
		desc := fmt.Sprintf("scopes.%d.member.scopeDescription", i+1)
		if v.required(desc, sc.ScopeDescription) {
			v.length(desc, sc.ScopeDescription, 1, 256)
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, sc := range in.Scopes {
		if seen[sc.ScopeName] {
			return invalidParameter("The scope %s is defined more than once.", sc.ScopeName)
		}
		seen[sc.ScopeName] = true
	}
	return nil
}

func (in *ResourceServerInput) server() ResourceServer {
	scopes := slices.Clone(in.Scopes)
	if scopes == nil {
		scopes = []ResourceServerScope{}
	}
	return ResourceServer{UserPoolId: in.UserPoolId, Identifier: in.Identifier, Name: in.Name, Scopes: scopes}
}

// findResourceServer returns where the server with identifier is in the pool's sorted list,
// or where it would go.
func (p poolView) findResourceServer(identifier string) (int, bool) {
	return slices.BinarySearchFunc(p.resourceServers, identifier, func(rs ResourceServer, id string) int {
		return cmp.Compare(rs.Identifier, id)
	})
}

func resourceServerNotFound(identifier string) *Error {
	return newError(ExResourceNotFound, "Resource server %s does not exist.", identifier)
}

func (s *Service) CreateResourceServer(ctx context.Context, _ Caller, in *ResourceServerInput) (*ResourceServerOutput, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	rs := in.server()
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		i, exists := p.findResourceServer(in.Identifier)
		if exists {
			return invalidParameter("A resource server with the identifier %s already exists in user pool %s.", in.Identifier, p.rec.ID)
		}
		if len(p.resourceServers) >= maxResourceServersPerPool {
			return newError(ExLimitExceeded, "The user pool has reached its limit of %d resource servers.", maxResourceServersPerPool)
		}
		// A new slice: the decoded pool may be shared with other readers (see decodePool).
		p.resourceServers = slices.Insert(slices.Clone(p.resourceServers), i, rs)
		return savePool(ctx, tx, p)
	})
	if err != nil {
		return nil, s.storeError(ctx, "CreateResourceServer", err)
	}
	return &ResourceServerOutput{ResourceServer: rs}, nil
}

func (in *ResourceServerIDInput) validate() error {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkResourceServerID(&v, in.Identifier)
	return v.err()
}

func (s *Service) DescribeResourceServer(ctx context.Context, _ Caller, in *ResourceServerIDInput) (*ResourceServerOutput, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var out ResourceServerOutput
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		i, found := p.findResourceServer(in.Identifier)
		if !found {
			return resourceServerNotFound(in.Identifier)
		}
		out.ResourceServer = p.resourceServers[i]
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "DescribeResourceServer", err)
	}
	return &out, nil
}

// UpdateResourceServer replaces the server's name and scopes; as on AWS, scopes the request
// leaves out are gone. App clients that allowed a removed scope keep it in their settings,
// and it grants nothing.
func (s *Service) UpdateResourceServer(ctx context.Context, _ Caller, in *ResourceServerInput) (*ResourceServerOutput, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	rs := in.server()
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		i, found := p.findResourceServer(in.Identifier)
		if !found {
			return resourceServerNotFound(in.Identifier)
		}
		p.resourceServers = slices.Clone(p.resourceServers)
		p.resourceServers[i] = rs
		return savePool(ctx, tx, p)
	})
	if err != nil {
		return nil, s.storeError(ctx, "UpdateResourceServer", err)
	}
	return &ResourceServerOutput{ResourceServer: rs}, nil
}

func (s *Service) DeleteResourceServer(ctx context.Context, _ Caller, in *ResourceServerIDInput) (*Empty, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		i, found := p.findResourceServer(in.Identifier)
		if !found {
			return resourceServerNotFound(in.Identifier)
		}
		p.resourceServers = slices.Delete(slices.Clone(p.resourceServers), i, i+1)
		return savePool(ctx, tx, p)
	})
	if err != nil {
		return nil, s.storeError(ctx, "DeleteResourceServer", err)
	}
	return &Empty{}, nil
}

func (s *Service) ListResourceServers(ctx context.Context, _ Caller, in *ListResourceServersInput) (*ListResourceServersOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	v.intRange("maxResults", in.MaxResults, 1, 50)
	if err := v.err(); err != nil {
		return nil, err
	}
	// The cursor is the identifier of the page's last server: the list is sorted by it.
	after, err := s.openPageToken("resource-servers", in.UserPoolId, in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(in.MaxResults, 50)
	out := &ListResourceServersOutput{ResourceServers: []ResourceServer{}}
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		rest := p.resourceServers
		if after != "" {
			i, found := p.findResourceServer(after)
			if found {
				i++
			}
			rest = rest[i:]
		}
		if len(rest) > limit {
			rest = rest[:limit]
			out.NextToken = s.sealPageToken("resource-servers", in.UserPoolId, rest[len(rest)-1].Identifier)
		}
		out.ResourceServers = append(out.ResourceServers, rest...)
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "ListResourceServers", err)
	}
	return out, nil
}
