package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/ent/schema/gqldoc"
	"github.com/partnerdesk/partnerdesk/ids"
)

// GrantEvent is one entry of a grant's append-only history, written in the
// transaction of the change (grants.History) or of the expiry
// warning's claim (grants.WarnExpiring). Like case events, they feed
// subscriptions, notifications, webhooks and audit from one history.
type GrantEvent struct {
	ent.Schema
}

func (GrantEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.GrantEvent}, createdMixin{filter: true}, seqMixin{}}
}

func (GrantEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("grant_id").Immutable().Comment("The grant the event happened to."),
		// The grant's two sides, which never change: the read policy and
		// the streams filter on them without reading the grant.
		field.String("customer_id").Immutable().Comment("The customer of the grant.").Annotations(hidden()),
		field.String("partner_id").Immutable().Comment("The partner of the grant.").Annotations(hidden()),
		field.Enum("kind").Annotations(fieldaccess.Filter()).
			Values("REQUESTED", "APPROVED", "REJECTED", "REVOKED", "SUPERSEDED", "EXPIRED", "EXPIRING").
			Immutable().
			Comment("What happened.").
			Annotations(gqldoc.Enum("What happened to a grant.", gqldoc.Values{
				"REQUESTED":  "A partner asked for access.",
				"APPROVED":   "The customer approved the request: the grant is active.",
				"REJECTED":   "The customer refused the request.",
				"REVOKED":    "The grant was ended early, or the request withdrawn.",
				"SUPERSEDED": "A newer request or approval for the same partner, customer, grantee and domain replaced it.",
				"EXPIRED":    "The grant reached its expiry, or the request lapsed unanswered.",
				"EXPIRING":   "The grant expires in 30, 7 or 1 days.",
			})),
		field.Int("days_left").Optional().Nillable().Immutable().
			Comment("For EXPIRING: whole days left (30, 7 or 1)."),
		field.String("actor_id").Optional().Nillable().Immutable().
			Comment("Who caused the event; empty for the system (an expiry, a warning)."),
	}
}

func (GrantEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("grant", Grant.Type).Field("grant_id").
			Unique().Required().Immutable().Comment("The grant, as it is now."),
		edge.To("actor", Contact.Type).Field("actor_id").
			Unique().Immutable().Comment("Who caused the event."),
	}
}

func (GrantEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("grant_id", "created_at"),
		index.Fields("customer_id", "created_at"),
		index.Fields("partner_id", "created_at"),
		index.Fields("actor_id"),
	}
}

func (GrantEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("One entry of a grant's append-only history: a change to the grant, or a warning of its expiry. Whoever may read the grant may read its events."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		fieldaccess.Public().OwnedBy("customer_id", "partner_id"),
	}
}
