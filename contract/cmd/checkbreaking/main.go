// Command checkbreaking fails when the served schema
// (contract/schema.served.graphql in the work tree) has a breaking change,
// against the last release tag (v*) or, before the first release, against
// HEAD's parent, that the "## Unreleased" section of CHANGELOG.md does not
// announce. It skips, and says why, when the base has no served schema.
// CI runs it; run it from anywhere in the repository:
//
//	go run ./contract/cmd/checkbreaking              # base: last release tag, else HEAD^
//	go run ./contract/cmd/checkbreaking -base main   # or any revision
//
// It installs GraphQL Inspector first (npm ci in contract/) when
// contract/node_modules is missing or older than the lock file. It exits 1
// when a breaking change is not announced, 2 when it cannot check.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/partnerdesk/partnerdesk/contract"
)

func main() {
	base := flag.String("base", "", "revision to compare with (default: the last release tag, else HEAD^)")
	flag.Parse()
	ctx := context.Background()

	top, err := exec.CommandContext(ctx, "git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		fail(fmt.Errorf("finding the repository's root: %w", err))
	}
	repo := strings.TrimSpace(string(top))
	inspector := contract.Inspector{Dir: filepath.Join(repo, "contract")}
	if installed, err := inspector.Install(ctx); err != nil {
		fail(err)
	} else if installed {
		fmt.Println("contract: installed GraphQL Inspector (npm ci in contract/)")
	}

	report, err := contract.Check{Repo: repo, Base: *base, Inspector: inspector}.Run(ctx)
	if err != nil {
		fail(err)
	}
	report.Write(os.Stdout)
	if report.Failed() {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "contract: cannot check: %v\n", err)
	os.Exit(2)
}
