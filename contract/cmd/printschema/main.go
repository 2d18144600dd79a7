// Command printschema prints the schema partnerdesk serves to
// contract/schema.served.graphql. go generate runs it, after gqlgen, from
// the repository's root:
//
//	go run ./contract/cmd/printschema -o contract/schema.served.graphql
//
// The schema is graph.NewSchema's: building it needs a Resolver but no
// database, and it panics, as the server would, when a field has no access
// decision.
package main

import (
	"flag"
	"log"
	"os"

	"github.com/partnerdesk/partnerdesk/contract"
	"github.com/partnerdesk/partnerdesk/graph"
)

func main() {
	out := flag.String("o", contract.ServedSchemaPath, "file to write the served schema to")
	flag.Parse()
	schema := graph.NewSchema(&graph.Resolver{}).Schema()
	if err := os.WriteFile(*out, contract.Print(schema), 0o644); err != nil {
		log.Fatalf("printschema: %v", err)
	}
}
