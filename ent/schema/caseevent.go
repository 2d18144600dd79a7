package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/ent/schema/gqldoc"
	"github.com/partnerdesk/partnerdesk/ent/schema/jsontype"
	"github.com/partnerdesk/partnerdesk/ids"
)

// CaseEvent is one entry of a case's append-only history. Events feed the
// case timeline, subscriptions and audit.
type CaseEvent struct {
	ent.Schema
}

func (CaseEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.CaseEvent}, createdMixin{filter: true}, seqMixin{}}
}

func (CaseEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("case_id").Immutable().Comment("The case the event happened to."),
		field.String("customer_id").Immutable().Comment("The customer of the case.").
			Annotations(hidden()),
		field.String("actor_id").Optional().Nillable().Immutable().
			Comment("Who caused the event; empty for the system (e.g. a timer)."),
		field.Enum("kind").Annotations(fieldaccess.Filter()).
			Values("CREATED", "COMMENTED", "STATUS_CHANGED", "SEVERITY_CHANGED", "ESCALATED", "CLOSED",
				"REOPENED", "ATTACHMENT_ADDED", "ATTACHMENT_REMOVED", "COLLABORATOR_ADDED", "COLLABORATOR_REMOVED", "SHARED",
				"PRIMARY_CONTACT_CHANGED", "UPDATED").
			Immutable().
			Comment("What happened.").
			Annotations(gqldoc.Enum("What happened to a case.", gqldoc.Values{
				"CREATED":                 "The case was filed.",
				"COMMENTED":               "A comment was added: see comment.",
				"STATUS_CHANGED":          "Its status changed.",
				"SEVERITY_CHANGED":        "Its severity changed.",
				"ESCALATED":               "It was escalated.",
				"CLOSED":                  "It was closed.",
				"REOPENED":                "It was reopened.",
				"ATTACHMENT_ADDED":        "A file was attached.",
				"ATTACHMENT_REMOVED":      "The vendor's staff removed a file.",
				"COLLABORATOR_ADDED":      "A collaborator was added.",
				"COLLABORATOR_REMOVED":    "A collaborator was removed.",
				"SHARED":                  "Its public updates were shared with more email addresses.",
				"PRIMARY_CONTACT_CHANGED": "Its primary contact changed.",
				"UPDATED":                 "Other fields changed: title, description, product, category, time zone or language.",
			})),
		field.JSON("changes", []jsontype.FieldChange{}).Default([]jsontype.FieldChange{}).Immutable().
			Comment("The fields that changed, with their values before and after.").
			Annotations(entgql.Type("[FieldChange!]")),
		field.Enum("visibility").Annotations(fieldaccess.Filter()).Values("PUBLIC", "INTERNAL").Default("PUBLIC").Immutable().
			Comment("INTERNAL events (about internal comments) reach vendor contacts only.").
			Annotations(gqldoc.Enum("Who may read an event.", gqldoc.Values{
				"PUBLIC":   "Whoever may read the case.",
				"INTERNAL": "The vendor's staff only: the event is about an internal comment.",
			})),
		field.String("comment_id").Optional().Nillable().Immutable().
			Comment("The comment, for COMMENTED events."),
	}
}

func (CaseEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("case", SupportCase.Type).Ref("events").Field("case_id").
			Unique().Required().Immutable().Comment("The case the event happened to."),
		edge.To("actor", Contact.Type).Field("actor_id").
			Unique().Immutable().Comment("Who caused the event."),
		edge.To("comment", CaseComment.Type).Field("comment_id").
			Unique().Immutable().Comment("The comment, for COMMENTED events."),
	}
}

func (CaseEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("case_id", "created_at"),
		index.Fields("customer_id", "created_at"),
		index.Fields("actor_id"),
	}
}

func (CaseEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("One entry of a case's append-only history: what happened, who did it, and the fields it changed. Events feed the case timeline, subscriptions and audit."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		fieldaccess.Grant(access.CC).OwnedBy("customer_id"),
	}
}
