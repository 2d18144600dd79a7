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

// BulkJobResult is how one item of a bulk job ended. It is written in the
// item's own transaction; the unique (job, index) keeps an item from
// running twice, whatever the workers do.
type BulkJobResult struct {
	ent.Schema
}

func (BulkJobResult) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.BulkJobResult}, createdMixin{}}
}

func (BulkJobResult) Fields() []ent.Field {
	return []ent.Field{
		field.String("job_id").Immutable().Comment("The job.").Annotations(hidden()),
		field.Int("index").NonNegative().Immutable().Comment("The item's position in the mutation's items, from 0.").
			Annotations(entgql.OrderField("INDEX")),
		field.String("subject_id").Optional().Immutable().
			Comment("The ID the item names: its case, or for a grant request the customer it names (empty when the address names none)."),
		field.Enum("outcome").Values("OK", "FAILED", "CANCELLED").Immutable().
			Comment("How the item ended.").
			Annotations(gqldoc.Enum("How one item of a bulk job ended.", gqldoc.Values{
				"OK":        "It ran (or, in a dry run, would have run) as the single mutation does.",
				"FAILED":    "It was refused or failed, with the single mutation's error code; nothing of it changed.",
				"CANCELLED": "The job was cancelled before it ran.",
			})),
		field.String("error_code").Optional().Nillable().Immutable().
			Comment("For FAILED: the error's extensions.code, as the single mutation would answer it."),
		field.String("error_message").Optional().Nillable().Immutable().
			Comment("For FAILED: the error's message."),
		field.String("result_id").Optional().Nillable().Immutable().
			Comment("For OK: the object the item wrote (the case closed, the comment, the grant requested); null in a dry run."),
	}
}

func (BulkJobResult) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("job", BulkJob.Type).Ref("results").Field("job_id").Unique().Required().Immutable().
			Comment("The job.").Annotations(entgql.Skip()),
	}
}

func (BulkJobResult) Indexes() []ent.Index {
	return []ent.Index{index.Fields("job_id", "index").Unique()}
}

func (BulkJobResult) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("How one item of a bulk job ended."),
		entgql.RelayConnection(),
		fieldaccess.Public(),
	}
}
