package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "gocloud.dev/blob/memblob"

	"github.com/partnerdesk/partnerdesk/attachments"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// upload sends addCaseAttachment as a GraphQL multipart request.
func (w *caseWorld) upload(t *testing.T, as *ent.Contact, caseID, name string, content []byte) testkit.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	ops, _ := json.Marshal(map[string]any{
		"query":     `mutation($c: ID!, $f: Upload!) { addCaseAttachment(input: {caseID: $c, file: $f}) { attachment { id name size contentType sha256 downloadURL } } }`,
		"variables": map[string]any{"c": caseID, "f": nil},
	})
	mw.WriteField("operations", string(ops))
	mw.WriteField("map", `{"0": ["variables.f"]}`)
	part, _ := mw.CreateFormFile("0", name)
	part.Write(content)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, w.Server.URL+"/graphql", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+w.tokens[as])
	return w.Do(req)
}

// download GETs the path of a downloadURL (its signature left out) with
// as's token.
func (w *caseWorld) download(t *testing.T, as *ent.Contact, link string) (*http.Response, []byte) {
	t.Helper()
	path, _, _ := strings.Cut(link, "?")
	req, _ := http.NewRequest(http.MethodGet, w.Server.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+w.tokens[as])
	return w.send(t, req)
}

// follow GETs a download link as a browser follows it: no Authorization.
func (w *caseWorld) follow(t *testing.T, link string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, w.Server.URL+link, nil)
	return w.send(t, req)
}

func (w *caseWorld) send(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	res, err := w.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func TestAttachmentsUploadDownloadAndDelete(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S3")
	content := []byte("%PDF-1.4\nthe logs\n")
	var got struct {
		AddCaseAttachment struct {
			Attachment struct {
				ID, Name, ContentType, Sha256, DownloadURL string
				Size                                       int
			}
		}
	}
	w.upload(t, w.partner, c.ID, "../../etc/logs ✓.pdf", content).Decode(t, &got)
	a := got.AddCaseAttachment.Attachment
	sum := sha256.Sum256(content)
	if a.Name != "logs ✓.pdf" || a.ContentType != "application/pdf" || a.Size != len(content) || a.Sha256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("stored %+v", a)
	}

	res, body := w.download(t, w.member, a.DownloadURL)
	if res.StatusCode != 200 || !bytes.Equal(body, content) || res.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v", res.StatusCode, res.Header)
	}
	if res, _ := w.download(t, w.globexAdmin, a.DownloadURL); res.StatusCode != http.StatusNotFound {
		t.Fatalf("another customer downloads with %d", res.StatusCode)
	}

	if res := w.upload(t, w.member, c.ID, "big.bin", make([]byte, testkit.MaxAttachmentBytes+1)); res.Status != http.StatusRequestEntityTooLarge || res.Code() != "PAYLOAD_TOO_LARGE" || res.Errors[0].Extensions["field"] != "f" {
		t.Fatalf("oversize upload: %+v", res.Errors)
	}
	if res := w.upload(t, w.member, c.ID, "empty.txt", nil); res.Code() != "BAD_USER_INPUT" {
		t.Fatalf("empty upload: %+v", res.Errors)
	}
	if n := w.Client.Attachment.Query().CountX(w.System()); n != 1 {
		t.Fatalf("%d attachments after refused uploads", n)
	}

	del := `mutation($id: ID!) { deleteCaseAttachment(input: {id: $id}) { deletedAttachmentID events { kind } } }`
	if res := w.do(w.admin, del, map[string]any{"id": a.ID}); res.Code() != "FORBIDDEN" {
		t.Fatalf("a customer deleting an attachment: %+v", res.Errors)
	}
	var deleted struct {
		DeleteCaseAttachment struct {
			DeletedAttachmentID string
			Events              []struct{ Kind string }
		}
	}
	w.do(w.agent, del, map[string]any{"id": a.ID}).Decode(t, &deleted)
	if d := deleted.DeleteCaseAttachment; d.DeletedAttachmentID != a.ID || len(d.Events) != 1 || d.Events[0].Kind != "ATTACHMENT_REMOVED" {
		t.Fatalf("the deletion's payload: %+v", d)
	}
	if res, _ := w.download(t, w.member, a.DownloadURL); res.StatusCode != http.StatusNotFound {
		t.Fatalf("a deleted attachment downloads with %d", res.StatusCode)
	}
}

// TestAttachmentDownloadLinksAreSignedAndExpire: downloadURL is a link a
// browser can follow without a token, for a few minutes; one that has
// expired, or was made or changed by anyone but the server, is refused,
// and the bearer download works as before.
func TestAttachmentDownloadLinksAreSignedAndExpire(t *testing.T) {
	w := newCaseWorld(t)
	c := w.create(t, w.member, w.acme, "S3")
	uploaded := func(name, content string) string {
		var got struct {
			AddCaseAttachment struct {
				Attachment struct{ ID, DownloadURL string }
			}
		}
		w.upload(t, w.member, c.ID, name, []byte(content)).Decode(t, &got)
		return got.AddCaseAttachment.Attachment.DownloadURL
	}
	link := uploaded("logs.txt", "the logs")
	other := uploaded("other.txt", "something else")

	if res, body := w.follow(t, link); res.StatusCode != http.StatusOK || string(body) != "the logs" {
		t.Fatalf("following the link: %d %q", res.StatusCode, body)
	}
	refused := func(label, link, reason string) {
		t.Helper()
		res, body := w.follow(t, link)
		if res.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"reason":"`+reason+`"`) {
			t.Errorf("%s: %d %s, want 403 %s", label, res.StatusCode, body, reason)
		}
	}
	u, _ := url.Parse(link)
	q := u.Query()
	otherPath, _, _ := strings.Cut(other, "?")
	refused("another attachment's path with this signature", otherPath+"?"+q.Encode(), "LINK_INVALID")
	later := url.Values{"expires": {q.Get("expires") + "0"}, "signature": {q.Get("signature")}}
	refused("a later expiry", u.Path+"?"+later.Encode(), "LINK_INVALID")
	forged := url.Values{"expires": {q.Get("expires")}, "signature": {strings.Repeat("A", len(q.Get("signature")))}}
	refused("a made-up signature", u.Path+"?"+forged.Encode(), "LINK_INVALID")
	refused("no expiry", u.Path+"?"+url.Values{"signature": {q.Get("signature")}}.Encode(), "LINK_INVALID")

	w.Clock.Advance(attachments.DefaultLinkTTL - time.Second)
	if res, _ := w.follow(t, link); res.StatusCode != http.StatusOK {
		t.Errorf("a second before it expires, the link answers %d", res.StatusCode)
	}
	w.Clock.Advance(time.Second)
	refused("the link once expired", link, "LINK_EXPIRED")

	if res, body := w.download(t, w.member, link); res.StatusCode != http.StatusOK || string(body) != "the logs" {
		t.Errorf("the bearer download: %d %q", res.StatusCode, body)
	}
	if res, _ := w.follow(t, u.Path); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the path without a signature or a token answers %d, want 401", res.StatusCode)
	}
}

// TestAttachmentsInAnObjectStore runs uploads and downloads on a bucket
// that is no directory (gocloud's in-memory driver standing for S3): the
// download streams from the bucket, and a range request is answered from
// it too.
func TestAttachmentsInAnObjectStore(t *testing.T) {
	w := newCaseWorld(t, testkit.WithAttachments("mem://"))
	c := w.create(t, w.member, w.acme, "S3")
	content := bytes.Repeat([]byte("line of a log\n"), 1000)
	var got struct {
		AddCaseAttachment struct{ Attachment struct{ DownloadURL string } }
	}
	w.upload(t, w.member, c.ID, "log.txt", content).Decode(t, &got)
	url := got.AddCaseAttachment.Attachment.DownloadURL
	if res, body := w.download(t, w.agent, url); res.StatusCode != http.StatusOK || !bytes.Equal(body, content) {
		t.Fatalf("download: %d, %d bytes", res.StatusCode, len(body))
	}
	req, _ := http.NewRequest(http.MethodGet, w.Server.URL+url, nil)
	req.Header.Set("Authorization", "Bearer "+w.tokens[w.agent])
	req.Header.Set("Range", "bytes=14-27")
	res, err := w.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if body, _ := io.ReadAll(res.Body); res.StatusCode != http.StatusPartialContent || !bytes.Equal(body, content[14:28]) {
		t.Fatalf("range request: %d %q", res.StatusCode, body)
	}
}

// TestAttachmentsStoredByEarlierVersionsDownload checks that the files of
// a data directory from before attachments were kept in buckets, one
// plain file per content under <ab>/<cd>/<sha256>, still download, and
// that the same content uploaded again is found there.
func TestAttachmentsStoredByEarlierVersionsDownload(t *testing.T) {
	dir := t.TempDir()
	w := newCaseWorld(t, testkit.WithAttachments(attachments.DirURL(dir)))
	c := w.create(t, w.member, w.acme, "S3")
	content := []byte("%PDF-1.4\nuploaded last year\n")
	sum := sha256.Sum256(content)
	hash := hex.EncodeToString(sum[:])
	old := filepath.Join(dir, hash[0:2], hash[2:4], hash)
	if err := os.MkdirAll(filepath.Dir(old), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(old, content, 0o640); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(old)
	a := w.Client.Attachment.Create().SetCaseID(c.ID).SetCustomerID(w.acme.ID).SetUploadedByID(w.member.ID).
		SetName("old.pdf").SetContentType("application/pdf").SetSize(int64(len(content))).SetSha256(hash).
		SetCreatedAt(w.Clock.Now()).SaveX(w.System())
	var got struct{ Node struct{ DownloadURL string } }
	w.do(w.member, `query($id: ID!) { node(id: $id) { ... on CaseAttachment { downloadURL } } }`, map[string]any{"id": a.ID}).Decode(t, &got)
	if res, body := w.download(t, w.member, got.Node.DownloadURL); res.StatusCode != http.StatusOK || !bytes.Equal(body, content) {
		t.Fatalf("download: %d %q", res.StatusCode, body)
	}

	w.upload(t, w.member, c.ID, "again.pdf", content).Decode(t, &struct{}{})
	if after, err := os.Stat(old); err != nil || !os.SameFile(before, after) {
		t.Fatalf("the stored file was replaced: %v", err)
	}
}
