// Package filter parses the Filter parameter of ListUsers.
//
// It owns the filter grammar and its error messages only; which users match a parsed Filter
// (and how each attribute compares) is decided by the pool engine.
//
// The grammar is Cognito's single comparison:
//
//	filter    = *WS attribute *WS operator *WS value *WS
//	attribute = name / quoted          ; e.g. email, "family_name"
//	operator  = "=" / "^="             ; exact match / starts with
//	value     = quoted
//	quoted    = DQUOTE *( char / "\" DQUOTE / "\\" ) DQUOTE
//
// Inside quotes, \" stands for a quote and \\ for a backslash; a backslash before any other
// character is kept as it is. An empty or all-whitespace filter means "no filter".
package filter
