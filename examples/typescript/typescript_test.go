// Package typescript_test holds the typed TypeScript client to the served
// schema: graphql-codegen must generate, from contract/schema.served.graphql
// and ../operations.graphql, exactly the src/generated/graphql.ts that is
// committed, and tsc --strict must accept the client that uses it. A schema
// change that breaks the client fails go test.
//
// It needs the pinned npm packages installed (npm ci, from
// package-lock.json, which .ci/run does). Without node or them it is skipped,
// except on CI (CI set), where it fails.
package typescript_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/testkit"
)

// generated is the committed output of codegen.yml.
const generated = "src/generated/graphql.ts"

func TestTypeScriptClient(t *testing.T) {
	node := testkit.NodeTool(t, "node")
	testkit.RequireNodeModules(t, ".")

	t.Run("codegen is current", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "graphql.ts")
		run(t, node, []string{"PD_CODEGEN_OUT=" + out}, "node_modules/@graphql-codegen/cli/esm/bin.js", "--config", "codegen.yml", "--silent")
		want, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(generated)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s is not what codegen.yml generates from the served schema (%s); "+
				"run `npm run codegen` in examples/typescript and commit it", generated, firstDifference(got, want))
		}
	})

	t.Run("tsc --strict", func(t *testing.T) {
		run(t, node, nil, "node_modules/typescript/bin/tsc", "--strict", "--noEmit", "--pretty", "false")
	})
}

// run runs node with args in this directory, failing the test with its
// output when it fails.
func run(t *testing.T, node string, env []string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v; its output:\n%s", strings.Join(args, " "), err, out.String())
	}
	t.Logf("%s: %s", args[0], time.Since(start).Round(time.Millisecond))
}

// firstDifference names the first line where got and want differ.
func firstDifference(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d is %q, codegen writes %q", i+1, gl, wl)
		}
	}
	return "they differ"
}
