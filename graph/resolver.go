// Package graph is the GraphQL layer: the gqlgen executor generated from
// schema.graphqls and graph/ent.graphqls, the resolvers (thin calls into ent
// and the domain packages), the access directives and the error presenter.
package graph

import (
	"context"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/attachments"
	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/ent"
)

// Resolver is the root of the resolvers' dependencies.
type Resolver struct {
	Client      *ent.Client
	Clock       clock.Clock
	Attachments *attachments.Store
	// Links signs the attachments' download links.
	Links *attachments.Links
	// Sessions reads a caller's session again: for each root field of a
	// mutation after the first, and for an open stream when its caller's
	// grants or sign-in change.
	Sessions Sessions
	// EventRetention is how far back a client may resume the event
	// history (after); events.DefaultRetention when zero.
	EventRetention time.Duration
}

// Sessions reads sessions again (auth.Authenticator).
type Sessions interface {
	Refresh(ctx context.Context, s *access.Session) (*access.Session, error)
}

// NewSchema returns the executable schema with its directives wired. A
// directive left nil in DirectiveRoot would fail every field it guards;
// all three are set here. Its schema ends each field's description with
// the access the field needs (AccessNote), so that introspection serves
// it. It panics, so that the server does not start, when a field has no
// access decision: such a field is never served. (A check here costs
// nothing per request, unlike a field middleware.)
func NewSchema(r *Resolver) graphql.ExecutableSchema {
	es := newSchema(r)
	if undecided := UndecidedFields(es.Schema()); len(undecided) > 0 {
		panic(fmt.Sprintf("graph: fields without exactly one access decision: %v", undecided))
	}
	return es
}

func newSchema(r *Resolver) graphql.ExecutableSchema {
	return NewExecutableSchema(Config{
		Schema:    servedSchema(),
		Resolvers: r,
		Directives: DirectiveRoot{
			HasGrant: hasGrant,
			Public:   public,
			Action:   action,
		},
	})
}

// client returns the transaction's client inside a mutation's resolver,
// else the root client, so that a mutation never mixes the two.
func (r *Resolver) client(ctx context.Context) *ent.Client {
	if c := txClient(ctx); c != nil {
		return c
	}
	return r.Client
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
