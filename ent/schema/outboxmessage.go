package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/partnerdesk/partnerdesk/ids"
)

// OutboxMessage is an email, written in the transaction of the change that
// caused it (mailer.Enqueue) and delivered later by a sender
// (mailer.Sender), which keeps its delivery state here so that it survives
// restarts and is shared by every server instance. Without SMTP the rows
// stay QUEUED: a deployment without mail (a demo, a test) still shows what
// would have been sent.
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
		field.Text("body").Immutable().Sensitive().Comment("The plain-text part; it may hold a verification code."),
		field.Text("html").Optional().Nillable().Immutable().Sensitive().Comment("The HTML part, when the mail has one."),
		// The default is for rows kept before mail had a kind: the sender
		// cancels those, so that turning SMTP on does not send them late.
		field.String("kind").Default("").Immutable().Comment("What the mail is for, e.g. VERIFICATION_CODE; a recheck reads it."),
		field.String("contact_id").Optional().Nillable().Immutable().Comment("The recipient contact, when the address is one's: its lastEmailStatus and suppression follow this mail."),
		field.String("object_id").Optional().Nillable().Immutable().Comment("The object the mail is about (a case, a grant), for the recheck at send time."),
		field.Enum("status").
			Values("QUEUED", "SENDING", "SENT", "FAILED", "SUPPRESSED", "CANCELLED").
			Default("QUEUED").
			Comment("QUEUED waits for next_attempt_at; SENDING is claimed by a sender until lease_until; SENT was accepted by the SMTP server; FAILED was refused for good or ran out of attempts; SUPPRESSED went to a suppressed address; CANCELLED was refused by the recheck."),
		field.Int("attempts").Default(0).NonNegative().Comment("Claims so far; a claim's number fences its sender's later writes."),
		field.Time("next_attempt_at").Optional().Nillable().Comment("When a QUEUED row may be tried again; none: at once."),
		field.Time("lease_until").Optional().Nillable().Comment("When a SENDING row's claim lapses and another sender may take it over."),
		field.Text("last_error").Optional().Comment("Why the last attempt failed or the row was cancelled."),
		field.Time("sent_at").Optional().Nillable().Comment("When the SMTP server accepted the mail."),
		field.Time("bounced_at").Optional().Nillable().Comment("When the recipient's side refused the mail for good (a 5xx reply, or a bounce report)."),
	}
}

func (OutboxMessage) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("to", "created_at"),
		index.Fields("status", "next_attempt_at"),
		index.Fields("contact_id", "created_at"),
	}
}

func (OutboxMessage) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}
