package console

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashless/hashless/pool"
)

// setting is one line of a settings table: what it is and what it says, in words.
type setting struct {
	Name  string
	Value string
}

// passwordPolicy reads a pool's password policy as sentences.
func passwordPolicy(pp *pool.PasswordPolicy) []setting {
	if pp == nil {
		return []setting{{"Password rules", "None: any password is accepted"}}
	}
	var out []setting
	if pp.MinimumLength != nil {
		out = append(out, setting{"Minimum length", plural(int(*pp.MinimumLength), "character")})
	} else {
		out = append(out, setting{"Minimum length", "None"})
	}
	var needs []string
	for _, x := range []struct {
		on   bool
		what string
	}{{pp.RequireLowercase, "a lowercase letter"}, {pp.RequireUppercase, "an uppercase letter"},
		{pp.RequireNumbers, "a number"}, {pp.RequireSymbols, "a symbol"}} {
		if x.on {
			needs = append(needs, x.what)
		}
	}
	if len(needs) == 0 {
		out = append(out, setting{"Must contain", "No particular characters"})
	} else {
		out = append(out, setting{"Must contain", sentenceList(needs)})
	}
	if pp.PasswordHistorySize != nil && *pp.PasswordHistorySize > 0 {
		out = append(out, setting{"Password history", fmt.Sprintf("The last %s cannot be reused", plural(int(*pp.PasswordHistorySize), "password"))})
	}
	if pp.TemporaryPasswordValidityDays != nil {
		out = append(out, setting{"Temporary passwords", "Valid for " + plural(int(*pp.TemporaryPasswordValidityDays), "day")})
	}
	return out
}

// signIn describes how users sign in to a pool.
func signIn(d pool.UserPoolDescription) []setting {
	names := "Username"
	switch {
	case len(d.UsernameAttributes) > 0:
		names = sentenceList(attrNames(d.UsernameAttributes)) + " (in place of a username)"
	case len(d.AliasAttributes) > 0:
		names = "Username, or " + sentenceList(attrNames(d.AliasAttributes))
	}
	caseSensitive := "Yes"
	if d.UsernameConfiguration != nil && d.UsernameConfiguration.CaseSensitive != nil && !*d.UsernameConfiguration.CaseSensitive {
		caseSensitive = "No"
	}
	verified := "Nothing"
	if len(d.AutoVerifiedAttributes) > 0 {
		verified = sentenceList(attrNames(d.AutoVerifiedAttributes))
	}
	selfSignUp := "Allowed"
	if d.AdminCreateUserConfig != nil && d.AdminCreateUserConfig.AllowAdminCreateUserOnly {
		selfSignUp = "Not allowed: only administrators create users"
	}
	deletion := "Off"
	if d.DeletionProtection == "ACTIVE" {
		deletion = "On"
	}
	return []setting{
		{"Users sign in with", names},
		{"Usernames are case-sensitive", caseSensitive},
		{"Verified by a code on sign-up", verified},
		{"Self sign-up", selfSignUp},
		{"Deletion protection", deletion},
	}
}

// mfa describes a pool's multi-factor authentication.
func mfa(d pool.UserPoolDescription) []setting {
	var mode string
	switch d.MfaConfiguration {
	case "ON":
		mode = "Required for every user"
	case "OPTIONAL":
		mode = "Optional: each user chooses"
	default:
		return []setting{{"Multi-factor authentication", "Off"}}
	}
	var factors []string
	if d.SoftwareTokenMfa != nil && d.SoftwareTokenMfa.Enabled {
		factors = append(factors, "authenticator app (TOTP)")
	}
	if d.SmsMfa != nil || (d.SoftwareTokenMfa == nil && d.EmailMfa == nil) {
		factors = append(factors, "SMS code")
	}
	if d.EmailMfa != nil {
		factors = append(factors, "e-mail code")
	}
	f := "None configured"
	if len(factors) > 0 {
		f = sentenceList(factors)
	}
	return []setting{{"Multi-factor authentication", mode}, {"Second factors offered", f}}
}

var flowNames = map[string]string{
	"ALLOW_USER_SRP_AUTH":            "Password with Secure Remote Password (USER_SRP_AUTH)",
	"ALLOW_USER_PASSWORD_AUTH":       "Plain password (USER_PASSWORD_AUTH)",
	"ALLOW_ADMIN_USER_PASSWORD_AUTH": "Password through the admin API (ADMIN_USER_PASSWORD_AUTH)",
	"ALLOW_CUSTOM_AUTH":              "Custom challenges (CUSTOM_AUTH)",
	"ALLOW_REFRESH_TOKEN_AUTH":       "Refresh tokens (REFRESH_TOKEN_AUTH)",
	"ALLOW_USER_AUTH":                "Choice-based sign-in (USER_AUTH)",
	"ADMIN_NO_SRP_AUTH":              "Password through the admin API (legacy ADMIN_NO_SRP_AUTH)",
	"USER_PASSWORD_AUTH":             "Plain password (legacy USER_PASSWORD_AUTH)",
	"CUSTOM_AUTH_FLOW_ONLY":          "Custom challenges only (legacy CUSTOM_AUTH_FLOW_ONLY)",
}

// authFlows names a client's allowed flows in words, sorted as given.
func authFlows(flows []string) []string {
	out := make([]string, 0, len(flows))
	for _, f := range flows {
		if n, ok := flowNames[f]; ok {
			out = append(out, n)
		} else {
			out = append(out, f)
		}
	}
	return out
}

// tokenValidity describes a client's token lifetimes.
func tokenValidity(c pool.UserPoolClient) []setting {
	units := pool.TokenValidityUnits{}
	if c.TokenValidityUnits != nil {
		units = *c.TokenValidityUnits
	}
	life := func(v *int32, unit, def string) string {
		if v == nil {
			return "Default"
		}
		if unit == "" {
			unit = def
		}
		return plural(int(*v), strings.TrimSuffix(unit, "s"))
	}
	out := []setting{
		{"Access token", life(c.AccessTokenValidity, units.AccessToken, "hours")},
		{"ID token", life(c.IdTokenValidity, units.IdToken, "hours")},
		{"Refresh token", life(c.RefreshTokenValidity, units.RefreshToken, "days")},
	}
	if c.AuthSessionValidity != nil {
		out = append(out, setting{"Sign-in session (between challenges)", plural(int(*c.AuthSessionValidity), "minute")})
	}
	return out
}

// clientSettings describes the rest of a client: its secret (whether it has one, never its
// value), OAuth and error behaviour.
func clientSettings(c pool.UserPoolClient) []setting {
	secret := "No (a public client)"
	if c.ClientSecret != "" {
		secret = "Yes (not shown)"
	}
	hide := "No: sign-in errors say whether the user exists"
	if c.PreventUserExistenceErrors == "ENABLED" {
		hide = "Yes: sign-in errors do not say whether the user exists"
	}
	revocation := "Off"
	if c.EnableTokenRevocation != nil && *c.EnableTokenRevocation {
		revocation = "On"
	}
	oauth := "Off"
	if c.AllowedOAuthFlowsUserPoolClient != nil && *c.AllowedOAuthFlowsUserPoolClient {
		oauth = "On"
		if len(c.AllowedOAuthFlows) > 0 {
			oauth += ": " + sentenceList(c.AllowedOAuthFlows)
		}
	}
	out := []setting{
		{"Has a client secret", secret},
		{"Hides whether users exist", hide},
		{"Token revocation", revocation},
		{"OAuth 2.0 (hosted UI)", oauth},
	}
	if len(c.AllowedOAuthScopes) > 0 {
		out = append(out, setting{"OAuth scopes", strings.Join(c.AllowedOAuthScopes, ", ")})
	}
	return out
}

func attrNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		switch n {
		case "email":
			out[i] = "e-mail"
		case "phone_number":
			out[i] = "phone number"
		case "preferred_username":
			out[i] = "preferred username"
		default:
			out[i] = n
		}
	}
	return out
}

func plural(n int, unit string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// sentenceList joins items as English does: "a", "a and b", "a, b and c".
func sentenceList(items []string) string {
	items = slices.Clone(items)
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
