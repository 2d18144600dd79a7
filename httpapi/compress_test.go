package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// rawClient leaves Content-Encoding to the test: Go's transport would
// otherwise ask for gzip and undo it unseen.
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

func sendRaw(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	res, err := rawClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// TestResponsesAreGzippedWhenAccepted: a large answer is gzipped for a
// client that accepts gzip, and only then; a small one, and an event
// stream, are not.
func TestResponsesAreGzippedWhenAccepted(t *testing.T) {
	c := newCaller(t)
	schema := func(acceptEncoding string) (*http.Response, []byte) {
		body, _ := json.Marshal(map[string]any{"query": `{ __schema { types { name description fields { name description } } } }`})
		req := c.request(t, http.MethodPost, "/graphql", bytes.NewReader(body))
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		return sendRaw(t, req)
	}

	res, raw := schema("gzip, deflate, br")
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("the schema with Accept-Encoding gzip: Content-Encoding %q, Vary %q", res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !json.Valid(plain) || !strings.Contains(string(plain), `"__schema"`) {
		t.Fatalf("the gzipped answer does not decode to the schema: %v %.200s", err, plain)
	}
	if len(raw)*3 > len(plain) {
		t.Errorf("gzip made %d bytes of %d", len(raw), len(plain))
	}

	if res, raw := schema(""); res.Header.Get("Content-Encoding") != "" || !json.Valid(raw) {
		t.Errorf("without Accept-Encoding: Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}
	req := c.request(t, http.MethodPost, "/graphql", strings.NewReader(`{"query": "{ viewer { contact { id } } }"}`))
	req.Header.Set("Accept-Encoding", "gzip")
	if res, raw := sendRaw(t, req); res.Header.Get("Content-Encoding") != "" || !json.Valid(raw) {
		t.Errorf("a small answer: Content-Encoding %q", res.Header.Get("Content-Encoding"))
	}

	req = c.request(t, http.MethodPost, "/graphql", strings.NewReader(`{"query": "{ viewer { contact { id } } }"}`))
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Accept-Encoding", "gzip")
	if res, raw := sendRaw(t, req); res.Header.Get("Content-Encoding") != "" || !strings.Contains(string(raw), "event: next") {
		t.Errorf("an event stream: Content-Encoding %q, body %.200s", res.Header.Get("Content-Encoding"), raw)
	}
}
