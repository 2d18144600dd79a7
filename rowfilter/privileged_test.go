package rowfilter_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// privilegedSites are the packages that may read around the read policy,
// each for the reason rowfilter.Privileged gives.
var privilegedSites = []string{"app", "auth", "grants", "events", "directory", "helpdesk", "mailer", "cases", "operator", "demo", "testkit", "notify", "bulk", "."}

// TestPrivilegedReadsStayInTheirPlaces fails when request handling in
// package graph, or any package not named above, reads around the policy.
func TestPrivilegedReadsStayInTheirPlaces(t *testing.T) {
	found := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "ent" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !strings.Contains(string(src), "rowfilter.Privileged(") {
			return nil
		}
		found++
		pkg, _ := filepath.Rel("..", filepath.Dir(path))
		if !slices.Contains(privilegedSites, pkg) {
			t.Errorf("%s reads around the read policy; only %v may", path, privilegedSites)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("found no privileged read at all: the walk is broken")
	}
}
