package pool

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/hashless/hashless/pool/store"
)

// A user pool domain is where Cognito serves a pool's hosted UI and OAuth endpoints. Here
// those always live under the pool's issuer, so a domain routes nothing: it is configuration
// that the Describe operations report. Cognito's rules for it still hold (its shape, the
// reserved words, one per pool, unique across pools), so a script that passes here is not
// refused on AWS.

// CustomDomainConfig is Cognito's CustomDomainConfigType.
type CustomDomainConfig struct {
	CertificateArn string `json:"CertificateArn"`
}

// poolDomain is the domain as the pool record keeps it.
type poolDomain struct {
	Name                string              `json:"Name"`
	CustomDomainConfig  *CustomDomainConfig `json:"CustomDomainConfig,omitempty"`
	ManagedLoginVersion int32               `json:"ManagedLoginVersion"`
	// UpdatedAt stamps the domain's Version, which Cognito changes when the domain does.
	UpdatedAt time.Time `json:"UpdatedAt"`
}

// custom tells a custom domain (a host name of its own, behind a certificate) from a prefix
// of Cognito's shared domain: only custom domains have dots.
func (d *poolDomain) custom() bool { return strings.Contains(d.Name, ".") }

// UserPoolDomainInput is what CreateUserPoolDomain and UpdateUserPoolDomain accept.
type UserPoolDomainInput struct {
	Domain              string              `json:"Domain"`
	UserPoolId          string              `json:"UserPoolId"`
	CustomDomainConfig  *CustomDomainConfig `json:"CustomDomainConfig"`
	ManagedLoginVersion *int32              `json:"ManagedLoginVersion"`
}

type UserPoolDomainOutput struct {
	CloudFrontDomain    string `json:"CloudFrontDomain,omitempty"`
	ManagedLoginVersion *int32 `json:"ManagedLoginVersion,omitempty"`
}

type DescribeUserPoolDomainInput struct {
	Domain string `json:"Domain"`
}

// DomainDescription is Cognito's DomainDescriptionType. Every field is optional because an
// unknown domain is described by an empty object.
type DomainDescription struct {
	UserPoolId             string              `json:"UserPoolId,omitempty"`
	AWSAccountId           string              `json:"AWSAccountId,omitempty"`
	Domain                 string              `json:"Domain,omitempty"`
	S3Bucket               string              `json:"S3Bucket,omitempty"`
	CloudFrontDistribution string              `json:"CloudFrontDistribution,omitempty"`
	Version                string              `json:"Version,omitempty"`
	Status                 string              `json:"Status,omitempty"`
	CustomDomainConfig     *CustomDomainConfig `json:"CustomDomainConfig,omitempty"`
	ManagedLoginVersion    *int32              `json:"ManagedLoginVersion,omitempty"`
}

type DescribeUserPoolDomainOutput struct {
	DomainDescription DomainDescription `json:"DomainDescription"`
}

type DeleteUserPoolDomainInput struct {
	Domain     string `json:"Domain"`
	UserPoolId string `json:"UserPoolId"`
}

// reservedDomainWords may not appear in a prefix domain: the prefix becomes part of a host
// name under Amazon's, where they would pass for Amazon's own.
var reservedDomainWords = []string{"aws", "amazon", "cognito"}

// assetsBucket stands in DomainDescription.S3Bucket, which tools read. No bucket exists: the
// hosted pages and their assets are served by this server.
const assetsBucket = "hashless-hosted-ui"

func checkDomain(v *validator, domain string) {
	if !v.required("domain", domain) {
		return
	}
	if !strings.Contains(domain, ".") {
		if v.length("domain", domain, 1, 63) {
			v.pattern("domain", domain, reDomainLabel)
		}
		return
	}
	if !v.length("domain", domain, 1, 253) {
		return
	}
	for _, label := range strings.Split(domain, ".") {
		if !reDomainLabel.MatchString(label) {
			v.add("Value '%s' at 'domain' failed to satisfy constraint: Member must be a domain prefix or a fully qualified domain name of lowercase labels", domain)
			return
		}
	}
}

func checkManagedLoginVersion(v *validator, version *int32) {
	v.intRange("managedLoginVersion", version, 1, 2)
}

// checkDomainConfig validates what a custom domain needs and a prefix domain must not have.
func checkDomainConfig(v *validator, domain string, config *CustomDomainConfig, required bool) {
	custom := strings.Contains(domain, ".")
	switch {
	case config == nil:
		if custom && required {
			v.add("Value null at 'customDomainConfig' failed to satisfy constraint: a custom domain needs a certificate")
		}
	case !custom:
		v.add("Value at 'customDomainConfig' failed to satisfy constraint: only a custom domain (one with dots) takes a certificate")
	case v.required("customDomainConfig.certificateArn", config.CertificateArn) &&
		v.length("customDomainConfig.certificateArn", config.CertificateArn, 20, 2048):
		v.pattern("customDomainConfig.certificateArn", config.CertificateArn, reCertificateArn)
	}
}

// checkManagedLoginTier: Cognito offers managed login (version 2) on every feature plan
// but Lite.
func checkManagedLoginTier(p poolView, version int32) error {
	if version == 2 && p.UserPoolTier == "LITE" {
		return newError(ExFeatureUnavailableInTier, "Managed login is not available in the LITE feature plan of user pool %s.", p.rec.ID)
	}
	return nil
}

// findDomain returns the pool that holds domain. It reads every pool: a domain has no index
// of its own, and pools are few.
func (s *Service) findDomain(ctx context.Context, tx store.ReadTx, domain string) (poolView, bool, error) {
	after := ""
	for {
		recs, next, err := tx.ListPools(ctx, store.Page{After: after, Limit: 100})
		if err != nil {
			return poolView{}, false, err
		}
		for _, rec := range recs {
			p, err := s.decodePool(rec)
			if err != nil {
				return poolView{}, false, err
			}
			if p.domain != nil && p.domain.Name == domain {
				return p, true, nil
			}
		}
		if next == "" {
			return poolView{}, false, nil
		}
		after = next
	}
}

// cloudFrontDomain is the host that a custom domain's DNS alias should name: Cognito's
// answer is a CloudFront distribution, and here it is this server.
func (s *Service) cloudFrontDomain() string {
	u, err := url.Parse(s.publicURL)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

func (s *Service) domainOutput(d *poolDomain) *UserPoolDomainOutput {
	out := &UserPoolDomainOutput{ManagedLoginVersion: ptr(d.ManagedLoginVersion)}
	// For a prefix domain Cognito answers no CloudFrontDomain: there is no alias to set up.
	if d.custom() {
		out.CloudFrontDomain = s.cloudFrontDomain()
	}
	return out
}

func (s *Service) CreateUserPoolDomain(ctx context.Context, _ Caller, in *UserPoolDomainInput) (*UserPoolDomainOutput, error) {
	var v validator
	checkDomain(&v, in.Domain)
	checkPoolID(&v, in.UserPoolId)
	checkManagedLoginVersion(&v, in.ManagedLoginVersion)
	checkDomainConfig(&v, in.Domain, in.CustomDomainConfig, true)
	if err := v.err(); err != nil {
		return nil, err
	}
	if !strings.Contains(in.Domain, ".") {
		for _, w := range reservedDomainWords {
			if strings.Contains(in.Domain, w) {
				return nil, invalidParameter("The domain %s contains the reserved word %s.", in.Domain, w)
			}
		}
	}
	d := &poolDomain{Name: in.Domain, CustomDomainConfig: in.CustomDomainConfig, ManagedLoginVersion: 1, UpdatedAt: s.now()}
	if in.ManagedLoginVersion != nil {
		d.ManagedLoginVersion = *in.ManagedLoginVersion
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		if p.domain != nil {
			return invalidParameter("User pool %s already has a domain configured.", p.rec.ID)
		}
		if err := checkManagedLoginTier(p, d.ManagedLoginVersion); err != nil {
			return err
		}
		if _, taken, err := s.findDomain(ctx, tx, in.Domain); err != nil {
			return err
		} else if taken {
			return invalidParameter("Domain %s is already associated with another user pool.", in.Domain)
		}
		p.domain = d
		return savePool(ctx, tx, p)
	})
	if err != nil {
		return nil, s.storeError(ctx, "CreateUserPoolDomain", err)
	}
	s.log.InfoContext(ctx, "user pool domain created", "pool", in.UserPoolId, "domain", in.Domain)
	return s.domainOutput(d), nil
}

func (s *Service) DescribeUserPoolDomain(ctx context.Context, _ Caller, in *DescribeUserPoolDomainInput) (*DescribeUserPoolDomainOutput, error) {
	var v validator
	checkDomain(&v, in.Domain)
	if err := v.err(); err != nil {
		return nil, err
	}
	var out DescribeUserPoolDomainOutput
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		p, found, err := s.findDomain(ctx, tx, in.Domain)
		if err != nil || !found {
			return err
		}
		d := p.domain
		out.DomainDescription = DomainDescription{
			UserPoolId: p.rec.ID, AWSAccountId: s.accountID, Domain: d.Name, S3Bucket: assetsBucket,
			CloudFrontDistribution: s.cloudFrontDomain(), Version: d.UpdatedAt.UTC().Format("20060102150405"),
			Status: "ACTIVE", CustomDomainConfig: d.CustomDomainConfig, ManagedLoginVersion: ptr(d.ManagedLoginVersion),
		}
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "DescribeUserPoolDomain", err)
	}
	return &out, nil
}

// loadPoolDomain loads a pool for a change to its domain, which the request must name.
func (s *Service) loadPoolDomain(ctx context.Context, tx store.ReadTx, poolID, domain string) (poolView, error) {
	p, err := s.loadPool(ctx, tx, poolID)
	if err != nil {
		return poolView{}, err
	}
	if p.domain == nil || p.domain.Name != domain {
		return poolView{}, invalidParameter("No such domain or user pool exists.")
	}
	return p, nil
}

// UpdateUserPoolDomain changes the managed login version and, of a custom domain, the
// certificate; what the request leaves out is kept. A domain's name never changes.
func (s *Service) UpdateUserPoolDomain(ctx context.Context, _ Caller, in *UserPoolDomainInput) (*UserPoolDomainOutput, error) {
	var v validator
	checkDomain(&v, in.Domain)
	checkPoolID(&v, in.UserPoolId)
	checkManagedLoginVersion(&v, in.ManagedLoginVersion)
	checkDomainConfig(&v, in.Domain, in.CustomDomainConfig, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	var d poolDomain
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPoolDomain(ctx, tx, in.UserPoolId, in.Domain)
		if err != nil {
			return err
		}
		// A copy: the decoded pool, and so its domain, may be shared (see decodePool).
		d = *p.domain
		if in.ManagedLoginVersion != nil {
			d.ManagedLoginVersion = *in.ManagedLoginVersion
		}
		if err := checkManagedLoginTier(p, d.ManagedLoginVersion); err != nil {
			return err
		}
		if in.CustomDomainConfig != nil {
			d.CustomDomainConfig = in.CustomDomainConfig
		}
		d.UpdatedAt = s.now()
		p.domain = &d
		return savePool(ctx, tx, p)
	})
	if err != nil {
		return nil, s.storeError(ctx, "UpdateUserPoolDomain", err)
	}
	return s.domainOutput(&d), nil
}

func (s *Service) DeleteUserPoolDomain(ctx context.Context, _ Caller, in *DeleteUserPoolDomainInput) (*Empty, error) {
	var v validator
	checkDomain(&v, in.Domain)
	checkPoolID(&v, in.UserPoolId)
	if err := v.err(); err != nil {
		return nil, err
	}
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPoolDomain(ctx, tx, in.UserPoolId, in.Domain)
		if err != nil {
			return err
		}
		p.domain = nil
		return savePool(ctx, tx, p)
	})
	if err != nil {
		return nil, s.storeError(ctx, "DeleteUserPoolDomain", err)
	}
	s.log.InfoContext(ctx, "user pool domain deleted", "pool", in.UserPoolId, "domain", in.Domain)
	return &Empty{}, nil
}
