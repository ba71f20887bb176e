package pool

import (
	"context"
	"errors"
	"strings"

	"github.com/hashless/hashless/pool/filter"
	"github.com/hashless/hashless/pool/store"
)

type ListUsersInput struct {
	UserPoolId      string   `json:"UserPoolId"`
	AttributesToGet []string `json:"AttributesToGet"`
	Limit           *int32   `json:"Limit"`
	PaginationToken string   `json:"PaginationToken"`
	Filter          string   `json:"Filter"`
}

type ListUsersOutput struct {
	Users           []UserType `json:"Users"`
	PaginationToken string     `json:"PaginationToken,omitempty"`
}

func pageLimit(limit *int32, def int) int {
	if limit == nil || *limit == 0 {
		return def
	}
	return int(*limit)
}

func (s *Service) ListUsers(ctx context.Context, _ Caller, in *ListUsersInput) (*ListUsersOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	v.intRange("limit", in.Limit, 0, 60)
	if err := v.err(); err != nil {
		return nil, err
	}
	f, err := filter.Parse(in.Filter)
	if err != nil {
		var fe *filter.Error
		if errors.As(err, &fe) {
			return nil, invalidParameter("%s", fe.Message)
		}
		return nil, invalidParameter("Error while parsing filter.")
	}
	scope := in.UserPoolId + "\x00" + in.Filter
	after, err := s.openPageToken("users", scope, in.PaginationToken)
	if err != nil {
		return nil, err
	}
	out := &ListUsersOutput{Users: []UserType{}}
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		var only []string
		if in.AttributesToGet != nil {
			only = []string{}
			for _, name := range in.AttributesToGet {
				if _, ok := findSchema(p.SchemaAttributes, name); !ok {
					return invalidParameter("One or more requested attributes do not exist.")
				}
				only = append(only, name)
			}
		}
		sf := store.UserFilter{Attribute: f.Attribute, Value: f.Value, Prefix: f.Prefix}
		if sf.Attribute == store.FilterUsername && !p.caseSensitive() {
			sf.Value = strings.ToLower(sf.Value)
		}
		users, next, err := tx.ListUsers(ctx, p.rec.ID, sf, store.Page{After: after, Limit: pageLimit(in.Limit, 60)})
		if errors.Is(err, store.ErrBadCursor) {
			return invalidParameter("Invalid pagination token.")
		}
		if err != nil {
			return err
		}
		for _, u := range users {
			out.Users = append(out.Users, userType(u, only))
		}
		out.PaginationToken = s.sealPageToken("users", scope, next)
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "ListUsers", err)
	}
	return out, nil
}
