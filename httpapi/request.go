package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/limits"
)

// checkRequest refuses, with a coded error and before gqlgen reads it, a
// request /graphql does not take: a method or media type it does not
// serve, a body over max, a body that is not one JSON object of the
// GraphQL-over-HTTP shape (an array is a batch, which is refused), GET
// parameters that are not JSON objects, or an operation other than a query
// sent with GET. gqlgen's transports would answer some of these with a
// message naming Go types or echoing the body, and without a code.
func checkRequest(max int64, lim *limits.Extension, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if websocket.IsWebSocketUpgrade(r) || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		var err *apperr.Error
		status := http.StatusBadRequest
		switch r.Method {
		case http.MethodGet:
			status, err = checkGET(r)
		case http.MethodPost:
			status, err = checkPOST(r, max, lim)
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			status, err = http.StatusMethodNotAllowed, &apperr.Error{Code: apperr.BadUserInput, Reason: "METHOD_NOT_ALLOWED",
				Message: "send GraphQL requests with POST (or queries with GET)"}
		}
		if err != nil {
			writeError(w, status, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func checkPOST(r *http.Request, limit int64, lim *limits.Extension) (int, *apperr.Error) {
	media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch media {
	case "multipart/form-data":
		return 0, nil // the upload transport bounds its own parts
	case "application/json":
	default:
		return http.StatusUnsupportedMediaType, &apperr.Error{Code: apperr.BadUserInput, Reason: "UNSUPPORTED_MEDIA_TYPE",
			Message: "send a JSON body (Content-Type: application/json), or a multipart upload"}
	}
	if r.ContentLength > limit {
		return http.StatusRequestEntityTooLarge, tooLarge(limit)
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(limit+1, max(r.ContentLength, 512)+1)))
	_, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1))
	body := buf.Bytes()
	if err != nil {
		return http.StatusBadRequest, apperr.Invalid("body", "the request body could not be read")
	}
	if int64(len(body)) > limit {
		return http.StatusRequestEntityTooLarge, tooLarge(limit)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return checkParams(body, lim)
}

func tooLarge(max int64) *apperr.Error {
	return apperr.Limited(apperr.PayloadTooLarge, "", max, max+1, "the request body is larger than %d bytes", max)
}

// checkParams checks that a body is one JSON object whose members have the
// types GraphQL over HTTP gives them, and that it is within the limits
// that can be told before gqlgen decodes it. It reads the body once:
// reading JSON is most of what a large body costs.
func checkParams(body []byte, lim *limits.Extension) (int, *apperr.Error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return http.StatusBadRequest, &apperr.Error{Code: apperr.BadUserInput, Reason: "BATCHING_NOT_SUPPORTED",
			Message: "send one operation per request: batches are not supported"}
	}
	notAnObject := apperr.Invalid("body", "the request body is not a JSON object")
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		return http.StatusBadRequest, notAnObject
	}
	for d.More() {
		key, err := d.Token()
		if err != nil {
			return http.StatusBadRequest, notAnObject
		}
		// gqlgen's decoder matches member names in any case, so these
		// checks must too: {"Query": 5} is a query.
		name, _ := key.(string)
		switch strings.ToLower(name) {
		case "query", "operationname":
			tok, err := d.Token()
			if err != nil {
				return http.StatusBadRequest, notAnObject
			}
			text, ok := tok.(string)
			if !ok && tok != nil {
				return http.StatusBadRequest, apperr.Invalid(name, "%s must be a string or null", name)
			}
			if strings.EqualFold(name, "query") {
				if err := lim.CheckQuery(text); err != nil {
					return http.StatusOK, err
				}
			}
		case "variables", "extensions":
			tok, err := d.Token()
			if err != nil {
				return http.StatusBadRequest, notAnObject
			}
			switch {
			case tok == nil:
			case tok != json.Delim('{'):
				return http.StatusBadRequest, apperr.Invalid(name, "%s must be an object or null", name)
			case strings.EqualFold(name, "variables"):
				if err := lim.CheckVariables(d); err != nil {
					return http.StatusOK, err
				}
			default:
				if err := skipObject(d); err != nil {
					return http.StatusBadRequest, notAnObject
				}
			}
		default:
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return http.StatusBadRequest, notAnObject
			}
		}
	}
	if _, err := d.Token(); err != nil {
		return http.StatusBadRequest, notAnObject
	}
	if _, err := d.Token(); err != io.EOF {
		return http.StatusBadRequest, apperr.Invalid("body", "the request body holds more than one JSON value")
	}
	return 0, nil
}

// skipObject reads the rest of an object whose opening brace was read.
func skipObject(d *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// checkGET checks the parameters of a GET request, which may only ask for
// a query: GET must be safe to repeat and to cache (405 otherwise).
func checkGET(r *http.Request) (int, *apperr.Error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return http.StatusBadRequest, apperr.Invalid("query", "the URL's query string is malformed")
	}
	for _, name := range []string{"variables", "extensions"} {
		if v := q.Get(name); v != "" {
			var obj map[string]any
			if json.Unmarshal([]byte(v), &obj) != nil {
				return http.StatusBadRequest, apperr.Invalid(name, "%s must be a JSON object", name)
			}
		}
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: q.Get("query")})
	if err != nil {
		return 0, nil // the limits and gqlgen answer a bad document
	}
	if op := doc.Operations.ForName(q.Get("operationName")); op != nil && op.Operation != ast.Query {
		return http.StatusMethodNotAllowed, getRefused(op.Operation)
	}
	return 0, nil
}

// unsupported is the last transport: it answers, with a code, a request no
// other transport took (checkRequest lets few through).
type unsupported struct{}

var _ graphql.Transport = unsupported{}

func (unsupported) Supports(*http.Request) bool { return true }

func (unsupported) Do(w http.ResponseWriter, _ *http.Request, _ graphql.GraphExecutor) {
	writeError(w, http.StatusBadRequest, &apperr.Error{Code: apperr.BadUserInput, Reason: "UNSUPPORTED_TRANSPORT",
		Message: "this request is not a GraphQL request this server takes"})
}

// A refusal decided inside gqlgen (a sign-in, a rate limit) has an HTTP
// status and headers that gqlgen's transports do not set: the request
// carries a reply for it, applied when the response is first written.
type reply struct {
	status     int
	retryAfter time.Duration
}

type replyKey struct{}

func setReply(ctx context.Context, status int, retryAfter time.Duration) {
	if rep, ok := ctx.Value(replyKey{}).(*reply); ok {
		rep.status, rep.retryAfter = status, retryAfter
	}
}

// withReply lets setReply reach the response of a plain HTTP request. A
// websocket is left alone: its status is the upgrade's.
func withReply(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if websocket.IsWebSocketUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		rep := &reply{}
		next.ServeHTTP(&replyWriter{ResponseWriter: w, rep: rep}, r.WithContext(context.WithValue(r.Context(), replyKey{}, rep)))
	})
}

type replyWriter struct {
	http.ResponseWriter
	rep   *reply
	wrote bool
}

func (w *replyWriter) WriteHeader(status int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if w.rep.status != 0 {
		status = w.rep.status
	}
	if w.rep.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(w.rep.retryAfter/time.Second), 10))
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *replyWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.ResponseWriter.Write(p)
}

// Flush keeps server-sent events streaming through the wrapper.
func (w *replyWriter) Flush() {
	w.WriteHeader(http.StatusOK)
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the connection underneath.
func (w *replyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
