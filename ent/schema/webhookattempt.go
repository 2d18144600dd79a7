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

// WebhookAttempt is one attempt of a webhook delivery, kept for its
// delivery's log. The worker writes it in the transaction that records
// the attempt's outcome on the delivery, fenced by the same claim, so a
// sender whose claim lapsed leaves no row. It carries its webhook, which
// never changes, so that the read policy decides on it in one step. Its
// createdAt is when its outcome was recorded, as the delivery's
// attemptedAt is.
type WebhookAttempt struct {
	ent.Schema
}

func (WebhookAttempt) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.WebhookAttempt}, createdMixin{}}
}

func (WebhookAttempt) Fields() []ent.Field {
	return []ent.Field{
		field.String("delivery_id").Immutable().Comment("The delivery attempted.").Annotations(hidden()),
		field.String("webhook_id").Immutable().Comment("The delivery's webhook.").Annotations(hidden()),
		field.Int("number").Positive().Immutable().
			Comment("The attempt's number in its delivery, from 1.").
			Annotations(entgql.OrderField("NUMBER")),
		field.Enum("outcome").Values("SUCCEEDED", "FAILED", "SKIPPED").Immutable().
			Comment("How the attempt ended.").
			Annotations(gqldoc.Enum("How one attempt of a webhook delivery ended.", gqldoc.Values{
				"SUCCEEDED": "The endpoint answered 2xx.",
				"FAILED":    "No 2xx answer came: an error status, a timeout, a refused connection, or the delivery could not be prepared.",
				"SKIPPED":   "The owner could not see the event then: no request was sent.",
			})),
		field.Int("latency_ms").Optional().Nillable().Immutable().
			Comment("How long the endpoint took to answer, in milliseconds; empty when no request was sent."),
		field.Int("response_code").Optional().Nillable().Immutable().
			Comment("The HTTP status of the answer; empty when none came."),
		field.Text("error").Optional().Nillable().Immutable().
			Comment("Why the attempt failed, or why it was skipped."),
	}
}

func (WebhookAttempt) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("delivery", WebhookDelivery.Type).Ref("attempt_log").Field("delivery_id").
			Unique().Required().Immutable().Comment("The delivery attempted.").Annotations(entgql.Skip()),
	}
}

func (WebhookAttempt) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("delivery_id", "number").Unique(),
		index.Fields("webhook_id"),
	}
}

func (WebhookAttempt) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("One attempt of a webhook delivery: when, how it ended, and the endpoint's answer. A SKIPPED attempt sent no request."),
		entgql.RelayConnection(),
		fieldaccess.Public(),
	}
}
