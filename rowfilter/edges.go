package rowfilter

import (
	"context"
	"slices"

	"entgo.io/ent/dialect/sql/schema"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/intercept"
	"github.com/partnerdesk/partnerdesk/ent/migrate"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
)

// A query's eager loads read the neighbours of rows the read policy has
// already narrowed: a case's comments, a comment's author. The rule that
// names such an edge holds for every row it reaches, and need not be
// rendered again: a visible case's comments need only the visibility
// test, a visible comment's author none (it is a counterpart). Over a
// thousand-branch policy that is most of the SQL.
//
// The parent query marks the context its eager loads run in with its
// entity; the loaded query's rule is then rendered knowing the rules its
// edges from that entity imply. When there are several such edges (a
// grant names four contacts) the loaded rows came through one of them,
// so only a disjunction holding all of them is known to hold.

type parentKey struct{}

// markParent has the queries run inside q's (its eager loads) know whose
// neighbours they read.
func markParent(next ent.Querier) ent.Querier {
	return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
		if !privileged(ctx) {
			if iq, err := intercept.NewQuery(q); err == nil {
				ctx = context.WithValue(ctx, parentKey{}, access.Entity(iq.Type()))
			}
		}
		return next.Query(ctx, q)
	})
}

func parentOf(ctx context.Context) access.Entity {
	e, _ := ctx.Value(parentKey{}).(access.Entity)
	return e
}

// edgeRules holds, for a parent entity and a loaded entity, the rule each
// edge between them implies, from the foreign keys of the schema.
var edgeRules = func() map[[2]access.Entity][]access.Rule {
	entityOf := map[string]access.Entity{}
	for e, t := range tables {
		entityOf[t] = e
	}
	out := map[[2]access.Entity][]access.Rule{}
	add := func(parent, child access.Entity, r access.Rule) {
		k := [2]access.Entity{parent, child}
		out[k] = append(out[k], r)
	}
	for _, t := range migrate.Tables {
		if owner, ok := entityOf[t.Name]; ok {
			for _, fk := range t.ForeignKeys {
				target, ok := entityOf[fk.RefTable.Name]
				if !ok || len(fk.Columns) != 1 {
					continue
				}
				col := fk.Columns[0].Name
				add(target, owner, access.Via{Col: col, To: target})      // the owner's rows, loaded from the target's
				add(owner, target, access.NamedBy{From: owner, Col: col}) // the target's rows, loaded from the owner's
			}
			continue
		}
		// A join table: its two sides are each other's edge.
		ends := joinEnds(t, entityOf)
		if len(ends) != 2 {
			continue
		}
		for _, e := range [][2]access.Entity{{ends[0], ends[1]}, {ends[1], ends[0]}} {
			var r access.Rule // nil: no rule names these rows (the partner eras of a case)
			if t.Name == supportcase.CollaboratorsTable && e == [2]access.Entity{access.Cases, access.Contacts} {
				r = access.Collaborator{}
			}
			add(e[0], e[1], r)
		}
	}
	return out
}()

func joinEnds(t *schema.Table, entityOf map[string]access.Entity) []access.Entity {
	var ends []access.Entity
	for _, fk := range t.ForeignKeys {
		if e, ok := entityOf[fk.RefTable.Name]; ok {
			ends = append(ends, e)
		}
	}
	return ends
}

// implied reports whether rule, the rule (or part of the rule) of a row
// loaded through edges that imply the rules in edge, holds for it.
func implied(rule access.Rule, edge []access.Rule) bool {
	if len(edge) == 0 {
		return false
	}
	switch rule := rule.(type) {
	case access.AnyOf:
		leaves := flatten(rule)
		for _, e := range edge {
			if !slices.Contains(leaves, e) {
				return false
			}
		}
		return true
	case access.Via, access.NamedBy, access.Collaborator:
		return len(edge) == 1 && edge[0] == access.Rule(rule)
	}
	return false
}

// flatten lists the rules of a disjunction that are not disjunctions,
// through nested ones; only those that can be compared.
func flatten(r access.AnyOf) []access.Rule {
	var out []access.Rule
	for _, sub := range r {
		switch sub := sub.(type) {
		case access.AnyOf:
			out = append(out, flatten(sub)...)
		case access.Via, access.NamedBy, access.Collaborator:
			out = append(out, sub)
		}
	}
	return out
}
