// Package e2e_test runs partnerdesk against real JavaScript clients: the npm
// graphql-ws client (on the ws package) subscribes to case events, sees a
// comment, sees its stream end with FORBIDDEN when the grant is revoked, and
// stops after one attempt when its token is refused with 4401; and
// graphql-http's audit checks /graphql against the GraphQL over HTTP
// specification (audit_test.go).
//
// The tests install the pinned npm packages themselves (npm ci, from
// package-lock.json) and run their .mjs files with node's test runner.
// Without node they are skipped, except on CI (CI set), where they fail.
package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/testkit"
)

const (
	installTimeout = 5 * time.Minute
	nodeTimeout    = 2 * time.Minute
)

func TestGraphQLWSClient(t *testing.T) {
	node := tool(t, "node")
	npm := tool(t, "npm")
	dir := packageDir(t)
	installDependencies(t, npm, dir)

	e := testkit.New(t)
	acme := e.Org(access.Customer, "Acme")
	contoso := e.Org(access.Partner, "Contoso")
	member := e.Contact(acme, "Max Member")
	admin := e.Contact(acme, "Ada Admin", access.RoleAdmin)
	partner := e.Contact(contoso, "Pat Partner")
	kase := e.Case(acme, member, "Printer on fire")
	grant := e.Grant(testkit.GrantSpec{Partner: contoso, Customer: acme, Level: access.Look, StartsAt: e.Clock.Now().Add(-time.Hour)})

	httpURL := e.Server.URL + "/graphql"
	wsURL := "ws" + strings.TrimPrefix(e.Server.URL, "http") + "/graphql"

	start := time.Now()
	out, err := runNode(node, dir, "subscriptions.test.mjs",
		"PD_WS_URL="+wsURL,
		"PD_HTTP_URL="+httpURL,
		"PD_PARTNER_TOKEN="+e.Token(partner),
		"PD_MEMBER_TOKEN="+e.Token(member),
		"PD_ADMIN_TOKEN="+e.Token(admin),
		"PD_CUSTOMER_ID="+acme.ID,
		"PD_CASE_ID="+kase.ID,
		"PD_GRANT_ID="+grant.ID,
	)
	if err != nil {
		t.Fatalf("%v; its output:\n%s", err, out)
	}
	t.Logf("graphql-ws end-to-end tests passed in %s%s", time.Since(start).Round(time.Millisecond), summary(out))
}

// runNode runs a test file with node's test runner in dir, with env added
// to the environment, and returns what it printed (TAP).
func runNode(node, dir, file string, env ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=tap", file)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 10 * time.Second // a child left holding the output pipe must not hang the test
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		return out.String(), fmt.Errorf("node --test %s did not finish within %s", file, nodeTimeout)
	}
	if err != nil {
		return out.String(), fmt.Errorf("node --test %s: %w", file, err)
	}
	return out.String(), nil
}

// packageDir is the directory of this package, where package.json is: go
// test runs a package's tests there.
func packageDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// tool finds a program on PATH; without it the test is skipped on a
// developer's machine and fails on CI, where it must run.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not on PATH (%v): CI must run the end-to-end tests; install Node.js 20 or later with npm", name, err)
	}
	t.Skipf("%s is not on PATH (%v): skipping the end-to-end test", name, err)
	return ""
}

// installDependencies runs npm ci when node_modules is missing, older than
// package-lock.json, or lacks one of package.json's packages at its pinned
// version (a checkout's file times need not tell). npm writes
// node_modules/.package-lock.json at every install, so its time is the
// install's.
func installDependencies(t *testing.T, npm, dir string) {
	t.Helper()
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatalf("package-lock.json: %v", err)
	}
	installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	switch {
	case err == nil && !installed.ModTime().Before(lock.ModTime()):
		if pinnedInstalled(t, dir) {
			return
		}
	case err != nil && !errors.Is(err, os.ErrNotExist):
		t.Fatalf("node_modules: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("npm ci did not finish within %s; its output:\n%s", installTimeout, out.String())
	}
	if err != nil {
		t.Fatalf("npm ci: %v; its output:\n%s", err, out.String())
	}
	t.Logf("npm ci installed the e2e dependencies in %s", time.Since(start).Round(time.Millisecond))
}

// pinnedInstalled reports whether node_modules holds every package of
// package.json at the exact version it pins.
func pinnedInstalled(t *testing.T, dir string) bool {
	t.Helper()
	var manifest struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err == nil {
		err = json.Unmarshal(raw, &manifest)
	}
	if err != nil {
		t.Fatalf("package.json: %v", err)
	}
	for name, pinned := range manifest.DevDependencies {
		var installed struct {
			Version string `json:"version"`
		}
		raw, err := os.ReadFile(filepath.Join(dir, "node_modules", name, "package.json"))
		if err != nil || json.Unmarshal(raw, &installed) != nil || installed.Version != pinned {
			return false
		}
	}
	return true
}

// summary picks node's closing counts ("# pass 2", …) and the test's own
// lines ("bad token: …") out of its TAP output.
func summary(out string) string {
	var b strings.Builder
	for _, line := range strings.Split(out, "\n") {
		l := strings.TrimSpace(line)
		for _, p := range []string{"# tests ", "# pass ", "# fail ", "# bad token: ", "bad token: "} {
			if strings.HasPrefix(l, p) {
				b.WriteString("\n  " + l)
				break
			}
		}
	}
	return b.String()
}
