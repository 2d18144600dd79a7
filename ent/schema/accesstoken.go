package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/ent/schema/gqldoc"
	"github.com/partnerdesk/partnerdesk/ids"
)

// AccessToken is a bearer credential of one contact. Only its SHA-256 hash
// is stored; the token itself is shown once, when it is created.
type AccessToken struct {
	ent.Schema
}

func (AccessToken) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.AccessToken}, createdMixin{}}
}

func (AccessToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("contact_id").Immutable().Comment("The contact the token signs in as."),
		field.String("name").Default("").MaxLen(100).Comment("A label the owner chose, e.g. laptop."),
		field.Bytes("token_hash").Unique().Immutable().Sensitive().
			Comment("SHA-256 of the token.").
			Annotations(hidden()),
		field.Time("expires_at").Optional().Nillable().Immutable().
			Comment("When the token stops working; never when empty."),
		field.Time("last_used_at").Optional().Nillable().
			Comment("When the token last authenticated a request, to the minute."),
		field.Time("revoked_at").Optional().Nillable().
			Comment("When the owner revoked the token."),
	}
}

func (AccessToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("contact", Contact.Type).Ref("access_tokens").Field("contact_id").
			Unique().Required().Immutable().Comment("The contact the token signs in as."),
	}
}

func (AccessToken) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("A bearer token of one contact, for the Authorization header. The token itself is shown once, when it is created; the server keeps only its hash. A contact reads only its own tokens."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		fieldaccess.Public(),
	}
}
