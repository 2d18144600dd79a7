package contract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ChangelogPath is the changelog, from the repository's root.
const ChangelogPath = "CHANGELOG.md"

// ReleaseTags is the pattern of release tags (git describe --match).
const ReleaseTags = "v[0-9]*"

// Check compares the served schema of a repository's work tree with the
// one of a base commit, and finds the breaking changes its changelog does
// not announce.
type Check struct {
	// Repo is the repository's root.
	Repo string
	// Base is the revision to compare with. Empty picks the last release
	// tag reachable from HEAD (git describe --tags --abbrev=0 --match
	// 'v[0-9]*'), or HEAD's parent when there is none.
	Base string
	// Inspector runs the diff.
	Inspector Inspector
}

// Report is what a Check found.
type Report struct {
	// Base is the revision compared with, and Why says why it was chosen.
	Base, Why string
	// Skipped, when not empty, says why nothing was compared: the base
	// has no served schema yet, or is not in this clone.
	Skipped string
	// Changes are all the changes from the base's schema to the work
	// tree's; Unannounced are its breaking changes missing from the
	// changelog's Unreleased section.
	Changes, Unannounced []Change
	// NoUnreleased reports whether the changelog lacks an Unreleased
	// section (or the changelog itself is missing).
	NoUnreleased bool
}

// Failed reports whether the check fails: a breaking change is not
// announced.
func (r Report) Failed() bool { return len(r.Unannounced) > 0 }

// Run compares, and reports. An error means the check could not run (no
// git repository, a base that does not resolve when one was given, a
// schema GraphQL Inspector cannot read), not that it failed.
func (c Check) Run(ctx context.Context) (Report, error) {
	var r Report
	repo, err := filepath.Abs(c.Repo)
	if err != nil {
		return r, err
	}
	c.Repo = repo
	if _, err := c.git(ctx, "rev-parse", "--verify", "HEAD"); err != nil {
		return r, fmt.Errorf("%s is not a git repository with a commit: %w", c.Repo, err)
	}
	switch {
	case c.Base != "":
		r.Base, r.Why = c.Base, "as asked"
	default:
		if tag, err := c.git(ctx, "describe", "--tags", "--abbrev=0", "--match", ReleaseTags, "HEAD"); err == nil {
			r.Base, r.Why = tag, "the last release tag"
		} else {
			r.Base, r.Why = "HEAD^", "HEAD's parent: there is no release tag yet"
		}
	}
	commit, err := c.git(ctx, "rev-parse", "--verify", "--quiet", r.Base+"^{commit}")
	if err != nil {
		if c.Base != "" {
			return r, fmt.Errorf("base %s is not a commit of %s", c.Base, c.Repo)
		}
		r.Skipped = fmt.Sprintf("%s is not in this clone (a first commit, or a shallow clone): nothing to compare with", r.Base)
		return r, nil
	}
	old, err := c.git(ctx, "show", commit+":"+ServedSchemaPath)
	if err != nil {
		if _, lsErr := c.git(ctx, "cat-file", "-e", commit+":"+ServedSchemaPath); lsErr != nil {
			r.Skipped = fmt.Sprintf("%s (%s) has no %s yet: nothing to compare with", r.Base, short(commit), ServedSchemaPath)
			return r, nil
		}
		return r, err
	}

	tmp, err := os.MkdirTemp("", "contract-base-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(tmp)
	oldPath := filepath.Join(tmp, "base.graphql")
	if err := os.WriteFile(oldPath, []byte(old+"\n"), 0o600); err != nil {
		return r, err
	}
	r.Changes, err = c.Inspector.Diff(ctx, oldPath, filepath.Join(c.Repo, ServedSchemaPath))
	if err != nil {
		return r, err
	}

	changelog, err := os.ReadFile(filepath.Join(c.Repo, ChangelogPath))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return r, err
	}
	unreleased, ok := Unreleased(string(changelog))
	r.NoUnreleased = !ok
	r.Unannounced = Unannounced(r.Changes, unreleased)
	return r, nil
}

// git runs git in the repository and returns its output, trimmed.
func (c Check) git(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", c.Repo}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// Write prints the report for a person: what was compared, each breaking
// change (announced or not), the dangerous ones, and what is missing from
// the changelog.
func (r Report) Write(w io.Writer) {
	if r.Skipped != "" {
		fmt.Fprintf(w, "contract: skipped: %s\n", r.Skipped)
		return
	}
	fmt.Fprintf(w, "contract: %s against %s (%s)\n", ServedSchemaPath, r.Base, r.Why)
	missing := map[Change]bool{}
	for _, c := range r.Unannounced {
		missing[c] = true
	}
	var breaking, dangerous, other int
	for _, c := range r.Changes {
		switch c.Criticality {
		case Breaking:
			breaking++
		case Dangerous:
			dangerous++
		default:
			other++
		}
	}
	fmt.Fprintf(w, "contract: %d breaking, %d dangerous, %d safe changes\n", breaking, dangerous, other)
	for _, c := range r.Changes {
		switch {
		case c.Criticality == Breaking && missing[c]:
			fmt.Fprintf(w, "  BREAKING, NOT ANNOUNCED  %s: %s\n", c.Coordinate(), c.Message)
		case c.Criticality == Breaking:
			fmt.Fprintf(w, "  breaking, announced      %s: %s\n", c.Coordinate(), c.Message)
		case c.Criticality == Dangerous:
			fmt.Fprintf(w, "  dangerous                %s: %s\n", c.Coordinate(), c.Message)
		}
	}
	if !r.Failed() {
		if breaking > 0 {
			fmt.Fprintf(w, "contract: ok: every breaking change is announced in %s\n", ChangelogPath)
		} else {
			fmt.Fprintln(w, "contract: ok: no breaking change")
		}
		return
	}
	if r.NoUnreleased {
		fmt.Fprintf(w, "contract: %s has no \"## Unreleased\" section\n", ChangelogPath)
	}
	fmt.Fprintf(w, "contract: FAIL: %d breaking change(s) not announced. Under \"## Unreleased\" in %s, list each of these\n", len(r.Unannounced), ChangelogPath)
	fmt.Fprintln(w, "coordinates in backticks, with what it was and what it is (a field's line covers its arguments):")
	seen := map[string]bool{}
	for _, c := range r.Unannounced {
		k := c.Coordinate()
		if o := owner(k); o != "" {
			k = o
		}
		if !seen[k] {
			seen[k] = true
			fmt.Fprintf(w, "  - `%s`: … → …\n", k)
		}
	}
}
