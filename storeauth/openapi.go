package storeauth

import _ "embed"

// OpenAPI is the OpenAPI 3.1 description of the HTTP API that Handler serves: every route of
// Routes, its request body, its answers and its security. A test checks it against the
// routes and against real answers.
//
//go:embed openapi.json
var OpenAPI []byte
