package testkit

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// NodeTool finds a Node.js program (node, npm) on PATH for a test that
// runs npm packages, or the test is unavailable.
func NodeTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, "%s is not on PATH (%v): install Node.js 20 or later with npm", name, err)
	}
	return p
}

// RequireNodeModules checks that dir's node_modules holds every package
// its package.json pins, at that version. go test installs nothing: .ci/run
// runs npm ci, and so may a developer; without them the test is skipped,
// saying so (on CI it fails).
func RequireNodeModules(t testing.TB, dir string) {
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
			Unavailable(t, "%s/node_modules lacks %s@%s, which package.json pins: run npm ci there (.ci/run does)", dir, name, pinned)
		}
	}
}

// Unavailable skips a test that lacks what it runs on a developer's
// machine, and fails it on CI (CI set), where it must run.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI must run this test: "+format, args...)
	}
	t.Skipf("skipping: "+format, args...)
}
