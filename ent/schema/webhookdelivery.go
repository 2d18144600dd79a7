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

// WebhookDelivery is one event to deliver to one webhook, with the state
// of its attempts. It is unique per webhook and event, so that logging an
// event twice is harmless; a sender claims it with a conditional UPDATE,
// as the mail sender claims the outbox.
type WebhookDelivery struct {
	ent.Schema
}

func (WebhookDelivery) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.WebhookDelivery}, createdMixin{}}
}

func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.String("webhook_id").Immutable().Comment("The webhook delivered to."),
		field.String("event_id").Immutable().Comment("The event delivered: a case event's ID, or a grant event's."),
		field.String("event_type").GoType(jsontype.WebhookEvent("")).Immutable().
			Comment("The event's type.").
			Annotations(entgql.Type("WebhookEventType")),
		field.Int64("seq").Immutable().Comment("The event's position in the history.").Annotations(hidden()),
		field.Enum("status").Values("PENDING", "SENDING", "SUCCEEDED", "FAILED", "SKIPPED").Default("PENDING").
			Comment("Where the delivery stands.").
			Annotations(gqldoc.Enum("Where a webhook delivery stands.", gqldoc.Values{
				"PENDING":   "Waiting for its first attempt, or for its next one after a failure.",
				"SENDING":   "An attempt is under way.",
				"SUCCEEDED": "The endpoint answered 2xx: it is never sent again.",
				"FAILED":    "No attempt succeeded and none is left, or the webhook was deleted.",
				"SKIPPED":   "The owner may not see the event when it was due: nothing was sent.",
			})),
		field.Int("attempts").Default(0).NonNegative().Comment("Attempts so far; a claim's number fences its sender's later writes."),
		field.Time("next_attempt_at").Optional().Nillable().Comment("When a PENDING delivery is due; at once when empty.").Annotations(hidden()),
		field.Time("lease_until").Optional().Nillable().Comment("When a SENDING delivery's claim lapses.").Annotations(hidden()),
		field.Time("attempted_at").Optional().Nillable().Comment("When the last attempt was made."),
		field.Int("latency_ms").Optional().Nillable().Comment("How long the endpoint took to answer the last attempt, in milliseconds."),
		field.Int("response_code").Optional().Nillable().Comment("The HTTP status of the last answer; empty when none came."),
		field.Text("error").Optional().Nillable().Comment("Why the last attempt failed, or why the delivery was skipped."),
	}
}

func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("webhook", Webhook.Type).Ref("deliveries").Field("webhook_id").
			Unique().Required().Immutable().Comment("The webhook delivered to."),
		edge.To("attempt_log", WebhookAttempt.Type).Comment("Every attempt, oldest first.").
			Annotations(entgql.Skip()),
	}
}

func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("webhook_id", "event_id").Unique(),
		index.Fields("webhook_id", "seq"),
		index.Fields("status", "next_attempt_at"),
	}
}

func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("One event delivered (or to deliver) to a webhook, with its last attempt: the webhook's delivery log."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		fieldaccess.Public(),
	}
}
