package main

// One step regenerates everything, in order: ent (and the GraphQL schema of
// its types) first, then the gqlgen executor that reads that schema, then
// the schema the server serves, printed from that executor for the
// breaking-change check (contract/).
//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run -mod=mod github.com/99designs/gqlgen generate
//go:generate go run ./contract/cmd/printschema -o contract/schema.served.graphql
