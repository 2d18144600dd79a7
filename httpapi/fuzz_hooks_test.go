package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// FuzzSideDoors drives the endpoints beside /graphql that take input: the
// bounce hook (with and without its secret) and the attachment download
// (its signed-link query, with and without a bearer token). Whatever is
// sent, the answer is never 5xx, and an error is JSON with a code.
//
//	go test -run '^$' -fuzz '^FuzzSideDoors$' -fuzztime 30s ./httpapi
func FuzzSideDoors(f *testing.F) {
	const secret = "s3cret-bounce-hook"
	e := testkit.New(f, testkit.WithConfig(func(c *httpapi.Config) { c.BounceSecret = secret; c.Rate = nil }))
	token := e.Token(e.Contact(e.Org(access.Customer, "Acme"), "Ada", access.RoleAdmin))
	f.Add(false, true, "", []byte(`{"recipient": "gone@acme.example", "type": "bounce", "detail": "550"}`))
	f.Add(false, true, "", []byte(`{"messageId": "<out_x@desk.example>", "type": "complaint"}`))
	f.Add(false, true, "", []byte(`{"type": "bounce", "extra": 1}`))
	f.Add(false, false, "", []byte(`{}`))
	f.Add(true, false, "expires=1&signature=AAAA", []byte(nil))
	f.Add(true, true, "expires=99999999999&signature=", []byte(nil))
	f.Add(true, false, "signature=%zz", []byte(nil))
	f.Fuzz(func(t *testing.T, download, authorised bool, query string, body []byte) {
		// A request line with spaces or control characters is net/http's
		// to refuse, before any handler of ours: no client sends one.
		if strings.ContainsFunc(query, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
			return
		}
		method, path, credential := http.MethodPost, "/hooks/bounce?", secret
		var reqBody io.Reader = bytes.NewReader(body)
		if download {
			method, path, credential, reqBody = http.MethodGet, "/attachments/att_01M8M00000000000000000000?", token, nil
		}
		req, err := http.NewRequest(method, e.Server.URL+path+query, reqBody)
		if err != nil {
			return // not a URL at all: no request reaches the server
		}
		if authorised {
			req.Header.Set("Authorization", "Bearer "+credential)
		}
		res, err := e.Server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s answered %d: %s", req.Method, req.URL.Path, res.StatusCode, raw)
		}
		if res.StatusCode < 400 {
			return
		}
		var out struct {
			Errors []struct {
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if json.Unmarshal(raw, &out) != nil || len(out.Errors) == 0 || out.Errors[0].Extensions["code"] == nil {
			t.Fatalf("%s %s answered %d without a coded error: %s", req.Method, req.URL.Path, res.StatusCode, raw)
		}
	})
}
