package contract_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/partnerdesk/partnerdesk/contract"
)

func TestCoordinate(t *testing.T) {
	for _, tc := range []struct{ typ, path, want string }{
		{"TYPE_REMOVED", "Case", "Case"},
		{"FIELD_REMOVED", "Mutation.escalateCase", "Mutation.escalateCase"},
		{"FIELD_ARGUMENT_REMOVED", "Query.cases.after", "Query.cases(after:)"},
		{"FIELD_ARGUMENT_TYPE_CHANGED", "Query.cases.first", "Query.cases(first:)"},
		{"ENUM_VALUE_REMOVED", "CaseStatus.OPEN", "CaseStatus.OPEN"},
		{"INPUT_FIELD_TYPE_CHANGED", "CreateCaseInput.title", "CreateCaseInput.title"},
		{"DIRECTIVE_REMOVED", "@public", "@public"},
		{"DIRECTIVE_ARGUMENT_REMOVED", "@action.name", "@action(name:)"},
		{"DIRECTIVE_USAGE_FIELD_DEFINITION_REMOVED", "Case.title.@public", "Case.title.@public"},
		{"SCHEMA_QUERY_TYPE_CHANGED", "", "schema"},
	} {
		if got := (contract.Change{Type: tc.typ, Path: tc.path}).Coordinate(); got != tc.want {
			t.Errorf("%s %q: Coordinate() = %q, want %q", tc.typ, tc.path, got, tc.want)
		}
	}
}

func TestUnreleased(t *testing.T) {
	changelog := "# Changelog\n\nSee `Query.old`.\n\n## [Unreleased]\n\n### Breaking\n\n- `Query.a`: `Int` → `String`\n\n## [1.0.0] - 2026-01-01\n\n- `Query.b`\n"
	got, ok := contract.Unreleased(changelog)
	if !ok || !strings.Contains(got, "`Query.a`") || strings.Contains(got, "Query.b") || strings.Contains(got, "Query.old") {
		t.Fatalf("Unreleased = %q, %v", got, ok)
	}
	if got, ok := contract.Unreleased("# Changelog\n\n## Unreleased\n- `X.y`\n"); !ok || !strings.Contains(got, "`X.y`") {
		t.Fatalf("Unreleased without brackets = %q, %v", got, ok)
	}
	if _, ok := contract.Unreleased("# Changelog\n\n## [1.0.0]\n- `Query.b`\n"); ok {
		t.Fatal("found an Unreleased section where there is none")
	}
}

func TestUnannounced(t *testing.T) {
	changes := []contract.Change{
		{Type: "FIELD_REMOVED", Criticality: contract.Breaking, Path: "Query.a"},
		{Type: "FIELD_ARGUMENT_REMOVED", Criticality: contract.Breaking, Path: "Query.b.x"},
		{Type: "FIELD_ARGUMENT_ADDED", Criticality: contract.Breaking, Path: "Query.c.y"},
		{Type: "ENUM_VALUE_ADDED", Criticality: contract.Dangerous, Path: "Color.BLUE"},
	}
	for _, tc := range []struct {
		unreleased string
		want       []string
	}{
		{"", []string{"Query.a", "Query.b(x:)", "Query.c(y:)"}},
		// A field's coordinate covers its arguments; an argument's covers only itself.
		{"- `Query.a`: gone\n- `Query.b`: `b(x: Int)` → `b`\n- `Query.c(y:)`: new, required", nil},
		// Outside backticks, or as part of a longer span, it does not count.
		{"- Query.a is gone\n- `Query.b(x: Int)` → `Query.bb`\n- `Query.c(y:)`", []string{"Query.a", "Query.b(x:)"}},
		// Only breaking changes need announcing.
		{"`Query.a` `Query.b` `Query.c`", nil},
	} {
		var got []string
		for _, c := range contract.Unannounced(changes, tc.unreleased) {
			got = append(got, c.Coordinate())
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Unannounced(%q) = %v, want %v", tc.unreleased, got, tc.want)
		}
	}
}

const (
	schemaV1 = `type Query {
  a: Int
  b(x: Int): Int
}
`
	// v2 removes Query.a and the argument x of Query.b: two breaking
	// changes. Query.c is new: safe.
	schemaV2 = `type Query {
  b: Int
  c: String
}
`
	changelogEmpty = "# Changelog\n\n## Unreleased\n\n## [0.1.0] - 2026-01-01\n\n- `Query.a`: listed in an earlier release, which does not count\n"
	changelogBoth  = "# Changelog\n\n## Unreleased\n\n### Breaking\n\n- `Query.a`: `Int` → removed\n- `Query.b`: `b(x: Int): Int` → `b: Int`\n"
	changelogOne   = "# Changelog\n\n## Unreleased\n\n### Breaking\n\n- `Query.a`: `Int` → removed\n"
)

// TestCheck runs the check as CI does, with real git and the real GraphQL
// Inspector, on a tiny repository: it skips while the base has no served
// schema, fails on an unannounced breaking change, passes once the
// changelog announces it, and compares with the last release tag once
// there is one.
func TestCheck(t *testing.T) {
	in := inspector(t)
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	write(t, repo, contract.ChangelogPath, changelogEmpty)
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "no served schema yet")
	check := contract.Check{Repo: repo, Inspector: in}

	r := run(t, check)
	if !strings.Contains(r.Skipped, "not in this clone") {
		t.Fatalf("first commit: Skipped = %q, want the parent's absence", r.Skipped)
	}

	write(t, repo, contract.ServedSchemaPath, schemaV1)
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "print the served schema")
	if r := run(t, check); !strings.Contains(r.Skipped, "has no contract/schema.served.graphql yet") || r.Failed() {
		t.Fatalf("base without the file: Skipped = %q, Failed = %v", r.Skipped, r.Failed())
	}

	git(t, repo, "commit", "-q", "--allow-empty", "-m", "nothing changes")
	r = run(t, check)
	if r.Skipped != "" || r.Base != "HEAD^" || len(r.Changes) != 0 || r.Failed() {
		t.Fatalf("same schema: %+v", r)
	}

	// The fail path: two breaking changes, the changelog announces none.
	write(t, repo, contract.ServedSchemaPath, schemaV2)
	r = run(t, check)
	if got := coordinates(r.Unannounced); !r.Failed() || !reflect.DeepEqual(got, []string{"Query.a", "Query.b(x:)"}) {
		t.Fatalf("unannounced = %v, Failed = %v; changes %+v", got, r.Failed(), r.Changes)
	}
	out := written(r)
	for _, s := range []string{"BREAKING, NOT ANNOUNCED  Query.a:", "BREAKING, NOT ANNOUNCED  Query.b(x:):", "FAIL: 2 breaking change(s)", "  - `Query.b`: … → …"} {
		if !strings.Contains(out, s) {
			t.Errorf("report lacks %q:\n%s", s, out)
		}
	}

	// One announced, one not: still fails, on the other one alone.
	write(t, repo, contract.ChangelogPath, changelogOne)
	if got := coordinates(run(t, check).Unannounced); !reflect.DeepEqual(got, []string{"Query.b(x:)"}) {
		t.Fatalf("with Query.a announced: unannounced = %v", got)
	}

	// No Unreleased section at all: every breaking change is unannounced.
	write(t, repo, contract.ChangelogPath, "# Changelog\n")
	if r := run(t, check); !r.NoUnreleased || len(r.Unannounced) != 2 || !strings.Contains(written(r), `has no "## Unreleased" section`) {
		t.Fatalf("without an Unreleased section: %+v", r)
	}

	// The pass path: both announced.
	write(t, repo, contract.ChangelogPath, changelogBoth)
	r = run(t, check)
	if r.Failed() || len(r.Changes) == 0 || !strings.Contains(written(r), "ok: every breaking change is announced") {
		t.Fatalf("both announced: %+v\n%s", r, written(r))
	}

	// A release: the base is its tag from then on, however many commits follow.
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "v2")
	git(t, repo, "tag", "v1.0.0")
	git(t, repo, "commit", "-q", "--allow-empty", "-m", "after the release")
	write(t, repo, contract.ChangelogPath, changelogEmpty)
	r = run(t, check)
	if r.Base != "v1.0.0" || r.Why != "the last release tag" || len(r.Changes) != 0 || r.Failed() {
		t.Fatalf("after the release: %+v", r)
	}
	write(t, repo, contract.ServedSchemaPath, schemaV1)
	if got := coordinates(run(t, check).Unannounced); len(got) != 1 || got[0] != "Query.c" {
		t.Fatalf("Query.c removed after the release: unannounced = %v", got)
	}

	// A base given by name must exist.
	if _, err := (contract.Check{Repo: repo, Base: "no-such-rev", Inspector: in}).Run(context.Background()); err == nil {
		t.Fatal("an unknown base was accepted")
	}
}

// TestDiffSeesThroughSimplification: a field removed from a type that also
// gains an interface is still reported (GraphQL Inspector's default
// simplification would drop it).
func TestDiffSeesThroughSimplification(t *testing.T) {
	in := inspector(t)
	dir := t.TempDir()
	write(t, dir, "old.graphql", "interface Node { id: ID! }\ntype Case { id: ID! gone: Int }\ntype Query { c: Case n: Node }\n")
	write(t, dir, "new.graphql", "interface Node { id: ID! }\ntype Case implements Node { id: ID! }\ntype Query { c: Case n: Node }\n")
	changes, err := in.Diff(context.Background(), filepath.Join(dir, "old.graphql"), filepath.Join(dir, "new.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	if got := coordinates(contract.Unannounced(changes, "")); !reflect.DeepEqual(got, []string{"Case.gone"}) {
		t.Fatalf("breaking = %v; changes %+v", got, changes)
	}
	write(t, dir, "bad.graphql", "type Query {")
	if _, err := in.Diff(context.Background(), filepath.Join(dir, "old.graphql"), filepath.Join(dir, "bad.graphql")); err == nil {
		t.Fatal("a schema that does not parse compared without an error")
	}
}

var (
	installOnce sync.Once
	installErr  error
)

// inspector installs GraphQL Inspector from contract/package-lock.json when
// needed. Without node and npm the test is skipped, except on CI (CI set),
// where it fails.
func inspector(t *testing.T) contract.Inspector {
	t.Helper()
	for _, name := range []string{"node", "npm", "git"} {
		if _, err := exec.LookPath(name); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not on PATH: CI must run the breaking-change check's tests", name)
			}
			t.Skipf("%s is not on PATH: skipping", name)
		}
	}
	in := contract.Inspector{Dir: "."} // go test runs in the package's folder
	installOnce.Do(func() { _, installErr = in.Install(context.Background()) })
	if installErr != nil {
		t.Fatal(installErr)
	}
	return in
}

func run(t *testing.T, c contract.Check) contract.Report {
	t.Helper()
	r, err := c.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func written(r contract.Report) string {
	var b strings.Builder
	r.Write(&b)
	return b.String()
}

func coordinates(changes []contract.Change) []string {
	var out []string
	for _, c := range changes {
		out = append(out, c.Coordinate())
	}
	return out
}

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestChangelogHasUnreleased: the repository's changelog has the section
// the check reads (Keep a Changelog keeps it, empty, at a release).
func TestChangelogHasUnreleased(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", contract.ChangelogPath))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := contract.Unreleased(string(data)); !ok {
		t.Fatalf("%s has no \"## Unreleased\" section", contract.ChangelogPath)
	}
}
