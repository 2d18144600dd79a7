package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/partnerdesk/partnerdesk/ids"
)

// OutboxMessage is an email the server would send when no SMTP server is
// configured: kept here, and logged, so that a deployment without mail (a
// demo, a test) still shows what was sent.
type OutboxMessage struct {
	ent.Schema
}

func (OutboxMessage) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.OutboxMessage}, createdMixin{}}
}

func (OutboxMessage) Fields() []ent.Field {
	return []ent.Field{
		field.String("to").NotEmpty().Immutable().Comment("The recipient's address."),
		field.String("subject").Immutable().Comment("The subject line."),
		field.Text("body").Immutable().Sensitive().Comment("The plain-text body; it may hold a verification code."),
	}
}

func (OutboxMessage) Indexes() []ent.Index {
	return []ent.Index{index.Fields("to", "created_at")}
}

func (OutboxMessage) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}
