package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

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

func (w *caseWorld) download(t *testing.T, as *ent.Contact, url string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, w.Server.URL+url, nil)
	req.Header.Set("Authorization", "Bearer "+w.tokens[as])
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
