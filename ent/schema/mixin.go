package schema

import (
	"context"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/ids"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// idMixin gives a type an opaque, prefixed ULID as its primary key.
type idMixin struct {
	mixin.Schema
	prefix string
}

func (m idMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").
			Immutable().
			NotEmpty().
			MaxLen(40).
			DefaultFunc(func() string { return ids.New(m.prefix) }).
			Comment("Opaque, globally unique identifier.").
			Annotations(fieldaccess.Public()),
	}
}

// readPolicy registers the read policy's row filter on the type, so that
// every client opened on this schema carries it: a client cannot be opened
// without it, and only the few privileged call sites that say so read
// around it (rowfilter.Privileged).
type readPolicy struct{ mixin.Schema }

func (readPolicy) Interceptors() []ent.Interceptor {
	return []ent.Interceptor{rowfilter.Interceptor()}
}

// createdMixin records when a row was created; rows with a history of their
// own (grants, cases) add the other instants themselves. filter offers the
// instant in the type's where input.
type createdMixin struct {
	mixin.Schema
	filter bool
}

func (m createdMixin) Fields() []ent.Field {
	f := field.Time("created_at").
		Immutable().
		Default(func() time.Time { return time.Now().UTC() }).
		Comment("When the object was created.").
		Annotations(
			entgql.OrderField("CREATED_AT"),
			entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput),
		)
	if m.filter {
		f.Annotations(fieldaccess.Filter())
	}
	return []ent.Field{f}
}

// normalize rewrites string fields to their stored form (lower-case email,
// E.164 phone, colon MAC) before validators run. A value that cannot be
// normalised is left as typed, so that the field's validator rejects it with
// the normaliser's message.
func normalize(fields map[string]func(string) (string, error)) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			for name, fn := range fields {
				v, ok := m.Field(name)
				if !ok {
					continue
				}
				s, ok := v.(string)
				if !ok {
					continue
				}
				if n, err := fn(s); err == nil {
					if err := m.SetField(name, n); err != nil {
						return nil, err
					}
				}
			}
			return next.Mutate(ctx, m)
		})
	}
}

// noInput keeps a field out of the generated create and update inputs:
// the server sets it, clients never do.
func noInput() entgql.Annotation {
	return entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)
}

// createOnly keeps a field out of the generated update input.
func createOnly() entgql.Annotation {
	return entgql.Skip(entgql.SkipMutationUpdateInput)
}

// hidden keeps a field out of the GraphQL schema altogether.
func hidden() entgql.Annotation { return entgql.Skip(entgql.SkipAll) }

// normalizeList is normalize for string-list fields, which ent cannot
// validate on its own: a bad element fails the mutation with the field named.
func normalizeList(fields map[string]func(string) (string, error)) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			for name, fn := range fields {
				v, ok := m.Field(name)
				if !ok {
					continue
				}
				in, _ := v.([]string)
				out := make([]string, 0, len(in))
				seen := map[string]bool{}
				for _, s := range in {
					n, err := fn(s)
					if err != nil {
						return nil, apperr.Invalid(name, "%v", err)
					}
					if !seen[n] {
						seen[n] = true
						out = append(out, n)
					}
				}
				if err := m.SetField(name, out); err != nil {
					return nil, err
				}
			}
			return next.Mutate(ctx, m)
		})
	}
}

// seqMixin numbers the rows of an event history in the one order of both
// histories, their commit order (events.Sequence): what a resumed stream
// and the feeds page by. Rows written before the number existed get
// theirs at migration (events.InstallSequence), hence optional.
type seqMixin struct{ mixin.Schema }

func (seqMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("seq").Optional().Unique().Immutable().
			Comment("The event's place in the order of all events, case and grant alike: the order their transactions committed.").
			Annotations(hidden()),
	}
}

func (seqMixin) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(events.Sequence, ent.OpCreate)}
}
