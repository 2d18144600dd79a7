package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/partnerdesk/partnerdesk/ids"
)

// VerificationCode is a one-time code a help-desk user had emailed to a
// contact, to check the identity of the person on the line (SPEC §4). Only
// its hash is stored; it lives 10 minutes and allows 5 tries.
type VerificationCode struct {
	ent.Schema
}

func (VerificationCode) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.VerificationCode}, createdMixin{}}
}

func (VerificationCode) Fields() []ent.Field {
	return []ent.Field{
		field.String("contact_id").Immutable().Comment("The contact whose identity is checked."),
		field.String("organization_id").Immutable().Comment("The contact's organisation."),
		field.String("requested_by_id").Immutable().Comment("The help-desk user who sent the code."),
		field.Bytes("code_hash").Immutable().Sensitive().Comment("SHA-256 of the code, salted with the record's ID."),
		field.Time("expires_at").Immutable().Comment("When the code stops working."),
		field.Int("attempts").Default(0).Comment("Checks made so far; 5 lock the code."),
		field.Time("verified_at").Optional().Nillable().Comment("When the right code was read back."),
	}
}

func (VerificationCode) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("contact", Contact.Type).Field("contact_id").Unique().Required().Immutable().
			Comment("The contact whose identity is checked."),
	}
}

func (VerificationCode) Indexes() []ent.Index {
	return []ent.Index{index.Fields("contact_id", "created_at")}
}

func (VerificationCode) Annotations() []schema.Annotation {
	// Not in the graph: the API speaks of codes only through the send and
	// check mutations.
	return []schema.Annotation{hidden()}
}
