//go:build tools

// tools.go pins the code generators go generate runs, so that their
// versions are recorded in go.mod.
package main

import (
	_ "entgo.io/contrib/entgql"
	_ "entgo.io/ent/cmd/ent"
	_ "github.com/99designs/gqlgen"
	_ "github.com/Khan/genqlient"
)
