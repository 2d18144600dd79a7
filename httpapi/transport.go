package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/requestid"
)

// The media types of a GraphQL answer over HTTP.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// plainHTTP is the transport of GraphQL over HTTP
// (https://graphql.github.io/graphql-over-http/draft/): POST with a JSON
// body, and GET with the request in the URL. It replaces gqlgen's POST and
// GET transports, which answer a GraphQL request error (a document that
// does not parse or validate, variables that do not coerce) with 422 and
// "data": null. The specification answers it with 200 under
// application/json (the request was well formed; its answer is the
// errors), with 400 under application/graphql-response+json, and without a
// data entry: the operation never ran (see answerRefused).
//
// checkRequest has looked at the request first: its method, media type,
// size, and the JSON types of its parameters.
type plainHTTP struct{}

var _ graphql.Transport = plainHTTP{}

func (plainHTTP) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" {
		return false
	}
	switch r.Method {
	case http.MethodGet:
		return true
	case http.MethodPost:
		media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		return err == nil && media == mediaJSON
	}
	return false
}

func (plainHTTP) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	params, refused := readParams(r)
	if refused != nil {
		writeError(w, http.StatusBadRequest, refused)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	media := responseMedia(r)
	ctx := r.Context()
	rc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		status, body := answerRefused(ctx, exec, rc, errs, media)
		writeAnswer(ctx, w, status, media, body)
		return
	}
	if r.Method == http.MethodGet && rc.Operation.Operation != ast.Query {
		// checkGET refused what it could parse; an operation it could not
		// see (a persisted query, say) is refused here.
		writeError(w, http.StatusMethodNotAllowed, getRefused(rc.Operation.Operation))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeAnswer(ctx, w, http.StatusOK, media, responses(ctx))
}

// readParams reads the parameters of a GraphQL request: from a POST's body,
// or from a GET's URL. A request with no query, and no persisted query
// instead, is not a GraphQL request: it is refused with 400 whatever the
// media type, as a malformed request is.
func readParams(r *http.Request) (*graphql.RawParams, *apperr.Error) {
	params := &graphql.RawParams{}
	if r.Method == http.MethodGet {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, apperr.Invalid("query", "the URL's query string is malformed")
		}
		params.Query, params.OperationName = q.Get("query"), q.Get("operationName")
		for _, p := range []struct {
			name string
			into *map[string]any
		}{{"variables", &params.Variables}, {"extensions", &params.Extensions}} {
			if v := q.Get(p.name); v != "" && decodeJSON(strings.NewReader(v), p.into) != nil {
				return nil, apperr.Invalid(p.name, "%s must be a JSON object", p.name)
			}
		}
	} else if decodeJSON(r.Body, params) != nil {
		return nil, apperr.Invalid("body", "the request body is not a JSON object")
	}
	if !hasQuery(params) {
		return nil, apperr.Invalid("query", "the request has no query: send a GraphQL document in query")
	}
	return params, nil
}

// hasQuery reports whether a request names its operation's document: in
// query, or as a persisted query (whose document the server may hold).
func hasQuery(p *graphql.RawParams) bool {
	return p.Query != "" || p.Extensions["persistedQuery"] != nil
}

func decodeJSON(r io.Reader, v any) error {
	d := json.NewDecoder(r)
	d.UseNumber()
	return d.Decode(v)
}

// responseMedia is the media type of the answer, from the request's Accept
// header: the first of application/json and
// application/graphql-response+json it names, application/json for */*,
// application/* or no Accept at all, and application/graphql-response+json
// for anything else (as gqlgen's transports choose).
func responseMedia(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return mediaJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		media, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch media {
		case "*/*", "application/*", mediaJSON:
			return mediaJSON
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		}
	}
	return mediaGraphQLResponse
}

// requestErrors is the answer to a GraphQL request error: an operation
// that never ran has no data entry, not even a null one.
type requestErrors struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// answerRefused is the status and body of an operation gqlgen refused
// before running it, under the media type of the answer.
//
// A GraphQL request error (gqlgen's parse and validation failures, which
// include variables that do not coerce) has no data entry, and its status
// is 200 under application/json and 400 under
// application/graphql-response+json. Any other refusal (a limit, a
// persisted query the server does not hold) is answered as before, with
// 200 and "data": null: the statuses of refusals are theirs, and the
// limits say what a client may change to pass.
func answerRefused(ctx context.Context, exec graphql.GraphExecutor, rc *graphql.OperationContext, errs gqlerror.List, media string) (int, any) {
	// Before DispatchError: the error presenter recodes gqlgen's errors in
	// place (GRAPHQL_PARSE_FAILED becomes the reason of a BAD_USER_INPUT).
	kind := errcode.GetErrorKind(errs)
	res := exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
	if kind != errcode.KindProtocol {
		return http.StatusOK, res
	}
	status := http.StatusOK
	if media == mediaGraphQLResponse {
		status = http.StatusBadRequest
	}
	return status, requestErrors{Errors: res.Errors, Extensions: res.Extensions}
}

// writeAnswer writes a GraphQL answer as media, with status. An answer
// that does not encode is a defect of the server's: it is logged, and the
// client gets INTERNAL.
func writeAnswer(ctx context.Context, w http.ResponseWriter, status int, media string, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		slog.ErrorContext(ctx, "encoding a GraphQL response", "request_id", requestid.FromContext(ctx), "error", err)
		writeError(w, http.StatusInternalServerError, &apperr.Error{Code: apperr.Internal, Message: "internal error"})
		return
	}
	w.Header().Set("Content-Type", media)
	w.WriteHeader(status)
	w.Write(b)
}

// getRefused refuses an operation other than a query sent with GET, which
// must be safe to repeat and to cache.
func getRefused(op ast.Operation) *apperr.Error {
	return &apperr.Error{Code: apperr.BadUserInput, Reason: "METHOD_NOT_ALLOWED",
		Message: "only queries may be sent with GET; send " + string(op) + "s with POST"}
}
