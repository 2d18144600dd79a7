package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/attachments"
	"github.com/partnerdesk/partnerdesk/demo"
	"github.com/partnerdesk/partnerdesk/testkit"
)

var tokenLine = regexp.MustCompile(`^pdt_[A-Za-z0-9_-]{43}\n$`)

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
		"unknown contact":           {"token", "create", "--email", "nobody@northwind.example"},
		"bad lifetime":              {"token", "create", "--email", "root@northwind.example", "--expires-in", "ninety"},
		"missing email":             {"token", "create"},
		"unknown command":           {"token", "delete"},
		"stray argument":            {"token", "create", "--email", "root@northwind.example", "extra"},
		"bad flag value":            {"--request-timeout", "1s", "--max-body-bytes", "lots"},
		"credentials to any origin": {"--cors-origins", "*", "--cors-credentials", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"},
		"bad vendor e-mail":         {"bootstrap", "--data-dir", t.TempDir(), "--vendor", "V", "--email", "not-an-email"},
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
			out, err := command(t, "--addr", "127.0.0.1:0", "--metrics-addr", "", "--data-dir", t.TempDir(), "--attachments-url", url)
			if err == nil || out != "" || !strings.Contains(err.Error(), "attachment store") {
				t.Fatalf("want an error naming the attachment store, got %q, %v", out, err)
			}
		})
	}
	t.Run("environment twin", func(t *testing.T) {
		t.Setenv("PARTNERDESK_ATTACHMENTS_URL", "gs://bucket")
		if _, err := command(t, "--addr", "127.0.0.1:0", "--metrics-addr", "", "--data-dir", t.TempDir()); err == nil || !strings.Contains(err.Error(), "gs://") {
			t.Fatalf("want an error naming the gs:// store, got %v", err)
		}
	})
}

// TestDemoServerAnswersEveryPersonaAndShutsDownCleanly runs the server as
// its operator would, metrics and tracing on: each persona's token
// answers, the metrics address counts the queries, the server stops the
// way SIGTERM stops it, and the traces are exported before it ends.
func TestDemoServerAnswersEveryPersonaAndShutsDownCleanly(t *testing.T) {
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	// A collector that takes the traces the server exports.
	exports := make(chan *http.Request, 100)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		exports <- r
	}))
	defer collector.Close()

	tokens, stop := startDemo(t, addr, "--addr", addr, "--metrics-addr", metricsAddr, "--otlp-endpoint", collector.URL)
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

	// The metrics, on their own address, counted every persona's query.
	res, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	scraped, _ := io.ReadAll(res.Body)
	res.Body.Close()
	want := fmt.Sprintf(`partnerdesk_graphql_requests_total{code="OK",operation="anonymous",type="query"} %d`, len(tokens))
	if !strings.Contains(string(scraped), want) {
		t.Errorf("/metrics lacks %s", want)
	}
	// The demo's mail waits in the outbox (no --smtp-addr): the depth says so.
	if !regexp.MustCompile(`(?m)^partnerdesk_outbox_depth [1-9]`).Match(scraped) {
		t.Errorf("/metrics lacks a positive partnerdesk_outbox_depth")
	}

	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	// The spans still buffered were flushed on the way out.
	select {
	case r := <-exports:
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("the server exported with %s %s (%s)", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
	default:
		t.Error("no traces reached the collector")
	}
}

// freeAddr is an address of 127.0.0.1 nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startDemo runs the server with --demo and args on a fresh data
// directory, metrics off unless args turn them on (the default address is
// one per machine), and waits until it answers on addr. It returns the
// tokens it printed, by email, and a stop that does what SIGTERM does and
// returns why the server did not end cleanly, if it did not.
func startDemo(t *testing.T, addr string, args ...string) (tokens map[string]string, stop func() error) {
	t.Helper()
	ctx, sigterm := context.WithCancel(context.Background())
	out := &testkit.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--demo", "--data-dir", t.TempDir(), "--metrics-addr", ""}, args...), out)
	}()
	stop = func() error {
		sigterm()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("the server did not shut down")
		}
	}
	return waitForTokens(t, out, addr, len(demo.Personas()), done), stop
}

// TestBadFlagsStopTheServerFirst: a bad log format, log level, OTLP
// endpoint or SMTP security stops the server before it opens anything.
func TestBadFlagsStopTheServerFirst(t *testing.T) {
	for _, args := range [][]string{
		{"--log-format", "xml"},
		{"--log-level", "loud"},
		{"--otlp-endpoint", "collector:4318"},
		{"--smtp-tls", "ssl", "--smtp-addr", "127.0.0.1:25"},
		{"--smtp-auth", "XOAUTH2", "--smtp-addr", "127.0.0.1:25", "--smtp-username", "desk"},
	} {
		dir := t.TempDir()
		_, err := command(t, append(args, "--data-dir", dir, "--metrics-addr", "")...)
		if err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: err %v, want one naming %s", args, err, args[0])
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 0 {
			t.Errorf("%v: the data directory was written to", args)
		}
	}
}

// waitForTokens reads the tokens the demo server prints, once it answers
// on addr; a server that ends first fails the test with its error.
func waitForTokens(t *testing.T, out *testkit.Buffer, addr string, want int, done <-chan error) map[string]string {
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
		select {
		case err := <-done:
			t.Fatalf("the demo server ended before it answered: %v; it printed %q", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("the demo server printed %q", out.String())
	return nil
}

// TestServerDeliversMailThroughSMTP: with --smtp-addr the server's sender
// hands queued mail to that server, with the outbox row's Message-ID.
func TestServerDeliversMailThroughSMTP(t *testing.T) {
	mx := testkit.StartSMTP(t)
	addr := freeAddr(t)
	tokens, stop := startDemo(t, addr, "--addr", addr,
		"--smtp-addr", mx.Addr, "--smtp-from", "desk@northwind.example", "--mail-interval", "20ms")
	t.Cleanup(func() { stop() })
	desk := tokens["daniel.okafor@contoso.example"]
	query := func(q string, vars map[string]any, v any) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+desk)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var got struct {
			Data   json.RawMessage
			Errors []any
		}
		if err := json.NewDecoder(res.Body).Decode(&got); err != nil || len(got.Errors) > 0 {
			t.Fatalf("%s: %v %v", q, err, got.Errors)
		}
		json.Unmarshal(got.Data, v)
	}
	var found struct {
		HelpDeskSearch struct {
			Nodes []struct {
				Node struct {
					Typename        string `json:"__typename"`
					ID, Email       string
					Status          string
					LastEmailStatus string
				}
			}
		}
	}
	query(`{ helpDeskSearch(query: "ben.harper@acme.example", first: 5) { nodes { node { __typename ... on Contact { id email status lastEmailStatus } } } } }`, nil, &found)
	var to struct{ ID, Email string }
	for _, n := range found.HelpDeskSearch.Nodes {
		if c := n.Node; c.Typename == "Contact" && c.Status == "ACTIVE" && c.LastEmailStatus != "SUPPRESSED" {
			to.ID, to.Email = c.ID, c.Email
			break
		}
	}
	if to.ID == "" {
		t.Fatalf("no active Acme contact found: %+v", found)
	}
	query(`mutation($c: ID!) { sendVerificationCode(input: {contactID: $c}) { expiresAt } }`, map[string]any{"c": to.ID}, &struct{}{})

	// The demo's expiry warnings go out too: look for the code.
	for deadline := time.Now().Add(10 * time.Second); len(mx.To(to.Email)) == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	codes := mx.To(to.Email)
	if len(codes) != 1 || codes[0].From != "desk@northwind.example" || !strings.Contains(codes[0].Text, "Read them this code") {
		t.Fatalf("received %+v, want the code to %s", mx.Received(), to.Email)
	}
	if id := codes[0].Header(t).Get("Message-Id"); !regexp.MustCompile(`^<out_[0-9A-Z]+@northwind\.example>$`).MatchString(id) {
		t.Errorf("Message-ID %q, want the outbox row's", id)
	}
}
