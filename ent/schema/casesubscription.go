package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/partnerdesk/partnerdesk/ids"
)

// CaseSubscription is a contact's wish to be mailed about a customer's
// cases. It holds no access of its own: whether the contact may still see
// a case is asked of the read policy each time a mail would go out, so a
// partner's subscription ends with its grant without anyone touching it.
type CaseSubscription struct {
	ent.Schema
}

func (CaseSubscription) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.CaseSubscription}, createdMixin{}}
}

func (CaseSubscription) Fields() []ent.Field {
	return []ent.Field{
		field.String("contact_id").Immutable().Comment("The contact mailed."),
		field.String("customer_id").Immutable().Comment("The customer whose cases it follows."),
	}
}

func (CaseSubscription) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("contact", Contact.Type).Ref("case_subscriptions").Field("contact_id").
			Unique().Required().Immutable().Comment("The contact mailed."),
		edge.To("customer", Organization.Type).Field("customer_id").
			Unique().Required().Immutable().Comment("The customer whose cases it follows."),
	}
}

func (CaseSubscription) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("contact_id", "customer_id").Unique(),
		// Every notifying case event reads a customer's subscribers.
		index.Fields("customer_id"),
	}
}

func (CaseSubscription) Annotations() []schema.Annotation {
	return []schema.Annotation{hidden()}
}
