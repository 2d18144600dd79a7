package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// answer is a response's status, Content-Type and top-level members.
type answer struct {
	status      int
	contentType string
	raw         []byte
	top         map[string]json.RawMessage
	errors      []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
}

func readAnswer(t *testing.T, req *http.Request) answer {
	t.Helper()
	res, raw := send(t, req)
	a := answer{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), raw: raw}
	if err := json.Unmarshal(raw, &a.top); err != nil {
		t.Fatalf("status %d, the body is not a JSON object: %s", res.StatusCode, raw)
	}
	if err := json.Unmarshal(a.top["errors"], &a.errors); a.top["errors"] != nil && err != nil {
		t.Fatalf("errors is not a list of errors: %s", raw)
	}
	return a
}

// gqlParams are the parameters of a GraphQL request.
type gqlParams struct {
	query, operationName string
	variables            map[string]any
}

// graphQLRequest is a request for p by method (POST sends a JSON body, GET
// the URL's parameters), accepting accept ("" sends no Accept header).
func (c caller) graphQLRequest(t *testing.T, method string, p gqlParams, accept string) *http.Request {
	t.Helper()
	var req *http.Request
	if method == http.MethodGet {
		q := url.Values{"query": {p.query}}
		if p.operationName != "" {
			q.Set("operationName", p.operationName)
		}
		if p.variables != nil {
			b, _ := json.Marshal(p.variables)
			q.Set("variables", string(b))
		}
		req = c.request(t, method, "/graphql?"+q.Encode(), nil)
	} else {
		b, _ := json.Marshal(map[string]any{"query": p.query, "operationName": p.operationName, "variables": p.variables})
		req = c.request(t, method, "/graphql", bytes.NewReader(b))
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return req
}

// TestRequestErrorsFollowTheMediaType: a GraphQL request error (a document
// that does not parse or validate, variables that do not coerce) is
// answered, as GraphQL over HTTP says, with 200 under application/json (the
// request was well formed; its answer is the errors) and 400 under
// application/graphql-response+json, and in both without a data entry,
// since no operation ran. gqlgen's own transports answer 422 and
// "data": null.
func TestRequestErrorsFollowTheMediaType(t *testing.T) {
	c := newCaller(t)
	failures := []struct {
		name   string
		params gqlParams
		reason string
	}{
		{"parse", gqlParams{query: `{`}, "GRAPHQL_PARSE_FAILED"},
		{"validation", gqlParams{query: `{ viewer { nope } }`}, "GRAPHQL_VALIDATION_FAILED"},
		{"coercion", gqlParams{query: `query($id: ID!) { node(id: $id) { id } }`, variables: map[string]any{"id": nil}}, "GRAPHQL_VALIDATION_FAILED"},
		{"unknown operation", gqlParams{query: `query A { __typename }`, operationName: "B"}, "GRAPHQL_VALIDATION_FAILED"},
	}
	accepts := []struct {
		accept, media string
		status        int
	}{
		{"", "application/json", http.StatusOK},
		{"application/json", "application/json", http.StatusOK},
		{"*/*", "application/json", http.StatusOK},
		{"application/graphql-response+json", "application/graphql-response+json", http.StatusBadRequest},
		{"application/graphql-response+json, application/json;q=0.9", "application/graphql-response+json", http.StatusBadRequest},
	}
	for _, f := range failures {
		for _, a := range accepts {
			for _, method := range []string{http.MethodPost, http.MethodGet} {
				t.Run(fmt.Sprintf("%s/%s/%q", f.name, method, a.accept), func(t *testing.T) {
					req := c.graphQLRequest(t, method, f.params, a.accept)
					got := readAnswer(t, req)
					if got.status != a.status {
						t.Errorf("status = %d, want %d: %s", got.status, a.status, got.raw)
					}
					if !strings.HasPrefix(got.contentType, a.media) {
						t.Errorf("Content-Type = %q, want %s", got.contentType, a.media)
					}
					if _, ok := got.top["data"]; ok {
						t.Errorf("the answer has a data entry, though no operation ran: %s", got.raw)
					}
					if len(got.errors) == 0 {
						t.Fatalf("no errors: %s", got.raw)
					}
					if ext := got.errors[0].Extensions; ext["code"] != "BAD_USER_INPUT" || ext["reason"] != f.reason {
						t.Errorf("extensions = %v, want code BAD_USER_INPUT, reason %s", ext, f.reason)
					}
				})
			}
		}
	}
}

// TestRequestWithoutQueryIsMalformed: a request that names no document (no
// query, and no persisted query) is not a GraphQL request; it is refused
// with 400 whatever the client accepts, as a malformed body is.
func TestRequestWithoutQueryIsMalformed(t *testing.T) {
	c := newCaller(t)
	for _, accept := range []string{"application/json", "application/graphql-response+json"} {
		for _, tc := range []struct {
			name string
			req  func() *http.Request
		}{
			{"a misspelt query", func() *http.Request {
				return c.request(t, http.MethodPost, "/graphql", strings.NewReader(`{"qeury": "{ __typename }"}`))
			}},
			{"an empty object", func() *http.Request { return c.request(t, http.MethodPost, "/graphql", strings.NewReader(`{}`)) }},
			{"a null query", func() *http.Request {
				return c.request(t, http.MethodPost, "/graphql", strings.NewReader(`{"query": null, "variables": {}}`))
			}},
			{"an empty query", func() *http.Request {
				return c.request(t, http.MethodPost, "/graphql", strings.NewReader(`{"query": ""}`))
			}},
			{"GET without query", func() *http.Request { return c.request(t, http.MethodGet, "/graphql?operationName=A", nil) }},
		} {
			t.Run(accept+"/"+tc.name, func(t *testing.T) {
				req := tc.req()
				req.Header.Set("Accept", accept)
				got := readAnswer(t, req)
				if got.status != http.StatusBadRequest {
					t.Errorf("status = %d, want 400: %s", got.status, got.raw)
				}
				if len(got.errors) != 1 || got.errors[0].Extensions["code"] != "BAD_USER_INPUT" || got.errors[0].Extensions["field"] != "query" {
					t.Errorf("want one BAD_USER_INPUT error on query: %s", got.raw)
				}
			})
		}
	}
}

// TestRefusalsKeepTheirStatuses: the media type decides the status of a
// GraphQL request error only. A refusal keeps its own, whatever the client
// accepts: 401 without a token, and 200 for a limit, whether the document
// (depth) or the operation (complexity) is refused.
func TestRefusalsKeepTheirStatuses(t *testing.T) {
	c := newCaller(t)
	deep := `{ viewer { organization { cases(first: 1) { edges { node { customer { cases(first: 1) { edges { node { customer {
		cases(first: 1) { edges { node { customer { cases(first: 1) { edges { node { customer { title } } } } } } } } } } } } } } } } } } }`
	complex := `{ organizations(first: 100) { edges { node { cases(first: 100) { edges { node {
		comments(first: 100) { edges { node { body } } } } } } } } } }`
	for _, accept := range []string{"application/json", "application/graphql-response+json"} {
		t.Run(accept, func(t *testing.T) {
			req := c.graphQLRequest(t, http.MethodPost, gqlParams{query: viewerQuery}, accept)
			req.Header.Del("Authorization")
			if got := readAnswer(t, req); got.status != http.StatusUnauthorized || len(got.errors) != 1 || got.errors[0].Extensions["code"] != "UNAUTHENTICATED" {
				t.Errorf("without a token: status %d, %s; want 401 UNAUTHENTICATED", got.status, got.raw)
			}
			for reason, query := range map[string]string{"DEPTH": deep, "COMPLEXITY": complex} {
				got := readAnswer(t, c.graphQLRequest(t, http.MethodPost, gqlParams{query: query}, accept))
				if got.status != http.StatusOK || len(got.errors) != 1 || got.errors[0].Extensions["code"] != "QUERY_TOO_COMPLEX" || got.errors[0].Extensions["reason"] != reason {
					t.Errorf("%s: status %d, %s; want 200 QUERY_TOO_COMPLEX", reason, got.status, got.raw)
				}
			}
		})
	}
}

// TestGetPersistedMutationIsMethodNotAllowed: a GET naming a persisted
// mutation by its hash, whose document checkGET cannot see, is refused
// with 405 once gqlgen has found the document, and runs nothing.
func TestGetPersistedMutationIsMethodNotAllowed(t *testing.T) {
	c := newCaller(t)
	create := `mutation { createAccessToken(input: {name: "persisted"}) { token } }`
	sum := sha256.Sum256([]byte(create))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}

	// Persisting it runs it once, over POST.
	b, _ := json.Marshal(map[string]any{"query": create, "extensions": ext})
	if got := readAnswer(t, c.request(t, http.MethodPost, "/graphql", bytes.NewReader(b))); got.status != http.StatusOK || len(got.errors) > 0 {
		t.Fatalf("persisting the mutation: status %d, %s", got.status, got.raw)
	}
	before := len(c.tokens(t))

	e, _ := json.Marshal(ext)
	got := readAnswer(t, c.request(t, http.MethodGet, "/graphql?extensions="+url.QueryEscape(string(e)), nil))
	if got.status != http.StatusMethodNotAllowed || len(got.errors) != 1 || got.errors[0].Extensions["reason"] != "METHOD_NOT_ALLOWED" {
		t.Errorf("status %d, %s; want 405 METHOD_NOT_ALLOWED", got.status, got.raw)
	}
	if after := len(c.tokens(t)); after != before {
		t.Errorf("the mutation ran over GET: %d tokens before, %d after", before, after)
	}
}

// TestMultipartRequestErrorIsAnsweredWithOK: an upload answers as
// application/json, so a request error in its operations is a 200 without
// a data entry, as over a JSON POST.
func TestMultipartRequestErrorIsAnsweredWithOK(t *testing.T) {
	u := newUploader(t)
	r := u.send(t,
		textPart("operations", operations(t, `mutation($case: ID!, $logs: Upload!) { addCaseAttachment(caseID: $case, file: $logs) { nope } }`, u.logsVars(nil), 0)),
		textPart("map", logsMap),
		filePart("0", []byte("the logs\n")),
	)
	if r.status != http.StatusOK {
		t.Errorf("status = %d, want 200: %s", r.status, r.raw)
	}
	if bytes.Contains(r.raw, []byte(`"data"`)) {
		t.Errorf("the answer has a data entry, though no operation ran: %s", r.raw)
	}
	if len(r.errors) == 0 || r.errors[0].Extensions["reason"] != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("want a validation error: %s", r.raw)
	}
	if n := u.attachmentCount(t); n != 0 {
		t.Errorf("%d attachments stored by a request that failed validation", n)
	}

	r = u.send(t, textPart("operations", []byte(`{"variables": {}}`)), textPart("map", []byte(`{}`)))
	refused(t, r, http.StatusBadRequest, "BAD_USER_INPUT", "operations")
}
