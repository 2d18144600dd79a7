package main

import (
	"errors"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestHelpListsCommandsFlagsAndTheirEnvironmentTwins: --help is an answer
// (run returns nil, so the process exits 0), on stdout, that names every
// command, and every flag of the command asked about with its environment
// twin.
func TestHelpListsCommandsFlagsAndTheirEnvironmentTwins(t *testing.T) {
	flagLine := regexp.MustCompile(`(?m)^  --([a-z-]+)(?: [a-z0-9]+)?  \[\$(PARTNERDESK_[A-Z_]+)\]$`)
	for _, c := range []struct {
		args  []string
		flags []string
	}{
		{[]string{"--help"}, []string{"addr", "demo", "data-dir", "cors-origins", "cors-headers", "cors-credentials", "drain-period",
			"drain-timeout", "gzip-min-bytes", "download-key", "download-link-ttl", "request-timeout", "rate-limit", "smtp-password"}},
		{[]string{"-h"}, []string{"addr", "demo"}},
		{[]string{"token", "create", "--help"}, []string{"data-dir", "db", "email", "expires-in"}},
		{[]string{"bootstrap", "--help"}, []string{"data-dir", "db", "vendor", "email"}},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out, err := command(t, c.args...)
			if err != nil {
				t.Fatalf("%v: want no error, so that the process exits 0", err)
			}
			for _, sub := range []string{"partnerdesk [flags]", "partnerdesk token create", "partnerdesk bootstrap"} {
				if !strings.Contains(out, sub) {
					t.Errorf("the help does not name %q", sub)
				}
			}
			listed := map[string]bool{}
			for _, m := range flagLine.FindAllStringSubmatch(out, -1) {
				listed[m[1]] = true
				if want := "PARTNERDESK_" + strings.ToUpper(strings.ReplaceAll(m[1], "-", "_")); m[2] != want {
					t.Errorf("--%s is listed with %s, want %s", m[1], m[2], want)
				}
			}
			if n := strings.Count(out, "\n  --"); n != len(listed) {
				t.Errorf("%d flags listed, %d of them with their environment twin", n, len(listed))
			}
			for _, f := range c.flags {
				if !listed[f] {
					t.Errorf("--%s is not listed with its environment twin:\n%s", f, out)
				}
			}
		})
	}
}

// TestDemoListensOnLoopbackUnlessAddrIsGiven: the demo, which prints tokens
// and allows any origin, listens on 127.0.0.1:8080 and not on the
// machine's other addresses.
func TestDemoListensOnLoopbackUnlessAddrIsGiven(t *testing.T) {
	if ln, err := net.Listen("tcp", ":8080"); err != nil {
		t.Skipf("port 8080 is taken here (%v): the demo's default address cannot be tried", err)
	} else {
		ln.Close()
	}
	var external string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && !ip.IP.IsLoopback() && ip.IP.To4() != nil {
			external = ip.IP.String()
			break
		}
	}
	if external == "" {
		t.Skip("this machine has no address but loopback to try the demo from")
	}

	_, stop := startDemo(t, "127.0.0.1:8080")
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}()
	c, err := net.DialTimeout("tcp", net.JoinHostPort(external, "8080"), 5*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("the demo answers on %s:8080: it listens beyond this machine", external)
	}
	var op *net.OpError
	if !errors.As(err, &op) {
		t.Fatalf("dialing %s:8080: %v", external, err)
	}
}

// TestREADMETablesListEveryFlag: every flag of the server is in the
// README's configuration table with its environment twin, or in the
// limits table; and neither table is cut by a blank line, which would
// render its remaining rows as text.
func TestREADMETablesListEveryFlag(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]string{}
	for _, section := range []string{"Configuration", "Limits"} {
		tables[section] = table(t, string(raw), section)
	}
	out, err := command(t, "--help")
	if err != nil {
		t.Fatal(err)
	}
	flagLine := regexp.MustCompile(`(?m)^  --([a-z-]+)`)
	for _, m := range flagLine.FindAllStringSubmatch(out, -1) {
		name := m[1]
		// In the first cell, where a row names its flags.
		row := regexp.MustCompile("(?m)^\\|[^|\\n]*`--" + regexp.QuoteMeta(name) + "`[^|\\n]*\\|.*$")
		switch {
		case strings.Contains(tables["Limits"], "`--"+name+"`"):
		case !row.MatchString(tables["Configuration"]):
			t.Errorf("--%s is in neither the configuration nor the limits table", name)
		case !strings.Contains(row.FindString(tables["Configuration"]), "`"+envName(name)+"`"):
			t.Errorf("the configuration table lists --%s without %s", name, envName(name))
		}
	}
}

// table returns the table of a README section: its rows from the first
// to the first line that is not one. A row after that, in the same
// section, is a table cut in two.
func table(t *testing.T, readme, section string) string {
	t.Helper()
	_, body, ok := strings.Cut(readme, "\n## "+section+"\n")
	if !ok {
		t.Fatalf("the README has no %q section", section)
	}
	body, _, _ = strings.Cut(body, "\n## ")
	var rows []string
	ended := false
	for _, line := range strings.Split(body, "\n") {
		isRow := strings.HasPrefix(line, "|")
		switch {
		case isRow && ended:
			t.Errorf("the %s table is cut before %q: its rows from there render as text", section, line)
		case isRow:
			rows = append(rows, line)
		case len(rows) > 0:
			ended = true
		}
	}
	return strings.Join(rows, "\n")
}
