package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/attachments"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// jsonLimit bounds a JSON body of a test server, which leaves
// Config.MaxBodyBytes zero; operations and map share it.
const jsonLimit = httpapi.DefaultMaxBodyBytes

// attachLogs uploads $logs to $case. The variable is not called file, so
// that the transport's errors, which name variables, are told apart from
// the resolver's, which name its argument file.
const attachLogs = `mutation($case: ID!, $logs: Upload!) {
	addCaseAttachment(input: {caseID: $case, file: $logs}) { attachment { id name size sha256 downloadURL } }
}`

// canary is sent in every refused request; an error that echoes the body
// would carry it back.
const canary = "canary-5e1f0d"

// uploader is a running server, a customer admin and one of its cases.
type uploader struct {
	*testkit.Env
	url, token, caseID string
}

func newUploader(t *testing.T) uploader {
	t.Helper()
	e := testkit.New(t)
	acme := e.Org(access.Customer, "Acme")
	admin := e.Contact(acme, "Ada Admin", access.RoleAdmin)
	return uploader{Env: e, url: e.Server.URL, token: e.Token(admin), caseID: e.Case(acme, admin, "Printer on fire").ID}
}

// formPart is one part of a multipart request; a filename makes it a file.
type formPart struct {
	name, filename string
	content        []byte
}

func textPart(name string, content []byte) formPart { return formPart{name: name, content: content} }

func filePart(name string, content []byte) formPart {
	return formPart{name: name, filename: "logs.txt", content: content}
}

// multipartBody encodes parts in the order given.
func multipartBody(t *testing.T, parts ...formPart) ([]byte, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.name, p.filename)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.content)
	}
	mw.Close()
	return body.Bytes(), mw.FormDataContentType()
}

// operations encodes a GraphQL request, padded with JSON whitespace to
// size bytes when size is not zero.
func operations(t *testing.T, query string, vars map[string]any, size int) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	if size == 0 {
		return b
	}
	if len(b) > size {
		t.Fatalf("operations are %d bytes before padding to %d", len(b), size)
	}
	return append(append(b[:len(b)-1:len(b)-1], bytes.Repeat([]byte(" "), size-len(b))...), '}')
}

// padded is JSON followed by whitespace up to size bytes.
func padded(s string, size int) []byte {
	return append([]byte(s), bytes.Repeat([]byte(" "), size-len(s))...)
}

// uploadResult is a response with its raw body and its decoded errors.
type uploadResult struct {
	status int
	header http.Header
	raw    []byte
	data   json.RawMessage
	errors []testkit.Error
}

func (u uploader) post(t *testing.T, body io.Reader, contentType string) uploadResult {
	t.Helper()
	res, err := u.do(body, contentType)
	if err != nil {
		t.Fatalf("posting the upload: %v", err)
	}
	return result(t, res)
}

// do posts without a testing.T, for goroutines other than the test's.
func (u uploader) do(body io.Reader, contentType string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, u.url+"/graphql", body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+u.token)
	return http.DefaultClient.Do(req)
}

func result(t *testing.T, res *http.Response) uploadResult {
	t.Helper()
	defer res.Body.Close()
	out := uploadResult{status: res.StatusCode, header: res.Header}
	var err error
	if out.raw, err = io.ReadAll(res.Body); err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	var payload struct {
		Data   json.RawMessage `json:"data"`
		Errors []testkit.Error `json:"errors"`
	}
	if err := json.Unmarshal(out.raw, &payload); err != nil {
		t.Fatalf("status %d, body is not GraphQL JSON: %.300s", res.StatusCode, out.raw)
	}
	out.data, out.errors = payload.Data, payload.Errors
	return out
}

func (u uploader) send(t *testing.T, parts ...formPart) uploadResult {
	t.Helper()
	body, contentType := multipartBody(t, parts...)
	return u.post(t, bytes.NewReader(body), contentType)
}

// attachment is what addCaseAttachment returns.
type attachment struct {
	ID, Name, Sha256, DownloadURL string
	Size                          int
}

// stored checks that r is a successful upload of content, and that the
// attachment downloads as content.
func (u uploader) stored(t *testing.T, r uploadResult, content []byte) {
	t.Helper()
	if r.status != http.StatusOK || len(r.errors) > 0 {
		t.Fatalf("status %d, errors %+v", r.status, r.errors)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var got struct {
		AddCaseAttachment struct{ Attachment attachment }
	}
	if err := json.Unmarshal(r.data, &got); err != nil {
		t.Fatalf("decoding %s: %v", r.data, err)
	}
	a := got.AddCaseAttachment.Attachment
	sum := sha256.Sum256(content)
	if a.Size != len(content) || a.Sha256 != hex.EncodeToString(sum[:]) {
		t.Errorf("stored %d bytes with SHA-256 %s, want %d bytes", a.Size, a.Sha256, len(content))
	}
	req, _ := http.NewRequest(http.MethodGet, u.url+a.DownloadURL, nil)
	req.Header.Set("Authorization", "Bearer "+u.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if back, _ := io.ReadAll(res.Body); res.StatusCode != http.StatusOK || !bytes.Equal(back, content) {
		t.Errorf("download: status %d, %d bytes, want the %d bytes sent", res.StatusCode, len(back), len(content))
	}
}

// refused checks that r is a refusal before execution with code, and with
// field in extensions unless field is empty.
func refused(t *testing.T, r uploadResult, status int, code, field string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d", r.status, status)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if len(r.data) != 0 && string(r.data) != "null" {
		t.Errorf("data = %s, want none", r.data)
	}
	if len(r.errors) != 1 {
		t.Fatalf("errors = %+v, want one", r.errors)
	}
	ext := r.errors[0].Extensions
	if ext["code"] != code {
		t.Errorf("extensions = %v, want code %s (message %q)", ext, code, r.errors[0].Message)
	}
	if field != "" && ext["field"] != field {
		t.Errorf("extensions = %v, want field %q (message %q)", ext, field, r.errors[0].Message)
	}
	for _, leak := range []string{"json:", "interface {}", "graphql.", "*ent", "map[string]", "[]string", canary} {
		if bytes.Contains(r.raw, []byte(leak)) {
			t.Errorf("the response says %q: %s", leak, r.raw)
		}
	}
}

func (u uploader) attachmentCount(t *testing.T) int {
	t.Helper()
	return u.Client.Attachment.Query().CountX(u.System())
}

func (u uploader) logsVars(logs any) map[string]any {
	return map[string]any{"case": u.caseID, "logs": logs, "note": canary}
}

var logsMap = []byte(`{"0": ["variables.logs"]}`)

// TestMultipartUploadAtTheLimitsIsStored sends operations and map of
// exactly the JSON body limit and a file of exactly the attachment limit:
// neither budget is charged for the other, nor for the part headers.
func TestMultipartUploadAtTheLimitsIsStored(t *testing.T) {
	u := newUploader(t)
	content := bytes.Repeat([]byte("all work and no play\n"), testkit.MaxAttachmentBytes/21+1)[:testkit.MaxAttachmentBytes]
	// The same file also goes to a slot nested in objects and lists, which
	// the operation does not use.
	fileMap := []byte(`{"0": ["variables.logs", "variables.meta.copies.1"]}`)
	vars := u.logsVars(nil)
	vars["meta"] = map[string]any{"copies": []any{"first", nil}}
	ops := operations(t, attachLogs, vars, jsonLimit-len(fileMap))
	u.stored(t, u.send(t, textPart("operations", ops), textPart("map", fileMap), filePart("0", content)), content)
}

// TestMultipartOperationsAreBoundLikeAJSONBody checks that operations and
// map cannot borrow the file budget, nor run a mutation, when over the
// JSON body limit.
func TestMultipartOperationsAreBoundLikeAJSONBody(t *testing.T) {
	u := newUploader(t)
	tokens := func() int { return u.Client.AccessToken.Query().CountX(u.System()) }
	before := tokens()
	create := `mutation($note: String!) { createAccessToken(input: {name: $note}) { token } }`
	huge := operations(t, create, map[string]any{"note": canary}, 20<<20)
	for _, tc := range []struct {
		name string
		// field is what is found over the limit: with a Content-Length,
		// the body is refused before it is read.
		field, chunkedField string
		parts               []formPart
	}{
		{
			name: "20 MB operations", field: "body", chunkedField: "operations",
			parts: []formPart{textPart("operations", huge), textPart("map", []byte(`{}`))},
		},
		{
			name: "operations one byte over", field: "operations", chunkedField: "operations",
			parts: []formPart{
				textPart("operations", operations(t, create, map[string]any{"note": canary}, jsonLimit+1)),
				textPart("map", []byte(`{}`)),
			},
		},
		{
			name: "map over what operations left", field: "map", chunkedField: "map",
			parts: []formPart{
				textPart("operations", operations(t, create, map[string]any{"note": canary}, jsonLimit-10)),
				textPart("map", padded(`{}`, 11)),
			},
		},
	} {
		body, contentType := multipartBody(t, tc.parts...)
		t.Run(tc.name, func(t *testing.T) {
			refused(t, u.post(t, bytes.NewReader(body), contentType), http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", tc.field)
		})
		t.Run(tc.name+", chunked", func(t *testing.T) {
			r := u.post(t, struct{ io.Reader }{bytes.NewReader(body)}, contentType)
			refused(t, r, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", tc.chunkedField)
		})
	}
	if after := tokens(); after != before {
		t.Errorf("refused requests created tokens: %d before, %d after", before, after)
	}
}

func TestMultipartFileOverTheLimitIsRefused(t *testing.T) {
	u := newUploader(t)
	ops := operations(t, attachLogs, u.logsVars(nil), 0)
	r := u.send(t, textPart("operations", ops), textPart("map", logsMap), filePart("0", make([]byte, testkit.MaxAttachmentBytes+1)))
	refused(t, r, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "logs")
	if n := u.attachmentCount(t); n != 0 {
		t.Errorf("%d attachments stored", n)
	}
}

func TestMultipartMalformedRequestsAreRefused(t *testing.T) {
	u := newUploader(t)
	ops := operations(t, attachLogs, u.logsVars(nil), 0)
	content := []byte("the logs\n")
	withVars := func(vars map[string]any) []byte { return operations(t, attachLogs, vars, 0) }
	listVars := u.logsVars(nil)
	listVars["meta"] = map[string]any{"copies": []any{nil}}
	type want struct {
		status              int
		code, field, reason string
	}
	bad := func(field string) want { return want{http.StatusBadRequest, "BAD_USER_INPUT", field, ""} }
	for _, tc := range []struct {
		name        string
		parts       []formPart
		contentType string
		want        want
	}{
		{name: "map before operations", parts: []formPart{textPart("map", logsMap), textPart("operations", ops), filePart("0", content)}, want: bad("operations")},
		{name: "file before map", parts: []formPart{textPart("operations", ops), filePart("0", content), textPart("map", logsMap)}, want: bad("map")},
		{name: "no map", parts: []formPart{textPart("operations", ops)}, want: bad("map")},
		{name: "map names a missing part", parts: []formPart{textPart("operations", ops), textPart("map", logsMap)}, want: bad("logs")},
		{name: "part not in the map", parts: []formPart{textPart("operations", ops), textPart("map", logsMap), filePart("1", content)}, want: bad("1")},
		{name: "part sent twice", parts: []formPart{textPart("operations", ops), textPart("map", logsMap), filePart("0", content), filePart("0", content)}, want: bad("0")},
		{name: "path outside variables", parts: []formPart{textPart("operations", ops), textPart("map", []byte(`{"0": ["logs"]}`)), filePart("0", content)}, want: bad("map")},
		{name: "path of no variable", parts: []formPart{textPart("operations", ops), textPart("map", []byte(`{"0": ["variables."]}`)), filePart("0", content)}, want: bad("map")},
		{name: "path to a value", parts: []formPart{textPart("operations", withVars(u.logsVars(canary))), textPart("map", logsMap), filePart("0", content)}, want: bad("logs")},
		{name: "path past a list", parts: []formPart{textPart("operations", withVars(listVars)), textPart("map", []byte(`{"0": ["variables.logs", "variables.meta.copies.1"]}`)), filePart("0", content)}, want: bad("meta.copies.1")},
		{name: "path through a missing object", parts: []formPart{textPart("operations", ops), textPart("map", []byte(`{"0": ["variables.input.files.0"]}`)), filePart("0", content)}, want: bad("input.files.0")},
		{
			name:  "batched operations",
			parts: []formPart{textPart("operations", []byte(`[`+string(ops)+`,`+string(ops)+`]`)), textPart("map", logsMap), filePart("0", content)},
			want:  want{http.StatusBadRequest, "BAD_USER_INPUT", "operations", "BATCHING_NOT_SUPPORTED"},
		},
		{name: "malformed operations", parts: []formPart{textPart("operations", []byte(`{"query": "mutation { `+canary)), textPart("map", logsMap), filePart("0", content)}, want: bad("operations")},
		{name: "operations not an object", parts: []formPart{textPart("operations", []byte(`"`+canary+`"`)), textPart("map", logsMap), filePart("0", content)}, want: bad("operations")},
		{name: "operations null", parts: []formPart{textPart("operations", []byte(`null`)), textPart("map", []byte(`{}`))}, want: bad("operations")},
		{name: "variables not an object", parts: []formPart{textPart("operations", []byte(`{"query": "{ __typename }", "variables": ["`+canary+`"]}`)), textPart("map", []byte(`{}`))}, want: bad("operations")},
		{name: "query not a string", parts: []formPart{textPart("operations", []byte(`{"query": ["`+canary+`"]}`)), textPart("map", []byte(`{}`))}, want: bad("operations")},
		{name: "data after operations", parts: []formPart{textPart("operations", bytes.Repeat(ops, 2)), textPart("map", logsMap), filePart("0", content)}, want: bad("operations")},
		{name: "malformed map", parts: []formPart{textPart("operations", ops), textPart("map", []byte(`{"0": "variables.logs `+canary+`"}`)), filePart("0", content)}, want: bad("map")},
		{name: "map not an object", parts: []formPart{textPart("operations", ops), textPart("map", []byte(`["`+canary+`"]`)), filePart("0", content)}, want: bad("map")},
		{name: "empty list of paths", parts: []formPart{textPart("operations", ops), textPart("map", []byte(`{"0": []}`)), filePart("0", content)}, want: bad("map")},
		{
			name:  "too many files",
			parts: []formPart{textPart("operations", ops), textPart("map", []byte(`{"0": ["variables.logs"], "1": ["variables.more"]}`)), filePart("0", content), filePart("1", content)},
			want:  want{http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "map", ""},
		},
		{name: "no boundary", parts: []formPart{textPart("operations", ops)}, contentType: "multipart/form-data", want: bad("")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, contentType := multipartBody(t, tc.parts...)
			if tc.contentType != "" {
				contentType = tc.contentType
			}
			r := u.post(t, bytes.NewReader(body), contentType)
			refused(t, r, tc.want.status, tc.want.code, tc.want.field)
			if reason := r.errors[0].Extensions["reason"]; tc.want.reason != "" && reason != tc.want.reason {
				t.Errorf("reason = %v, want %s", reason, tc.want.reason)
			}
		})
	}
	if n := u.attachmentCount(t); n != 0 {
		t.Errorf("%d attachments stored by refused requests", n)
	}
}

// TestMultipartLargeUploadLeavesNoTemporaryFile streams a file larger than
// what the transport keeps in memory (1 MiB) to a server that accepts
// 4 MiB. The body is held back after 1.5 MiB of the file until a temporary
// file appears, so that the test knows the file went to disk; it must be
// gone once the response arrives.
func TestMultipartLargeUploadLeavesNoTemporaryFile(t *testing.T) {
	u := newUploader(t)
	store, err := attachments.New(context.Background(), attachments.DirURL(t.TempDir()), 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv := httptest.NewServer(httpapi.New(httpapi.Config{DB: u.DB, Clock: u.Clock, Attachments: store}))
	t.Cleanup(srv.Close)
	u.url = srv.URL
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	spooled := func() []string {
		names, _ := filepath.Glob(filepath.Join(tmp, "partnerdesk-upload-*"))
		return names
	}

	content := bytes.Repeat([]byte("0123456789abcdef"), (2<<20)/16)
	sent := len(content) * 3 / 4
	ops := operations(t, attachLogs, u.logsVars(nil), 0)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	resume := make(chan struct{})
	go func() {
		mw.WriteField("operations", string(ops))
		mw.WriteField("map", string(logsMap))
		part, _ := mw.CreateFormFile("0", "big.log")
		part.Write(content[:sent])
		<-resume
		part.Write(content[sent:])
		pw.CloseWithError(mw.Close())
	}()
	type response struct {
		res *http.Response
		err error
	}
	done := make(chan response, 1)
	go func() {
		res, err := u.do(pr, mw.FormDataContentType())
		done <- response{res, err}
	}()

	deadline := time.Now().Add(10 * time.Second)
	for len(spooled()) == 0 {
		if time.Now().After(deadline) {
			pw.CloseWithError(errors.New("the test gave up"))
			close(resume)
			if r := <-done; r.err == nil {
				r.res.Body.Close()
			}
			t.Fatalf("%d bytes of the file were sent and none reached a temporary file", sent)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(resume)
	r := <-done
	if r.err != nil {
		t.Fatalf("posting the upload: %v", r.err)
	}
	u.stored(t, result(t, r.res), content)
	if left := spooled(); len(left) > 0 {
		t.Errorf("temporary files left after the response: %v", left)
	}
}
