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
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/ids"
)

// ElevationRule is a customer's standing answer to partners' elevation
// requests: a request it covers is approved at once, by the rule. Rules
// are deleted, not ended: the elevations they approved keep the rule's ID.
type ElevationRule struct {
	ent.Schema
}

func (ElevationRule) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.ElevationRule}, createdMixin{}}
}

func (ElevationRule) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id").Immutable().Comment("The customer whose rule it is."),
		field.String("partner_id").Optional().Nillable().Immutable().
			Comment("The only partner whose contacts the rule covers; null for every partner holding a grant.").
			Annotations(entgql.Type("ID")),
		// A string, not an enum: ContactRole is declared once, in schema.graphqls.
		field.String("contact_role").
			GoType(access.Role("")).
			Optional().Nillable().Immutable().
			Comment("The role a requesting contact must hold, such as HELP_DESK; null for any.").
			Annotations(entgql.Type("ContactRole")),
		field.Enum("max_level").
			GoType(access.Level("")).
			Immutable().
			Comment("The highest level the rule approves.").
			Annotations(entgql.Type("AccessLevel"), accessLevels),
		field.Int("max_minutes").
			Range(grants.MinElevationMinutes, grants.MaxElevationMinutes).
			Immutable().
			Comment("The longest elevation the rule approves, in minutes."),
		field.String("created_by_id").Immutable().Comment("The customer contact who made the rule."),
	}
}

func (ElevationRule) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Organization.Type).Ref("elevation_rules").Field("customer_id").
			Unique().Required().Immutable().Comment("The customer whose rule it is.").Annotations(hidden()),
		edge.To("created_by", Contact.Type).Field("created_by_id").
			Unique().Required().Immutable().Comment("The customer contact who made the rule.").Annotations(hidden()),
	}
}

func (ElevationRule) Indexes() []ent.Index {
	return []ent.Index{
		// Every elevation request reads its customer's rules.
		index.Fields("customer_id"),
		index.Fields("partner_id"),
		index.Fields("created_by_id"),
	}
}

func (ElevationRule) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("A customer's rule that approves at once the elevation requests it covers: from one partner or any, by contacts of a role or any, up to a level and a number of minutes. The customer's contact managers and admins make, read and delete them; a partner's contacts read those that name their partner."),
		fieldaccess.Public().OwnedBy("customer_id"),
		entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput, entgql.SkipWhereInput, entgql.SkipOrderField),
	}
}
