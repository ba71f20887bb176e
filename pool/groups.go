package pool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hashless/hashless/pool/store"
)

// groupData is a group record's engine-owned part.
type groupData struct {
	Description string `json:"Description,omitempty"`
	RoleArn     string `json:"RoleArn,omitempty"`
	Precedence  *int32 `json:"Precedence,omitempty"`
}

// GroupType is Cognito's GroupType.
type GroupType struct {
	GroupName        string     `json:"GroupName"`
	UserPoolId       string     `json:"UserPoolId"`
	Description      string     `json:"Description,omitempty"`
	RoleArn          string     `json:"RoleArn,omitempty"`
	Precedence       *int32     `json:"Precedence,omitempty"`
	LastModifiedDate *Timestamp `json:"LastModifiedDate,omitempty"`
	CreationDate     *Timestamp `json:"CreationDate,omitempty"`
}

func groupType(g store.Group) (GroupType, error) {
	var d groupData
	if err := json.Unmarshal(g.Data, &d); err != nil {
		return GroupType{}, fmt.Errorf("group %s: %w", g.Name, err)
	}
	return GroupType{GroupName: g.Name, UserPoolId: g.PoolID, Description: d.Description, RoleArn: d.RoleArn,
		Precedence: d.Precedence, LastModifiedDate: ts(g.UpdatedAt), CreationDate: ts(g.CreatedAt)}, nil
}

func groupTypes(gs []store.Group) ([]GroupType, error) {
	out := []GroupType{}
	for _, g := range gs {
		t, err := groupType(g)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func checkGroupName(v *validator, name string) {
	if v.required("groupName", name) && v.length("groupName", name, 1, 128) {
		v.pattern("groupName", name, reGroupName)
	}
}

func checkGroupFields(v *validator, description, roleArn *string, precedence *int32) {
	if description != nil {
		v.length("description", *description, 0, 2048)
	}
	if roleArn != nil && *roleArn != "" && v.length("roleArn", *roleArn, 20, 2048) {
		v.pattern("roleArn", *roleArn, reRoleArn)
	}
	v.intRange("precedence", precedence, 0, 2147483647)
}

type GroupInput struct {
	GroupName   string  `json:"GroupName"`
	UserPoolId  string  `json:"UserPoolId"`
	Description *string `json:"Description"`
	RoleArn     *string `json:"RoleArn"`
	Precedence  *int32  `json:"Precedence"`
}

type GroupOutput struct {
	Group GroupType `json:"Group"`
}

func (s *Service) loadGroup(ctx context.Context, tx store.ReadTx, poolID, name string) (store.Group, error) {
	if _, err := s.loadPool(ctx, tx, poolID); err != nil {
		return store.Group{}, err
	}
	g, err := tx.GetGroup(ctx, poolID, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Group{}, groupNotFound()
	}
	return g, err
}

const maxGroupsPerPool = 10000

func (s *Service) CreateGroup(ctx context.Context, _ Caller, in *GroupInput) (*GroupOutput, error) {
	var v validator
	checkGroupName(&v, in.GroupName)
	checkPoolID(&v, in.UserPoolId)
	checkGroupFields(&v, in.Description, in.RoleArn, in.Precedence)
	if err := v.err(); err != nil {
		return nil, err
	}
	d := groupData{Precedence: in.Precedence}
	if in.Description != nil {
		d.Description = *in.Description
	}
	if in.RoleArn != nil {
		d.RoleArn = *in.RoleArn
	}
	data, err := json.Marshal(d)
	if err != nil {
		return nil, s.storeError(ctx, "CreateGroup", err)
	}
	now := s.now()
	g := store.Group{PoolID: in.UserPoolId, Name: in.GroupName, CreatedAt: now, UpdatedAt: now, Data: data}
	err = s.update(ctx, func(tx store.Tx) error {
		if _, err := s.loadPool(ctx, tx, in.UserPoolId); err != nil {
			return err
		}
		if _, err := tx.GetGroup(ctx, in.UserPoolId, in.GroupName); err == nil {
			return newError(ExGroupExists, "A group with the name %s already exists.", in.GroupName)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		existing, _, err := tx.ListGroups(ctx, in.UserPoolId, store.Page{Limit: maxGroupsPerPool})
		if err != nil {
			return err
		}
		if len(existing) >= maxGroupsPerPool {
			return newError(ExLimitExceeded, "The user pool has reached its limit of %d groups.", maxGroupsPerPool)
		}
		err = tx.CreateGroup(ctx, g)
		if errors.Is(err, store.ErrAlreadyExists) {
			return newError(ExGroupExists, "A group with the name %s already exists.", in.GroupName)
		}
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, "CreateGroup", err)
	}
	out, err := groupType(g)
	if err != nil {
		return nil, s.storeError(ctx, "CreateGroup", err)
	}
	return &GroupOutput{Group: out}, nil
}

type GroupNameInput struct {
	GroupName  string `json:"GroupName"`
	UserPoolId string `json:"UserPoolId"`
}

func (in *GroupNameInput) validate() error {
	var v validator
	checkGroupName(&v, in.GroupName)
	checkPoolID(&v, in.UserPoolId)
	return v.err()
}

func (s *Service) GetGroup(ctx context.Context, _ Caller, in *GroupNameInput) (*GroupOutput, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var out GroupOutput
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		g, err := s.loadGroup(ctx, tx, in.UserPoolId, in.GroupName)
		if err != nil {
			return err
		}
		out.Group, err = groupType(g)
		return err
	})
	if err != nil {
		return nil, s.storeError(ctx, "GetGroup", err)
	}
	return &out, nil
}

// UpdateGroup changes only the fields the request carries.
func (s *Service) UpdateGroup(ctx context.Context, _ Caller, in *GroupInput) (*GroupOutput, error) {
	var v validator
	checkGroupName(&v, in.GroupName)
	checkPoolID(&v, in.UserPoolId)
	checkGroupFields(&v, in.Description, in.RoleArn, in.Precedence)
	if err := v.err(); err != nil {
		return nil, err
	}
	var g store.Group
	err := s.update(ctx, func(tx store.Tx) (err error) {
		if g, err = s.loadGroup(ctx, tx, in.UserPoolId, in.GroupName); err != nil {
			return err
		}
		var d groupData
		if err := json.Unmarshal(g.Data, &d); err != nil {
			return err
		}
		if in.Description != nil {
			d.Description = *in.Description
		}
		if in.RoleArn != nil {
			d.RoleArn = *in.RoleArn
		}
		if in.Precedence != nil {
			d.Precedence = in.Precedence
		}
		if g.Data, err = json.Marshal(d); err != nil {
			return err
		}
		g.UpdatedAt = s.now()
		return tx.UpdateGroup(ctx, g)
	})
	if err != nil {
		return nil, s.storeError(ctx, "UpdateGroup", err)
	}
	out, err := groupType(g)
	if err != nil {
		return nil, s.storeError(ctx, "UpdateGroup", err)
	}
	return &GroupOutput{Group: out}, nil
}

func (s *Service) DeleteGroup(ctx context.Context, _ Caller, in *GroupNameInput) (*Empty, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		if _, err := s.loadGroup(ctx, tx, in.UserPoolId, in.GroupName); err != nil {
			return err
		}
		return tx.DeleteGroup(ctx, in.UserPoolId, in.GroupName)
	})
	if err != nil {
		return nil, s.storeError(ctx, "DeleteGroup", err)
	}
	return &Empty{}, nil
}

type ListGroupsInput struct {
	UserPoolId string `json:"UserPoolId"`
	Limit      *int32 `json:"Limit"`
	NextToken  string `json:"NextToken"`
}

type GroupsOutput struct {
	Groups    []GroupType `json:"Groups"`
	NextToken string      `json:"NextToken,omitempty"`
}

func (s *Service) ListGroups(ctx context.Context, _ Caller, in *ListGroupsInput) (*GroupsOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	v.intRange("limit", in.Limit, 0, 60)
	if err := v.err(); err != nil {
		return nil, err
	}
	after, err := s.openPageToken("groups", in.UserPoolId, in.NextToken)
	if err != nil {
		return nil, err
	}
	var out GroupsOutput
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		if _, err := s.loadPool(ctx, tx, in.UserPoolId); err != nil {
			return err
		}
		gs, next, err := tx.ListGroups(ctx, in.UserPoolId, store.Page{After: after, Limit: pageLimit(in.Limit, 60)})
		if err != nil {
			return err
		}
		if out.Groups, err = groupTypes(gs); err != nil {
			return err
		}
		out.NextToken = s.sealPageToken("groups", in.UserPoolId, next)
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "ListGroups", err)
	}
	return &out, nil
}

type AdminGroupMembershipInput struct {
	UserPoolId string `json:"UserPoolId"`
	Username   string `json:"Username"`
	GroupName  string `json:"GroupName"`
}

const maxGroupsPerUser = 100

func (s *Service) changeMembership(ctx context.Context, op string, in *AdminGroupMembershipInput, add bool) (*Empty, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkUsername(&v, in.Username)
	checkGroupName(&v, in.GroupName)
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		if _, err := s.loadGroup(ctx, tx, in.UserPoolId, in.GroupName); err != nil {
			return err
		}
		u, err := resolveUser(ctx, tx, p, in.Username)
		if err != nil {
			return err
		}
		if !add {
			return tx.RemoveMembership(ctx, p.rec.ID, in.GroupName, u.rec.UsernameKey)
		}
		groups, _, err := tx.ListGroupsForUser(ctx, p.rec.ID, u.rec.UsernameKey, store.Page{Limit: maxGroupsPerUser + 1})
		if err != nil {
			return err
		}
		if len(groups) >= maxGroupsPerUser {
			return newError(ExLimitExceeded, "A user can belong to at most %d groups.", maxGroupsPerUser)
		}
		return tx.AddMembership(ctx, p.rec.ID, in.GroupName, u.rec.UsernameKey)
	})
	if err != nil {
		return nil, s.storeError(ctx, op, err)
	}
	return &Empty{}, nil
}

func (s *Service) AdminAddUserToGroup(ctx context.Context, _ Caller, in *AdminGroupMembershipInput) (*Empty, error) {
	return s.changeMembership(ctx, "AdminAddUserToGroup", in, true)
}

func (s *Service) AdminRemoveUserFromGroup(ctx context.Context, _ Caller, in *AdminGroupMembershipInput) (*Empty, error) {
	return s.changeMembership(ctx, "AdminRemoveUserFromGroup", in, false)
}

type AdminListGroupsForUserInput struct {
	UserPoolId string `json:"UserPoolId"`
	Username   string `json:"Username"`
	Limit      *int32 `json:"Limit"`
	NextToken  string `json:"NextToken"`
}

func (s *Service) AdminListGroupsForUser(ctx context.Context, _ Caller, in *AdminListGroupsForUserInput) (*GroupsOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkUsername(&v, in.Username)
	v.intRange("limit", in.Limit, 0, 60)
	if err := v.err(); err != nil {
		return nil, err
	}
	var out GroupsOutput
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		u, err := resolveUser(ctx, tx, p, in.Username)
		if err != nil {
			return err
		}
		scope := p.rec.ID + "\x00" + u.rec.UsernameKey
		after, err := s.openPageToken("user-groups", scope, in.NextToken)
		if err != nil {
			return err
		}
		gs, next, err := tx.ListGroupsForUser(ctx, p.rec.ID, u.rec.UsernameKey, store.Page{After: after, Limit: pageLimit(in.Limit, 60)})
		if err != nil {
			return err
		}
		if out.Groups, err = groupTypes(gs); err != nil {
			return err
		}
		out.NextToken = s.sealPageToken("user-groups", scope, next)
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "AdminListGroupsForUser", err)
	}
	return &out, nil
}

type ListUsersInGroupInput struct {
	UserPoolId string `json:"UserPoolId"`
	GroupName  string `json:"GroupName"`
	Limit      *int32 `json:"Limit"`
	NextToken  string `json:"NextToken"`
}

type ListUsersInGroupOutput struct {
	Users     []UserType `json:"Users"`
	NextToken string     `json:"NextToken,omitempty"`
}

func (s *Service) ListUsersInGroup(ctx context.Context, _ Caller, in *ListUsersInGroupInput) (*ListUsersInGroupOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkGroupName(&v, in.GroupName)
	v.intRange("limit", in.Limit, 0, 60)
	if err := v.err(); err != nil {
		return nil, err
	}
	scope := in.UserPoolId + "\x00" + in.GroupName
	after, err := s.openPageToken("group-users", scope, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := ListUsersInGroupOutput{Users: []UserType{}}
	err = s.store.View(ctx, func(tx store.ReadTx) error {
		if _, err := s.loadGroup(ctx, tx, in.UserPoolId, in.GroupName); err != nil {
			return err
		}
		users, next, err := tx.ListUsersInGroup(ctx, in.UserPoolId, in.GroupName, store.Page{After: after, Limit: pageLimit(in.Limit, 60)})
		if err != nil {
			return err
		}
		for _, u := range users {
			out.Users = append(out.Users, userType(u, nil))
		}
		out.NextToken = s.sealPageToken("group-users", scope, next)
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "ListUsersInGroup", err)
	}
	return &out, nil
}
