package e2e_test

import (
	"os"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// chromium is Debian's browser, which .ci/run installs with apt-get:
// playwright-core drives it, and downloads none of its own.
const chromium = "/usr/bin/chromium"

// TestGraphiQLInABrowser loads GraphiQL at / in Chromium with the network
// to anything but the server blocked (graphiql.test.mjs): it enters a
// token, finds Query in the docs explorer (also after a reload), runs a
// query and reads its answer, and sees a subscription's event.
func TestGraphiQLInABrowser(t *testing.T) {
	node := testkit.NodeTool(t, "node")
	dir := packageDir(t)
	testkit.RequireNodeModules(t, dir)
	if _, err := os.Stat(chromium); err != nil {
		testkit.Unavailable(t, "%v: install Debian's chromium package (.ci/run does)", err)
	}

	e := testkit.New(t)
	acme := e.Org(access.Customer, "Acme")
	member := e.Contact(acme, "Max Member")
	kase := e.Case(acme, member, "Printer on fire")

	start := time.Now()
	out, err := runNode(node, dir, "graphiql.test.mjs",
		"PD_URL="+e.Server.URL+"/",
		"PD_TOKEN="+e.Token(member),
		"PD_CONTACT_NAME="+member.Name,
		"PD_CASE_ID="+kase.ID,
		"PD_CHROMIUM="+chromium,
	)
	if err != nil {
		t.Fatalf("%v; its output:\n%s", err, out)
	}
	t.Logf("GraphiQL browser test passed in %s%s", time.Since(start).Round(time.Millisecond), summary(out))
}
