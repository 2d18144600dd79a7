// Package e2e_test runs partnerdesk against real JavaScript clients: the npm
// graphql-ws client (on the ws package) subscribes to case events, sees a
// comment, sees its stream end with FORBIDDEN when the grant is revoked, and
// stops after one attempt when its token is refused with 4401; and
// graphql-http's audit checks /graphql against the GraphQL over HTTP
// specification (audit_test.go).
//
// They run their .mjs files with node's test runner, on the npm packages
// package-lock.json pins, which .ci/run installs (npm ci) and go test does
// not. Without node or those packages they are skipped, saying why,
// except on CI (CI set), where they fail. The browser test of GraphiQL
// (graphiql_test.go) needs Debian's chromium as well.
package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/testkit"
)

const nodeTimeout = 2 * time.Minute

func TestGraphQLWSClient(t *testing.T) {
	node := testkit.NodeTool(t, "node")
	dir := packageDir(t)
	testkit.RequireNodeModules(t, dir)

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
