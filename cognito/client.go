package cognito

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// Client calls one user pool through one app client. It is safe for concurrent use.
type Client struct {
	api      *cip.Client
	region   string
	poolID   string
	clientID string
	secret   string
	flow     LoginFlow
	now      func() time.Time
	// srpRefused is set once the pool refused USER_SRP_AUTH to a client with no LoginFlow.
	srpRefused atomic.Bool
}

// Region is the pool's region.
func (c *Client) Region() string { return c.region }

// UserPoolID is the pool's ID.
func (c *Client) UserPoolID() string { return c.poolID }

// ClientID is the app client's ID.
func (c *Client) ClientID() string { return c.clientID }

// SDK is the underlying aws-sdk-go-v2 client, for operations this package does not wrap.
// It carries the same endpoint, credentials, retry policy and HTTP client.
func (c *Client) SDK() *cip.Client { return c.api }

// SecretHash is Cognito's SECRET_HASH for username: Base64(HMAC-SHA256(secret,
// username+clientID)).
func SecretHash(clientSecret, username, clientID string) string {
	mac := hmac.New(sha256.New, []byte(clientSecret))
	mac.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// secretHash is the SECRET_HASH parameter of a call for username, or nil for a client
// without a secret.
func (c *Client) secretHash(username string) *string {
	if c.secret == "" {
		return nil
	}
	return aws.String(SecretHash(c.secret, username, c.clientID))
}

// addSecretHash puts SECRET_HASH in an auth parameter map when the client has a secret.
func (c *Client) addSecretHash(m map[string]string, username string) {
	if h := c.secretHash(username); h != nil {
		m["SECRET_HASH"] = *h
	}
}

// CodeDelivery says where Cognito sent a code.
type CodeDelivery struct {
	// Destination is masked by Cognito, e.g. "a***@e***".
	Destination string
	// Medium is "EMAIL" or "SMS".
	Medium string
	// AttributeName is the attribute the code was sent to, e.g. "email".
	AttributeName string
}

func codeDelivery(d *types.CodeDeliveryDetailsType) *CodeDelivery {
	if d == nil {
		return nil
	}
	return &CodeDelivery{Destination: aws.ToString(d.Destination), Medium: string(d.DeliveryMedium), AttributeName: aws.ToString(d.AttributeName)}
}

func attrList(m map[string]string) []types.AttributeType {
	out := make([]types.AttributeType, 0, len(m))
	for _, name := range sortedKeys(m) {
		out = append(out, types.AttributeType{Name: aws.String(name), Value: aws.String(m[name])})
	}
	return out
}

func attrMap(list []types.AttributeType) map[string]string {
	m := make(map[string]string, len(list))
	for _, a := range list {
		m[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	return m
}

// sortedKeys keeps request bodies deterministic, which makes them comparable in tests.
func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// splitAttrs separates attributes to set from those to delete (given an empty value).
func splitAttrs(m map[string]string) (set map[string]string, del []string) {
	set = map[string]string{}
	for _, name := range sortedKeys(m) {
		if value := m[name]; value == "" {
			del = append(del, name)
		} else {
			set[name] = value
		}
	}
	return set, del
}
