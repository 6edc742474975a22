package server

import (
	_ "embed"
	"net/http"
	"strings"
)

// openAPI is the hand-written OpenAPI 3 document of every endpoint.
// TestOpenAPIMatchesRoutes fails when it and the route table disagree on
// a path, a method or the roles (x-roles) allowed.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI document.
func OpenAPI() []byte { return openAPI }

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPI)
}

// LedgerRoutes are the routes of the ledger's read API (package
// ledger/logserver), which the server mounts through Config.Mount and
// Config.Extra: public, like everything in the log.
func LedgerRoutes() []Route {
	return []Route{
		PublicRoute("GET", "/log/checkpoint"),
		PublicRoute("GET", "/log/tile/{path...}"),
		PublicRoute("GET", "/api/v1/ledger/entries/{id}"),
		PublicRoute("GET", "/api/v1/ledger/proof/inclusion"),
		PublicRoute("GET", "/api/v1/ledger/proof/consistency"),
	}
}

// openAPIPath converts a ServeMux pattern to an OpenAPI path template:
// a trailing wildcard {name...} becomes {name}.
func openAPIPath(pattern string) string {
	return strings.ReplaceAll(pattern, "...}", "}")
}
