package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pactwatch/pactwatch/vocab"
)

// The role check of every route, for every role: a role outside the
// route's list gets 401 (no token) or 403, a role inside never does.
func TestRolesPerEndpoint(t *testing.T) {
	f := newFixture(t)
	fill := strings.NewReplacer("{id}", "00000000-0000-4000-8000-000000000000", "{sha256}", strings.Repeat("ab", 32), "{path...}", "0/000")
	for _, rt := range f.srv.Routes() {
		for _, role := range vocab.Roles() {
			t.Run(rt.Method+" "+rt.Pattern+" as "+string(role), func(t *testing.T) {
				status, body := f.do(role, rt.Method, fill.Replace(rt.Pattern), "application/json", []byte("{}"))
				denied := status == http.StatusUnauthorized || status == http.StatusForbidden
				if slices.Contains(rt.Roles, role) {
					if denied && !strings.Contains(string(body), `"field":"reporter"`) {
						t.Errorf("allowed role denied: %d %s", status, body)
					}
					return
				}
				want := http.StatusForbidden
				if role == vocab.RolePublic {
					want = http.StatusUnauthorized
				}
				if status != want {
					t.Errorf("got %d %s, want %d", status, body, want)
				}
			})
		}
	}
}

// The OpenAPI document lists exactly the server's routes, with the same
// roles.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		c.Extra = LedgerRoutes()
		c.Mount = func(*http.ServeMux, func(http.ResponseWriter, *http.Request, error)) {}
	})
	var doc struct {
		Paths map[string]map[string]struct {
			Roles []string `json:"x-roles"`
		} `json:"paths"`
	}
	status, body := f.do("", "GET", "/api/v1/openapi.json", "", nil)
	if status != 200 {
		t.Fatalf("openapi.json: %d", status)
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, rt := range f.srv.Routes() {
		path := openAPIPath(rt.Pattern)
		key := strings.ToLower(rt.Method) + " " + path
		seen[key] = true
		op, ok := doc.Paths[path][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("route %s %s is not in the OpenAPI document", rt.Method, rt.Pattern)
			continue
		}
		if got, want := expandRoles(op.Roles), rt.Roles; !sameRoles(got, want) {
			t.Errorf("%s: document roles %v, route roles %v", key, got, want)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !seen[method+" "+path] {
				t.Errorf("the document lists %s %s, which no route serves", method, path)
			}
		}
	}
}

// expandRoles reads x-roles: "everyone" means every role including the
// public, "signed-in" every role but public.
func expandRoles(rs []string) []vocab.Role {
	var out []vocab.Role
	for _, r := range rs {
		if r == "everyone" {
			out = append(out, everyone...)
			continue
		}
		if r == "signed-in" {
			out = append(out, signedIn...)
			continue
		}
		out = append(out, vocab.Role(r))
	}
	return out
}

func sameRoles(a, b []vocab.Role) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
