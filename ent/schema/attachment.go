package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/cases"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/ent/schema/gqldoc"
	"github.com/partnerdesk/partnerdesk/ids"
)

// Attachment is a file added to a case. Its content lives on disk,
// content-addressed by SHA-256; the row describes it.
type Attachment struct {
	ent.Schema
}

func (Attachment) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.Attachment}, createdMixin{}}
}

func (Attachment) Fields() []ent.Field {
	return []ent.Field{
		field.String("case_id").Immutable().Comment("The case the file was added to."),
		field.String("customer_id").Immutable().Comment("The customer of the case.").Annotations(hidden()),
		field.String("uploaded_by_id").Immutable().Comment("Who added the file."),
		field.String("name").NotEmpty().MaxLen(200).Immutable().Comment("The file's name, sanitised."),
		field.String("content_type").Immutable().Comment("The content type, sniffed from the file, not taken from the client."),
		field.Int64("size").Positive().Immutable().Comment("Size in bytes."),
		field.String("sha256").MinLen(64).MaxLen(64).Immutable().Comment("SHA-256 of the content, lower-case hex."),
	}
}

func (Attachment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("case", SupportCase.Type).Ref("attachments").Field("case_id").
			Unique().Required().Immutable().Comment("The case the file was added to."),
		edge.To("uploaded_by", Contact.Type).Field("uploaded_by_id").
			Unique().Required().Immutable().Comment("Who added the file."),
	}
}

func (Attachment) Indexes() []ent.Index {
	return []ent.Index{index.Fields("case_id", "created_at"), index.Fields("sha256"), index.Fields("uploaded_by_id")}
}

// Hooks: Adding and removing a file is history (cases.History).
func (Attachment) Hooks() []ent.Hook {
	return []ent.Hook{cases.History}
}

func (Attachment) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("A file added to a case: its content is stored once by its SHA-256 and downloaded from downloadURL."),
		entgql.Type("CaseAttachment"),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		fieldaccess.Grant(access.CC).OwnedBy("customer_id"),
	}
}
