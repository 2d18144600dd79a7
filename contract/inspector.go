package contract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Criticality levels of a change, as GraphQL Inspector names them.
const (
	Breaking    = "BREAKING"
	Dangerous   = "DANGEROUS"
	NonBreaking = "NON_BREAKING"
)

// Change is one difference GraphQL Inspector found between two schemas.
type Change struct {
	// Type is GraphQL Inspector's change type, e.g. FIELD_REMOVED.
	Type string `json:"type"`
	// Criticality is Breaking, Dangerous or NonBreaking.
	Criticality string `json:"criticality"`
	// Message says what changed, e.g. "Field 'Case.title' changed type
	// from 'String!' to 'String'".
	Message string `json:"message"`
	// Path is GraphQL Inspector's path of the changed element:
	// Type, Type.field, Type.field.argument, @directive, … It is empty for
	// a change of the schema's root types.
	Path string `json:"path"`
}

// Inspector runs GraphQL Inspector (npm @graphql-inspector/cli), installed
// from the lock file of its own folder.
type Inspector struct {
	// Dir is the folder of package.json, package-lock.json and report.cjs
	// (the repository's contract folder).
	Dir string
}

// installTimeout bounds npm ci; diffTimeout bounds one diff.
const (
	installTimeout = 5 * time.Minute
	diffTimeout    = 2 * time.Minute
)

func (in Inspector) bin() string {
	return filepath.Join(in.Dir, "node_modules", ".bin", "graphql-inspector")
}

// Install runs npm ci in Dir when node_modules is missing, lacks
// graphql-inspector, or is older than package-lock.json (npm writes
// node_modules/.package-lock.json at every install, so its time is the
// install's). It reports whether it installed.
func (in Inspector) Install(ctx context.Context) (bool, error) {
	lock, err := os.Stat(filepath.Join(in.Dir, "package-lock.json"))
	if err != nil {
		return false, err
	}
	installed, err := os.Stat(filepath.Join(in.Dir, "node_modules", ".package-lock.json"))
	switch {
	case err == nil && !installed.ModTime().Before(lock.ModTime()):
		if _, err := os.Stat(in.bin()); err == nil {
			return false, nil
		}
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = in.Dir
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return false, fmt.Errorf("npm ci in %s: %w\n%s", in.Dir, err, out)
	}
	return true, nil
}

// Diff returns every change from the schema in file oldPath to the one in
// newPath, breaking or not. It runs `graphql-inspector diff` with
// --rule verboseChanges: the default simplification drops a field's
// breaking changes when its type also gained an interface or a field a
// description (graphql-inspector issue 2955), which a gate cannot afford.
func (in Inspector) Diff(ctx context.Context, oldPath, newPath string) ([]Change, error) {
	oldPath, err := filepath.Abs(oldPath)
	if err != nil {
		return nil, err
	}
	newPath, err = filepath.Abs(newPath)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "contract-diff-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	reportPath := filepath.Join(tmp, "changes.json")
	handler, err := filepath.Abs(filepath.Join(in.Dir, "report.cjs"))
	if err != nil {
		return nil, err
	}

	ctx, cancel := context.WithTimeout(ctx, diffTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, in.bin(), "diff", oldPath, newPath,
		"--rule", "verboseChanges", "--onComplete", handler)
	cmd.Dir = in.Dir // no configuration file of the caller's folder applies
	cmd.Env = append(os.Environ(), "PARTNERDESK_CONTRACT_REPORT="+reportPath)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s is not installed: run npm ci in %s", in.bin(), in.Dir)
		}
		return nil, fmt.Errorf("graphql-inspector diff: %w\n%s", err, out)
	}
	data, err := os.ReadFile(reportPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // graphql-inspector calls the handler only when something changed
	}
	if err != nil {
		return nil, err
	}
	var changes []Change
	if err := json.Unmarshal(data, &changes); err != nil {
		return nil, fmt.Errorf("reading graphql-inspector's changes: %w", err)
	}
	return changes, nil
}
