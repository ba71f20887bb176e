package pool

import (
	"context"
	"maps"
	"regexp"
	"strings"

	"github.com/hashless/hashless/pool/store"
)

var rePoolArn = regexp.MustCompile(`^arn:aws[\w-]*:cognito-idp:([\w-]+):(\d{12}):userpool/([\w-]+_[0-9a-zA-Z]+)$`)

type TagResourceInput struct {
	ResourceArn string            `json:"ResourceArn"`
	Tags        map[string]string `json:"Tags"`
}

type UntagResourceInput struct {
	ResourceArn string   `json:"ResourceArn"`
	TagKeys     []string `json:"TagKeys"`
}

type ListTagsForResourceInput struct {
	ResourceArn string `json:"ResourceArn"`
}

type ListTagsForResourceOutput struct {
	Tags map[string]string `json:"Tags"`
}

// poolFromArn resolves a user pool ARN; tags live in the pool's UserPoolTags, so TagResource
// and UpdateUserPool's UserPoolTags see the same set.
func poolFromArn(v *validator, arn string) string {
	if !v.required("resourceArn", arn) || !v.length("resourceArn", arn, 20, 2048) {
		return ""
	}
	m := rePoolArn.FindStringSubmatch(arn)
	if m == nil {
		v.add("Value '%s' at 'resourceArn' failed to satisfy constraint: Member must be a user pool ARN", arn)
		return ""
	}
	return m[3]
}

func (s *Service) updateTags(ctx context.Context, op, poolID string, change func(map[string]string)) error {
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, poolID)
		if err != nil {
			return err
		}
		// A fresh map: the decoded pool may be shared with other readers (see decodePool).
		p.UserPoolTags = maps.Clone(p.UserPoolTags)
		if p.UserPoolTags == nil {
			p.UserPoolTags = map[string]string{}
		}
		change(p.UserPoolTags)
		var v validator
		checkTags(&v, p.UserPoolTags)
		if err := v.err(); err != nil {
			return err
		}
		p.rec.UpdatedAt = s.now()
		return savePool(ctx, tx, p)
	})
	if err != nil {
		return s.storeError(ctx, op, err)
	}
	return nil
}

func (s *Service) TagResource(ctx context.Context, _ Caller, in *TagResourceInput) (*Empty, error) {
	var v validator
	id := poolFromArn(&v, in.ResourceArn)
	checkTags(&v, in.Tags)
	if err := v.err(); err != nil {
		return nil, err
	}
	return &Empty{}, s.updateTags(ctx, "TagResource", id, func(tags map[string]string) {
		for k, val := range in.Tags {
			tags[k] = val
		}
	})
}

func (s *Service) UntagResource(ctx context.Context, _ Caller, in *UntagResourceInput) (*Empty, error) {
	var v validator
	id := poolFromArn(&v, in.ResourceArn)
	for _, k := range in.TagKeys {
		if strings.TrimSpace(k) == "" || len(k) > 128 {
			v.add("Value '%s' at 'tagKeys' failed to satisfy constraint: Member must have length between 1 and 128", k)
		}
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return &Empty{}, s.updateTags(ctx, "UntagResource", id, func(tags map[string]string) {
		for _, k := range in.TagKeys {
			delete(tags, k)
		}
	})
}

func (s *Service) ListTagsForResource(ctx context.Context, _ Caller, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	var v validator
	id := poolFromArn(&v, in.ResourceArn)
	if err := v.err(); err != nil {
		return nil, err
	}
	out := &ListTagsForResourceOutput{Tags: map[string]string{}}
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		p, err := s.loadPool(ctx, tx, id)
		if err != nil {
			return err
		}
		for k, val := range p.UserPoolTags {
			out.Tags[k] = val
		}
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "ListTagsForResource", err)
	}
	return out, nil
}
