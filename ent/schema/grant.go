package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/ent/schema/gqldoc"
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/ids"
)

// accessLevels documents the AccessLevel enum (SPEC §2.1), for the fields
// that use it: a grant's level, an audit entry's, an elevation rule's most.
var accessLevels = gqldoc.Enum(
	"A level of access to a customer, lowest first: each level may do all that the levels below it may (SPEC §2.1).",
	gqldoc.Values{
		"CC":            "Sees the customer's name, domains and plan, and the cases it collaborates on.",
		"LOOK":          "Also sees all of the customer's cases, their events (and may subscribe to them) and its support dashboard; reads its contacts' details, devices, phone numbers and licences.",
		"UPDATE":        "Also works the customer's cases: comments on, updates, closes, reopens and escalates them, adds attachments and collaborators, and may be a case's primary contact.",
		"CREATE":        "Also files cases for the customer.",
		"SERVICE_ADMIN": "Also changes the customer's configuration: sites, devices, phone numbers, settings.",
		"FULL_ADMIN":    "Also creates, changes and deactivates the customer's contacts.",
	})

// Grant is a customer's permission for a partner, or one of its contacts, to
// work on its behalf at a level until a date. Grants are never deleted: their
// history decides which cases a partner may see (SPEC §2.4) and is audited.
type Grant struct {
	ent.Schema
}

func (Grant) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.Grant}, createdMixin{filter: true}}
}

func (Grant) Fields() []ent.Field {
	return []ent.Field{
		field.String("partner_id").Annotations(fieldaccess.Filter()).Immutable().Comment("The partner that asked for access."),
		field.String("customer_id").Annotations(fieldaccess.Filter()).Immutable().Comment("The customer that gives access."),
		field.String("grantee_id").
			Optional().Nillable().Immutable().
			Comment("The partner contact an individual grant is for; empty for an organisation grant."),
		field.String("requested_by_id").Immutable().Comment("The partner admin who made the request."),
		field.String("decided_by_id").
			Optional().Nillable().
			Comment("The customer contact who approved or rejected the request."),
		field.String("ended_by_id").
			Optional().Nillable().
			Comment("The contact who revoked the grant."),
		field.Enum("level").Annotations(fieldaccess.Filter()).
			GoType(access.Level("")).
			Immutable().
			Comment("What the grant allows; changing it takes a new request.").
			Annotations(entgql.Type("AccessLevel"), entgql.OrderField("LEVEL"), accessLevels),
		field.String("partner_domain").
			Optional().Nillable().Immutable().
			Comment("When set, the grant covers only partner contacts whose email is in this domain."),
		field.Enum("status").Annotations(fieldaccess.Filter()).
			Values("PENDING", "ACTIVE", "REJECTED", "REVOKED", "EXPIRED", "SUPERSEDED").
			Default("PENDING").
			Comment("Where the grant is in its life. An ACTIVE grant past its expiry gives no access even before a job marks it EXPIRED.").
			Annotations(entgql.OrderField("STATUS"), gqldoc.Enum("Where a grant is in its life (SPEC §2.3).", gqldoc.Values{
				"PENDING":    "Requested, waiting for the customer's decision; a request nobody answers lapses after 90 days.",
				"ACTIVE":     "Approved: gives its level from startsAt until expiresAt.",
				"REJECTED":   "The customer refused the request.",
				"REVOKED":    "Ended early, by the customer or the partner.",
				"EXPIRED":    "Past its expiry, or a request that lapsed unanswered.",
				"SUPERSEDED": "Replaced by a newer request or approval for the same partner, customer, grantee and domain; a pending elevation, by its contact's newer elevation request on the customer.",
			})),
		field.Int("expires_in_days").
			Range(1, 730).
			Immutable().
			Comment("How long the grant lasts once approved; 1 for an elevation, which lasts its minutes."),
		field.String("note").
			Optional().
			MaxLen(2000).
			Immutable().
			Comment("The partner's note to the customer."),
		field.Time("decided_at").Optional().Nillable().Comment("When the request was approved or rejected."),
		field.Time("starts_at").Optional().Nillable().Comment("When the grant became active.").
			Annotations(entgql.OrderField("STARTS_AT")),
		field.Time("expires_at").Annotations(fieldaccess.Filter()).Optional().Nillable().Comment("When the grant stops giving access.").
			Annotations(entgql.OrderField("EXPIRES_AT")),
		field.Time("ended_at").Optional().Nillable().
			Comment("When the grant was revoked, superseded or expired, or the request lapsed."),
		field.Enum("kind").Annotations(fieldaccess.Filter()).
			Values(grants.KindStanding, grants.KindElevation).
			Default(grants.KindStanding).
			Immutable().
			Comment("A standing grant, or a partner contact's just-in-time elevation above it.").
			Annotations(gqldoc.Enum("What a grant is for.", gqldoc.Values{
				grants.KindStanding:  "A standing grant a partner's admin asked for, for days (requestGrant).",
				grants.KindElevation: "A partner contact's raise above the level it holds, for minutes (requestElevation): the contact is its grantee; it never supersedes a standing grant, nor is superseded by one, and gives nothing once the contact holds no standing grant.",
			})),
		field.String("reason").
			Optional().
			MaxLen(2000).
			Immutable().
			Comment("Why the elevation is asked for; empty for a standing grant."),
		field.Int("minutes").
			Optional().Nillable().
			Range(grants.MinElevationMinutes, grants.MaxElevationMinutes).
			Immutable().
			Comment("How long an elevation lasts once approved, in minutes; null for a standing grant."),
		field.String("decided_by_rule_id").
			Optional().Nillable().
			Comment("The customer's auto-approval rule that approved the elevation at once; the rule may have been deleted since.").
			Annotations(noInput(), entgql.Type("ID")),
		field.Int("warned_days").Optional().Nillable().
			Comment("The last expiry warning sent: 30, 7 or 1 days before expiry.").
			Annotations(noInput()),
	}
}

func (Grant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("partner", Organization.Type).Ref("partner_grants").Field("partner_id").
			Unique().Required().Immutable().Comment("The partner that asked for access."),
		edge.From("customer", Organization.Type).Ref("customer_grants").Field("customer_id").
			Unique().Required().Immutable().Comment("The customer that gives access."),
		edge.To("grantee", Contact.Type).Field("grantee_id").
			Unique().Immutable().Comment("The partner contact an individual grant is for."),
		edge.To("requested_by", Contact.Type).Field("requested_by_id").
			Unique().Required().Immutable().Comment("The partner admin who made the request."),
		edge.To("decided_by", Contact.Type).Field("decided_by_id").
			Unique().Comment("The customer contact who approved or rejected the request."),
		edge.To("ended_by", Contact.Type).Field("ended_by_id").
			Unique().Comment("The contact who revoked the grant."),
	}
}

func (Grant) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("partner_id", "customer_id", "status"),
		index.Fields("customer_id", "status"),
		index.Fields("grantee_id"),
		index.Fields("requested_by_id"),
		index.Fields("decided_by_id"),
		index.Fields("ended_by_id"),
		index.Fields("status", "expires_at"),
	}
}

func (Grant) Hooks() []ent.Hook {
	return []ent.Hook{hook.On(grants.Restamp, ent.OpCreate|ent.OpUpdate|ent.OpUpdateOne), grants.Version, grants.History}
}

func (Grant) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("A customer's permission for a partner, or one of its contacts, to work on its behalf at a level until a date, from the partner's request to its end (SPEC §2.3); or, of kind ELEVATION, one partner contact's raise above it for minutes. Grants are never deleted. A partner's contacts read all of its grants; a customer's contact managers and admins all of the customer's; the vendor's staff all."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		fieldaccess.Public().OwnedBy("customer_id", "partner_id"),
	}
}
