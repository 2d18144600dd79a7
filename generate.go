package main

// One step regenerates everything, in order: ent (and the GraphQL schema of
// its types) first, then the gqlgen executor that reads that schema.
//go:generate go run -mod=mod ./ent/entc.go
//go:generate go run -mod=mod github.com/99designs/gqlgen generate
