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
	"github.com/partnerdesk/partnerdesk/ids"
)

// AuditEntry records one mutation: who did what, for which customer, and
// which grant allowed it (SPEC §2.6). Entries are written in the mutation's
// own transaction and every field is immutable; the API offers no way to
// change or delete one.
type AuditEntry struct {
	ent.Schema
}

func (AuditEntry) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.AuditEntry}, createdMixin{filter: true}}
}

func (AuditEntry) Fields() []ent.Field {
	return []ent.Field{
		field.String("actor_id").Annotations(fieldaccess.Filter()).Optional().Nillable().Immutable().
			Comment("The contact who acted; empty for operator commands and the system."),
		field.String("actor_organization_id").Optional().Nillable().Immutable().
			Comment("The actor's organisation."),
		field.String("customer_id").Annotations(fieldaccess.Filter()).Optional().Nillable().Immutable().
			Comment("The customer acted on, if any."),
		field.String("grant_id").Optional().Nillable().Immutable().
			Comment("The grant that allowed the action, when a partner acted."),
		field.Enum("level").GoType(access.Level("")).Optional().Nillable().Immutable().
			Comment("The actor's effective level on the customer when it acted.").
			Annotations(entgql.Type("AccessLevel"), accessLevels),
		field.String("operation").Annotations(fieldaccess.Filter()).NotEmpty().Immutable().
			Comment("The mutation or command, e.g. updateContact."),
		field.String("object_type").Optional().Immutable().Comment("The type of the object acted on."),
		field.String("object_id").Annotations(fieldaccess.Filter()).Optional().Immutable().Comment("The ID of the object acted on."),
		field.Strings("changed_fields").Default([]string{}).Immutable().
			Comment("The input fields the action set."),
		field.String("request_id").Optional().Immutable().
			Comment("The request the action came in, to match server logs."),
	}
}

func (AuditEntry) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("actor", Contact.Type).Field("actor_id").Unique().Immutable().
			Comment("The contact who acted."),
		edge.To("actor_organization", Organization.Type).Field("actor_organization_id").Unique().Immutable().
			Comment("The actor's organisation."),
		edge.To("customer", Organization.Type).Field("customer_id").Unique().Immutable().
			Comment("The customer acted on."),
		edge.To("grant", Grant.Type).Field("grant_id").Unique().Immutable().
			Comment("The grant that allowed the action."),
	}
}

func (AuditEntry) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "created_at"),
		index.Fields("actor_organization_id", "created_at"),
		index.Fields("actor_id"),
	}
}

func (AuditEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("One action taken through the API or an operator command: who did what, for which customer, and the grant and level that allowed it (SPEC §2.6). Entries are written in the action's transaction and cannot be changed or deleted."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		// Row filters decide who lists which entries (SPEC §2.6).
		entgql.QueryField("auditEntries").Description("Audit entries, newest first unless ordered: a customer's contact managers and admins read those about their organisation, a partner's admins those of its people, the vendor's admins all."),
		fieldaccess.Public(),
	}
}
