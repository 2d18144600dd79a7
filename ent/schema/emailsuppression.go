package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// EmailSuppression is an address that gets no more mail: its mail bounced
// for good, or its owner complained. It is keyed by the address, not by a
// contact, because mail also goes to addresses no contact has (a case's
// shared emails). A help-desk user lifts it (clearEmailSuppression).
type EmailSuppression struct {
	ent.Schema
}

func (EmailSuppression) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}}
}

func (EmailSuppression) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").NotEmpty().Immutable().Comment("The suppressed address, in lower case."),
		field.Enum("reason").Values("BOUNCED", "COMPLAINED").Comment("Why the address is suppressed."),
		field.String("outbox_message_id").Optional().Nillable().Comment("The mail whose bounce or complaint suppressed the address, when known."),
		field.Text("detail").Optional().Comment("What the bounce report or the SMTP server said."),
		field.Time("created_at").Default(func() time.Time { return time.Now().UTC() }).Comment("When the address was suppressed."),
	}
}

func (EmailSuppression) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}
