package pool

// Page tokens are store cursors sealed with the server key and bound to the listing they came
// from, so a client can neither forge one nor replay one from another pool or filter; either
// attempt is an InvalidParameterException rather than a database error.

func (s *Service) sealPageToken(kind, scope, cursor string) string {
	if cursor == "" {
		return ""
	}
	return s.sealer.Seal("page:"+kind+":"+scope, []byte(cursor))
}

func (s *Service) openPageToken(kind, scope, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	if len(token) > 4096 {
		return "", invalidParameter("Invalid pagination token.")
	}
	b, err := s.sealer.Open("page:"+kind+":"+scope, token)
	if err != nil {
		return "", invalidParameter("Invalid pagination token.")
	}
	return string(b), nil
}
