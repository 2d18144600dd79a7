// Package requestid tags each request with an ID that appears in the logs
// and, for internal errors, in the response, so that a user's report can be
// matched to the server's log line.
package requestid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
)

// Header is the request and response header carrying the ID.
const Header = "X-Request-Id"

// MaxLen bounds an ID a client sends.
const MaxLen = 128

type ctxKey struct{}

// FromContext returns the request's ID, or "" outside a request.
func FromContext(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// Middleware gives every request an ID and echoes it in the response: the
// caller's X-Request-Id when it is a valid one, else the trace ID of its
// W3C traceparent, else a fresh one. Keeping the caller's ID lets a
// gateway's log lines be joined to ours; a client that sends another
// caller's ID only mislabels its own requests, so it is kept, once checked
// to be short and plain enough to log.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(Header)
		if !Valid(id) {
			id = traceID(r.Header.Get("Traceparent"))
		}
		if id == "" {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set(Header, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, id)))
	})
}

// Valid reports whether id may serve as a request ID: 1 to MaxLen
// letters, digits and the punctuation of UUIDs, ULIDs and the IDs of
// common gateways, nothing that could split or forge a log line.
func Valid(id string) bool {
	if id == "" || len(id) > MaxLen {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-_.:/+=@", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// traceID returns the trace ID of a version-00 W3C traceparent header
// (00-<32 hex>-<16 hex>-<2 hex>), or "" when it is not a valid one.
func traceID(tp string) string {
	parts := strings.Split(tp, "-")
	if len(parts) != 4 || parts[0] != "00" || len(parts[1]) != 32 || len(parts[2]) != 16 || len(parts[3]) != 2 {
		return ""
	}
	for _, p := range parts[1:] {
		if !isLowerHex(p) {
			return ""
		}
	}
	// All zeros is W3C's invalid trace or parent ID.
	if strings.Trim(parts[1], "0") == "" || strings.Trim(parts[2], "0") == "" {
		return ""
	}
	return parts[1]
}

func isLowerHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
