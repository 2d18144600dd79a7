package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/attachments"
	"github.com/partnerdesk/partnerdesk/demo"
)

var tokenLine = regexp.MustCompile(`^pdt_[A-Za-z0-9_-]{43}\n$`)

// syncBuffer lets the test read what a running server has printed so far.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func command(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, &out)
	return out.String(), err
}

func TestOperatorCommandsPrintOnlyTheToken(t *testing.T) {
	dir := t.TempDir()
	out, err := command(t, "bootstrap", "--data-dir", dir, "--vendor", "Northwind Support", "--email", "Root@Northwind.example")
	if err != nil || !tokenLine.MatchString(out) {
		t.Fatalf("bootstrap printed %q, %v", out, err)
	}
	if _, err := command(t, "bootstrap", "--data-dir", dir, "--vendor", "Again", "--email", "x@y.example"); err == nil ||
		!strings.Contains(err.Error(), "not empty") {
		t.Fatalf("a second bootstrap must be refused, got %v", err)
	}

	// The environment twin of --data-dir finds the same database.
	t.Setenv("PARTNERDESK_DATA_DIR", dir)
	out, err = command(t, "token", "create", "--email", "root@northwind.example", "--expires-in", "90d")
	if err != nil || !tokenLine.MatchString(out) {
		t.Fatalf("token create printed %q, %v", out, err)
	}

	for name, args := range map[string][]string{
		"unknown contact":   {"token", "create", "--email", "nobody@northwind.example"},
		"bad lifetime":      {"token", "create", "--email", "root@northwind.example", "--expires-in", "ninety"},
		"missing email":     {"token", "create"},
		"unknown command":   {"token", "delete"},
		"stray argument":    {"token", "create", "--email", "root@northwind.example", "extra"},
		"bad flag value":    {"--request-timeout", "1s", "--max-body-bytes", "lots"},
		"bad vendor e-mail": {"bootstrap", "--data-dir", t.TempDir(), "--vendor", "V", "--email", "not-an-email"},
	} {
		t.Run(name, func(t *testing.T) {
			if out, err := command(t, args...); err == nil || out != "" {
				t.Fatalf("want an error and no output, got %q, %v", out, err)
			}
		})
	}
	t.Run("bad environment value", func(t *testing.T) {
		t.Setenv("PARTNERDESK_REQUEST_TIMEOUT", "soon")
		if _, err := command(t, "--addr", "127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "PARTNERDESK_REQUEST_TIMEOUT") {
			t.Fatalf("want an error naming the variable, got %v", err)
		}
	})
}

// TestAttachmentsURLIsTheStoreTheServerOpens checks that the server keeps
// attachments where --attachments-url (or its environment twin) says, and
// refuses to start on a store it cannot open rather than fail uploads.
func TestAttachmentsURLIsTheStoreTheServerOpens(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, url := range map[string]string{
		"a file, not a directory": attachments.DirURL(file),
		"a driver not linked in":  "gs://bucket",
		"an unknown parameter":    attachments.DirURL(t.TempDir()) + "?colour=blue",
	} {
		t.Run(name, func(t *testing.T) {
			out, err := command(t, "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--attachments-url", url)
			if err == nil || out != "" || !strings.Contains(err.Error(), "attachment store") {
				t.Fatalf("want an error naming the attachment store, got %q, %v", out, err)
			}
		})
	}
	t.Run("environment twin", func(t *testing.T) {
		t.Setenv("PARTNERDESK_ATTACHMENTS_URL", "gs://bucket")
		if _, err := command(t, "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()); err == nil || !strings.Contains(err.Error(), "gs://") {
			t.Fatalf("want an error naming the gs:// store, got %v", err)
		}
	})
}

// TestDemoServerAnswersEveryPersonaAndShutsDownCleanly runs the server as
// the README's quickstart does, signs in as every persona it prints, then
// stops it the way SIGTERM does.
func TestDemoServerAnswersEveryPersonaAndShutsDownCleanly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, stop := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--demo", "--addr", addr, "--data-dir", t.TempDir()}, out) }()

	tokens := waitForTokens(t, out, addr, len(demo.Personas()))
	for email, token := range tokens {
		body := strings.NewReader(`{"query":"{ viewer { contact { email } } }"}`)
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Data struct {
				Viewer struct{ Contact struct{ Email string } }
			}
		}
		json.NewDecoder(res.Body).Decode(&got)
		res.Body.Close()
		if got.Data.Viewer.Contact.Email != email {
			t.Errorf("%s's token answered %+v", email, got)
		}
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not shut down")
	}
}

func waitForTokens(t *testing.T, out *syncBuffer, addr string, want int) map[string]string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		tokens := map[string]string{}
		for _, line := range strings.Split(out.String(), "\n") {
			if f := strings.Fields(line); len(f) == 3 && strings.HasPrefix(f[2], "pdt_") {
				tokens[f[1]] = f[2]
			}
		}
		if len(tokens) == want {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				return tokens
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the demo server printed %q", out.String())
	return nil
}
