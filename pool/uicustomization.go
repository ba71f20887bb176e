package pool

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashless/hashless/pool/store"
)

// The hosted pages' branding: a stylesheet and a logo, for the whole pool ("ALL") or for
// one app client, which then no longer falls back to the pool's. Both are served into the
// pages, so the CSS is refused when it could do more than style them.

// allClients is the ClientId of the pool-level customization.
const allClients = "ALL"

const (
	maxCustomCSSBytes = 131072
	maxLogoBytes      = 100 << 10
)

// uiCustomization is one level's branding as the pool record keeps it.
type uiCustomization struct {
	CSS       string    `json:"CSS,omitempty"`
	Image     []byte    `json:"Image,omitempty"`
	ImageType string    `json:"ImageType,omitempty"`
	Version   string    `json:"Version"`
	CreatedAt time.Time `json:"CreatedAt"`
	UpdatedAt time.Time `json:"UpdatedAt"`
}

type SetUICustomizationInput struct {
	UserPoolId string `json:"UserPoolId"`
	ClientId   string `json:"ClientId"`
	CSS        string `json:"CSS"`
	// ImageFile is a blob: base64 in the JSON, which encoding/json decodes into bytes.
	ImageFile []byte `json:"ImageFile"`
}

type GetUICustomizationInput struct {
	UserPoolId string `json:"UserPoolId"`
	ClientId   string `json:"ClientId"`
}

// UICustomization is Cognito's UICustomizationType.
type UICustomization struct {
	UserPoolId       string     `json:"UserPoolId"`
	ClientId         string     `json:"ClientId,omitempty"`
	ImageUrl         string     `json:"ImageUrl,omitempty"`
	CSS              string     `json:"CSS,omitempty"`
	CSSVersion       string     `json:"CSSVersion,omitempty"`
	LastModifiedDate *Timestamp `json:"LastModifiedDate,omitempty"`
	CreationDate     *Timestamp `json:"CreationDate,omitempty"`
}

type UICustomizationOutput struct {
	UICustomization UICustomization `json:"UICustomization"`
}

// UIAssets is the branding the hosted pages apply for a client: its own, else the pool's.
type UIAssets struct {
	CSS string
	// Image is shared with the pool's cached record: read it, never change it.
	Image []byte
	// ImageType is the image's media type, image/png or image/jpeg.
	ImageType string
	// Version changes whenever the CSS or the image does, so URLs that carry it can be
	// cached for good.
	Version string
}

// cssRefusals are what would let a stylesheet served into the hosted pages do more than
// style them: "<" can end a style element and start markup, @import loads a sheet from
// elsewhere, and expression(), javascript: and -moz-binding run script in browsers that
// still honour them.
var cssRefusals = []string{"<", "@import", "expression(", "javascript:", "-moz-binding"}

// hostileCSS returns the first refused construct in css, or "". CSS may spell a keyword
// with comments inside it or with escapes (\69 is "i"), so the check also reads the sheet
// with those undone.
func hostileCSS(css string) string {
	for _, text := range []string{css, unescapeCSS(css)} {
		lower := strings.ToLower(text)
		for _, r := range cssRefusals {
			if strings.Contains(lower, r) {
				return r
			}
		}
	}
	return ""
}

// unescapeCSS removes comments, decodes backslash escapes and drops the tabs and line breaks
// that URL parsers ignore.
func unescapeCSS(css string) string {
	var b strings.Builder
	for i := 0; i < len(css); {
		switch {
		case strings.HasPrefix(css[i:], "/*"):
			end := strings.Index(css[i+2:], "*/")
			if end < 0 {
				return b.String()
			}
			i += 2 + end + 2
		case css[i] == '\\' && i+1 < len(css):
			j := i + 1
			for j < len(css) && j-i <= 6 && isHexDigit(css[j]) {
				j++
			}
			if j == i+1 {
				// Not a hex escape: the next character stands for itself, except that an
				// escaped line break is a continuation and stands for nothing.
				r, size := utf8.DecodeRuneInString(css[j:])
				if !strings.ContainsRune("\n\r\f", r) {
					b.WriteRune(r)
				}
				i = j + size
				continue
			}
			n, _ := strconv.ParseUint(css[i+1:j], 16, 32)
			b.WriteRune(rune(n))
			if j < len(css) && strings.ContainsRune(" \t\n\r\f", rune(css[j])) {
				j++
			}
			i = j
		case strings.ContainsRune("\t\n\r\f", rune(css[i])):
			i++
		default:
			b.WriteByte(css[i])
			i++
		}
	}
	return b.String()
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// imageType tells PNG from JPEG by their magic bytes, "" for anything else.
func imageType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	}
	return ""
}

// assetsVersion digests the CSS and the image, so the version changes exactly when they do.
func assetsVersion(css string, image []byte) string {
	h := sha256.New()
	h.Write([]byte(css))
	h.Write([]byte{0})
	h.Write(image)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func checkCustomizationClient(v *validator, clientID string) {
	if clientID != "" && clientID != allClients {
		checkClientID(v, clientID)
	}
}

// customizationFor returns the branding in force for clientID and the level it comes from:
// the client's own, else the pool's.
func (p poolView) customizationFor(clientID string) (uiCustomization, string, bool) {
	if c, ok := p.uiCustomizations[clientID]; ok && clientID != "" {
		return c, clientID, true
	}
	c, ok := p.uiCustomizations[allClients]
	return c, allClients, ok
}

// customizationType answers for the branding of level (a client ID or "ALL"). The image is
// served by the hosted pages' handler, which is always here, whatever issuer style the
// tokens use.
func (s *Service) customizationType(p poolView, level string, c uiCustomization) UICustomization {
	out := UICustomization{UserPoolId: p.rec.ID, ClientId: level, CSS: c.CSS, CSSVersion: c.Version,
		LastModifiedDate: ts(c.UpdatedAt), CreationDate: ts(c.CreatedAt)}
	if len(c.Image) > 0 {
		q := url.Values{"client_id": {level}, "v": {c.Version}}
		out.ImageUrl = s.publicURL + "/" + p.rec.ID + "/_ui/image?" + q.Encode()
	}
	return out
}

// requireClient fails unless the pool has the client a customization names.
func requireClient(ctx context.Context, tx store.ReadTx, poolID, clientID string) error {
	if clientID == allClients {
		return nil
	}
	_, err := tx.GetClient(ctx, poolID, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return clientNotFound(clientID)
	}
	return err
}

// SetUICustomization replaces the branding of one level. A request with neither CSS nor an
// image removes it, and a client then falls back to the pool's again.
func (s *Service) SetUICustomization(ctx context.Context, _ Caller, in *SetUICustomizationInput) (*UICustomizationOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkCustomizationClient(&v, in.ClientId)
	if len(in.CSS) > maxCustomCSSBytes {
		v.add("Value at 'cSS' failed to satisfy constraint: Member must have length less than or equal to %d", maxCustomCSSBytes)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if r := hostileCSS(in.CSS); r != "" {
		return nil, invalidParameter("The CSS contains %q, which the hosted pages do not accept.", r)
	}
	kind := ""
	if len(in.ImageFile) > 0 {
		if len(in.ImageFile) > maxLogoBytes {
			return nil, invalidParameter("The image file is larger than %d bytes.", maxLogoBytes)
		}
		if kind = imageType(in.ImageFile); kind == "" {
			return nil, invalidParameter("The image file must be a PNG or JPEG image.")
		}
	}
	level := orDefault(in.ClientId, allClients)
	var out UICustomization
	err := s.update(ctx, func(tx store.Tx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		if err := requireClient(ctx, tx, p.rec.ID, level); err != nil {
			return err
		}
		now := s.now()
		c := uiCustomization{CSS: in.CSS, Image: in.ImageFile, ImageType: kind, Version: assetsVersion(in.CSS, in.ImageFile),
			CreatedAt: now, UpdatedAt: now}
		if old, ok := p.uiCustomizations[level]; ok {
			c.CreatedAt = old.CreatedAt
		}
		// A fresh map: the decoded pool may be shared with other readers (see decodePool).
		all := maps.Clone(p.uiCustomizations)
		if all == nil {
			all = map[string]uiCustomization{}
		}
		if in.CSS == "" && len(in.ImageFile) == 0 {
			delete(all, level)
			out = UICustomization{UserPoolId: p.rec.ID, ClientId: level}
		} else {
			all[level] = c
			out = s.customizationType(p, level, c)
		}
		p.uiCustomizations = all
		return savePool(ctx, tx, p)
	})
	if err != nil {
		return nil, s.storeError(ctx, "SetUICustomization", err)
	}
	return &UICustomizationOutput{UICustomization: out}, nil
}

// GetUICustomization answers the branding in force for a client, its ClientId saying which
// level it comes from ("ALL" when the client falls back to the pool's).
func (s *Service) GetUICustomization(ctx context.Context, _ Caller, in *GetUICustomizationInput) (*UICustomizationOutput, error) {
	var v validator
	checkPoolID(&v, in.UserPoolId)
	checkCustomizationClient(&v, in.ClientId)
	if err := v.err(); err != nil {
		return nil, err
	}
	requested := orDefault(in.ClientId, allClients)
	var out UICustomizationOutput
	err := s.store.View(ctx, func(tx store.ReadTx) error {
		p, err := s.loadPool(ctx, tx, in.UserPoolId)
		if err != nil {
			return err
		}
		if err := requireClient(ctx, tx, p.rec.ID, requested); err != nil {
			return err
		}
		c, level, ok := p.customizationFor(requested)
		if !ok {
			out.UICustomization = UICustomization{UserPoolId: p.rec.ID, ClientId: requested}
			return nil
		}
		out.UICustomization = s.customizationType(p, level, c)
		return nil
	})
	if err != nil {
		return nil, s.storeError(ctx, "GetUICustomization", err)
	}
	return &out, nil
}

// UICustomizationFor is the branding the hosted pages apply for a client of a pool: the
// client's own, else the pool's, else the zero value.
func (s *Service) UICustomizationFor(ctx context.Context, poolID, clientID string) (UIAssets, error) {
	p, err := s.readPool(ctx, "UICustomizationFor", poolID)
	if err != nil {
		return UIAssets{}, err
	}
	c, _, ok := p.customizationFor(clientID)
	if !ok {
		return UIAssets{}, nil
	}
	return UIAssets{CSS: c.CSS, Image: c.Image, ImageType: c.ImageType, Version: c.Version}, nil
}

// forgetClientCustomization drops the branding of a client being deleted, which nothing
// could read or remove any more.
func (s *Service) forgetClientCustomization(ctx context.Context, tx store.Tx, poolID, clientID string) error {
	p, err := s.loadPool(ctx, tx, poolID)
	if err != nil {
		return err
	}
	if _, ok := p.uiCustomizations[clientID]; !ok {
		return nil
	}
	all := maps.Clone(p.uiCustomizations)
	delete(all, clientID)
	p.uiCustomizations = all
	return savePool(ctx, tx, p)
}
