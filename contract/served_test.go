package contract_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/partnerdesk/partnerdesk/contract"
	"github.com/partnerdesk/partnerdesk/graph"
)

// TestServedSchemaFileIsCurrent: the committed file is what the server
// serves now (go generate ./... prints it; CI also fails on its drift).
func TestServedSchemaFileIsCurrent(t *testing.T) {
	want := contract.Print(graph.NewSchema(&graph.Resolver{}).Schema())
	got, err := os.ReadFile("schema.served.graphql")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("contract/schema.served.graphql is not the served schema: run go generate ./... and commit it")
	}
	for _, s := range []string{"type Mutation {", "directive @hasGrant", "@action(name: WORK_CASE)", "type Case implements Node"} {
		if !bytes.Contains(got, []byte(s)) {
			t.Errorf("the served schema lacks %q", s)
		}
	}
}
