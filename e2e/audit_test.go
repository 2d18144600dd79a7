package e2e_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// TestGraphQLOverHTTPAudit runs graphql-http's audit of the GraphQL over
// HTTP specification (audit.test.mjs) against the real server, signed in
// as a customer's member: with introspection on (demo mode), where every
// MUST and SHOULD audit must pass, and with introspection off (production),
// where an audit that probes with __type may be skipped for that alone
// (28B9, a MUST, does). It fails when any MUST or SHOULD audit fails,
// naming each; a failing MAY is logged.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	node := testkit.NodeTool(t, "node")
	dir := packageDir(t)
	testkit.RequireNodeModules(t, dir)

	for _, mode := range []struct {
		name          string
		introspection bool
	}{
		{"introspection on", true},
		{"introspection off", false},
	} {
		t.Run(mode.name, func(t *testing.T) {
			e := testkit.New(t, testkit.WithConfig(func(c *httpapi.Config) { c.Introspection = mode.introspection }))
			acme := e.Org(access.Customer, "Acme")
			member := e.Contact(acme, "Max Member")
			introspection := "off"
			if mode.introspection {
				introspection = "on"
			}

			start := time.Now()
			out, err := runNode(node, dir, "audit.test.mjs",
				"PD_HTTP_URL="+e.Server.URL+"/graphql",
				"PD_TOKEN="+e.Token(member),
				"PD_INTROSPECTION="+introspection,
			)
			r := readAudit(out)
			if err != nil || len(r.failed) > 0 || r.tally == "" {
				t.Fatalf("%v\nfailing MUST and SHOULD audits:\n  %s\n%s\nnode's output:\n%s",
					err, strings.Join(r.failed, "\n  "), r.tally, out)
			}
			if len(r.skipped) > 0 {
				t.Logf("skipped:\n  %s", strings.Join(r.skipped, "\n  "))
			}
			if len(r.optional) > 0 {
				t.Logf("MAY audits not met (the specification leaves them to the server):\n  %s", strings.Join(r.optional, "\n  "))
			}
			t.Logf("%s, in %s", r.tally, time.Since(start).Round(time.Millisecond))
		})
	}
}

// auditReport is what audit.test.mjs printed, read from node's TAP: each
// audit is a top-level test.
type auditReport struct {
	// failed lists the MUST and SHOULD audits that failed.
	failed []string
	// optional lists the MAY audits that failed, with their reasons.
	optional []string
	// skipped lists the audits skipped, with their reasons.
	skipped []string
	// tally is the line "audit: MUST 13/13 SHOULD 23/23 MAY …"; empty when
	// the file did not get that far.
	tally string
}

var (
	tapNotOK = regexp.MustCompile(`^not ok \d+ - (.*)$`)
	tapTODO  = regexp.MustCompile(`^ok \d+ - (.*?) # TODO (.*)$`)
	tapSkip  = regexp.MustCompile(`^ok \d+ - (.*?) # SKIP (.*)$`)
	tapTally = regexp.MustCompile(`^# (audit: .*)$`)
)

func readAudit(out string) auditReport {
	var r auditReport
	for _, line := range strings.Split(out, "\n") {
		if m := tapNotOK.FindStringSubmatch(line); m != nil {
			r.failed = append(r.failed, m[1])
		} else if m := tapTODO.FindStringSubmatch(line); m != nil {
			r.optional = append(r.optional, m[1]+": "+m[2])
		} else if m := tapSkip.FindStringSubmatch(line); m != nil {
			r.skipped = append(r.skipped, m[1]+": "+m[2])
		} else if m := tapTally.FindStringSubmatch(line); m != nil {
			r.tally = m[1]
		}
	}
	return r
}
