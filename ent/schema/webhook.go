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
	"github.com/partnerdesk/partnerdesk/ent/schema/jsontype"
	"github.com/partnerdesk/partnerdesk/ids"
)

// Webhook is an endpoint an organisation registered to receive its events
// by HTTP POST. The owner is the organisation, not the contact that
// created it: what it receives is decided, at each delivery, as the
// organisation (package webhooks).
type Webhook struct {
	ent.Schema
}

func (Webhook) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.Webhook}, createdMixin{}}
}

func (Webhook) Fields() []ent.Field {
	return []ent.Field{
		field.String("organization_id").Immutable().Comment("The organisation that owns the webhook and as which its deliveries are decided."),
		field.String("created_by_id").Immutable().Comment("The contact who created the webhook."),
		field.String("url").NotEmpty().MaxLen(2048).Comment("Where deliveries are POSTed: an http or https URL of a public address."),
		field.JSON("events", []jsontype.WebhookEvent{}).
			Comment("The kinds of event delivered.").
			Annotations(entgql.Type("[WebhookEventType!]")),
		field.Strings("customer_ids").Default([]string{}).
			Comment("The customers whose events are delivered; empty for every customer the owner may see.").
			Annotations(hidden()),
		field.String("secret").Sensitive().NotEmpty().
			Comment("The key deliveries are signed with; shown once, in createWebhook's payload.").
			Annotations(hidden()),
		field.Enum("status").Values("ACTIVE", "PAUSED", "DISABLED").Default("ACTIVE").
			Comment("Whether deliveries go out.").
			Annotations(gqldoc.Enum("Whether a webhook's deliveries go out.", gqldoc.Values{
				"ACTIVE":   "Events are delivered.",
				"PAUSED":   "Its owner paused it: events are logged as they happen and delivered once it resumes.",
				"DISABLED": "It failed too many times in a row: nothing is delivered until its owner resumes it (see disabledReason).",
			})),
		field.String("disabled_reason").Optional().Nillable().
			Comment("Why the webhook was disabled, while it is."),
		field.Time("disabled_at").Optional().Nillable().
			Comment("When the server disabled the webhook, while it is."),
		field.Int("consecutive_failures").Default(0).NonNegative().
			Comment("Deliveries that failed in a row since the last success; at the server's limit the webhook is DISABLED."),
		field.Int64("cursor").Default(0).
			Comment("The position in the event history up to which deliveries were logged.").
			Annotations(hidden()),
	}
}

func (Webhook) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("organization", Organization.Type).Field("organization_id").
			Unique().Required().Immutable().Comment("The organisation that owns the webhook."),
		edge.To("created_by", Contact.Type).Field("created_by_id").
			Unique().Required().Immutable().Comment("The contact who created the webhook."),
		edge.To("deliveries", WebhookDelivery.Type).
			Comment("The delivery log, oldest first unless ordered otherwise.").
			Annotations(entgql.RelayConnection()),
	}
}

func (Webhook) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id"),
		index.Fields("status"),
	}
}

func (Webhook) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type(webhookDoc),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		fieldaccess.Public().OwnedBy("organization_id"),
	}
}

// webhookDoc is the Webhook type's description: how to verify what it
// receives.
const webhookDoc = `An endpoint an organisation registered to receive its events by HTTP POST. Its organisation's admins and the vendor's staff read and manage it.
Each delivery is decided when it is sent, as the owner organisation: a partner receives what its organisation grants let it see then (not its contacts' individual or domain-scoped grants), a customer its own cases; an event it may not see is SKIPPED and nothing is sent.
A delivery is a JSON body {"id", "type", "createdAt", "data"} with the headers Partnerdesk-Delivery (the delivery's ID: the same on every attempt, to deduplicate on) and Partnerdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>. Verify by computing the HMAC over the raw body, comparing in constant time, and refusing a t more than 5 minutes from your clock (replays).
A failed delivery (no 2xx within the server's timeout, 10 seconds by default) is retried with exponential backoff and jitter; after a run of failures the webhook is DISABLED and its owner's admins are mailed.`
