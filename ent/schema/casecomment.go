package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/cases"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/ent/schema/gqldoc"
	"github.com/partnerdesk/partnerdesk/ids"
)

// CaseComment is one message on a case.
type CaseComment struct {
	ent.Schema
}

func (CaseComment) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.CaseComment}, createdMixin{filter: true}}
}

func (CaseComment) Fields() []ent.Field {
	return []ent.Field{
		field.String("case_id").Immutable().Comment("The case commented on."),
		// Kept on the row so that row filters and access checks need no join.
		field.String("customer_id").Immutable().Comment("The customer of the case.").
			Annotations(hidden()),
		field.String("author_id").Immutable().Comment("Who wrote the comment."),
		field.Text("body").NotEmpty().MaxLen(50000).Immutable().Comment("The comment's text."),
		field.Enum("visibility").Annotations(fieldaccess.Filter()).Values("PUBLIC", "INTERNAL").Default("PUBLIC").Immutable().
			Comment("INTERNAL comments are written and read by vendor contacts only.").
			Annotations(gqldoc.Enum("Who may read a comment.", gqldoc.Values{
				"PUBLIC":   "Whoever may read the case.",
				"INTERNAL": "The vendor's staff only, who alone write such comments.",
			})),
	}
}

func (CaseComment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("case", SupportCase.Type).Ref("comments").Field("case_id").
			Unique().Required().Immutable().Comment("The case commented on."),
		edge.To("author", Contact.Type).Field("author_id").
			Unique().Required().Immutable().Comment("Who wrote the comment."),
	}
}

func (CaseComment) Indexes() []ent.Index {
	return []ent.Index{index.Fields("case_id", "created_at"), index.Fields("author_id")}
}

// Hooks: A comment is history: its COMMENTED event (cases.History).
func (CaseComment) Hooks() []ent.Hook {
	return []ent.Hook{cases.History}
}

func (CaseComment) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("One message on a case. The first public comment of a vendor agent is the case's first response."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		fieldaccess.Grant(access.CC).OwnedBy("customer_id"),
	}
}
