package schema

import (
	"encoding/json"

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

// BulkJob is one bulk mutation (package bulk): the items a caller sent,
// run one by one, each in its own transaction, by a worker that claims the
// job with a lease. done is the index of the first unfinished item, so a
// job interrupted by a crash resumes there.
type BulkJob struct {
	ent.Schema
}

func (BulkJob) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.BulkJob}, createdMixin{}}
}

func (BulkJob) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("CLOSE_CASES", "ADD_CASE_COMMENTS", "REQUEST_GRANTS").Immutable().
			Comment("What each item does.").
			Annotations(gqldoc.Enum("What each item of a bulk job does.", gqldoc.Values{
				"CLOSE_CASES":       "Each item closes a case, as closeCase does.",
				"ADD_CASE_COMMENTS": "Each item comments on a case, as addCaseComment does.",
				"REQUEST_GRANTS":    "Each item requests access to a customer, as requestGrant does.",
			})),
		field.Enum("status").Values("QUEUED", "RUNNING", "SUCCEEDED", "PARTIAL", "FAILED", "CANCELLED").Default("QUEUED").
			Comment("Where the job stands.").
			Annotations(gqldoc.Enum("Where a bulk job stands.", gqldoc.Values{
				"QUEUED":    "Waiting for a worker.",
				"RUNNING":   "A worker is running its items.",
				"SUCCEEDED": "Every item ended OK.",
				"PARTIAL":   "Finished: some items ended OK, others FAILED.",
				"FAILED":    "Finished: no item ended OK.",
				"CANCELLED": "Cancelled: the items not yet run ended CANCELLED.",
			})),
		field.Bool("dry_run").Default(false).Immutable().
			Comment("Whether the job only decides its items: each runs in a transaction that is rolled back, and nothing changes."),
		field.String("created_by_id").Immutable().Comment("The contact that sent the bulk mutation; each item is decided against its access when the item runs.").
			Annotations(hidden()),
		field.String("organization_id").Immutable().Comment("The creator's organisation, whose admins may read the job.").
			Annotations(hidden()),
		field.String("token_id").Immutable().Sensitive().Comment("The token the creator signed in with: the worker reads the creator's session from it for each item.").
			Annotations(hidden()),
		field.String("client_mutation_id").Optional().Nillable().Immutable().
			Comment("The client's clientMutationId: the same creator sending the same kind of bulk mutation with it again gets this job back.").
			Annotations(hidden()),
		field.JSON("items", []json.RawMessage{}).Immutable().Comment("The items as sent, in order.").
			Annotations(hidden()),
		field.Int("total").NonNegative().Immutable().Comment("How many items the job has.").
			Annotations(hidden()),
		field.Int("done").Default(0).NonNegative().Comment("How many items have ended, in order: the index of the first unfinished one.").
			Annotations(hidden()),
		field.Int("ok_count").Default(0).NonNegative().Comment("How many items ended OK.").
			Annotations(hidden()),
		field.Int("failed_count").Default(0).NonNegative().Comment("How many items ended FAILED.").
			Annotations(hidden()),
		field.Int("cancelled_count").Default(0).NonNegative().Comment("How many items ended CANCELLED.").
			Annotations(hidden()),
		field.Int("claims").Default(0).NonNegative().Comment("Claims by workers so far; a claim's number fences its worker's writes.").
			Annotations(hidden()),
		field.Time("lease_until").Optional().Nillable().Comment("When a RUNNING job's claim lapses and another worker may take it over.").
			Annotations(hidden()),
		field.Time("finished_at").Optional().Nillable().Comment("When the job finished or was cancelled."),
	}
}

func (BulkJob) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("results", BulkJobResult.Type).Comment("The per-item results, in item order.").
			Annotations(entgql.Skip()),
	}
}

func (BulkJob) Indexes() []ent.Index {
	return []ent.Index{
		// Idempotency: one job per creator, kind and clientMutationId.
		index.Fields("created_by_id", "kind", "dry_run", "client_mutation_id").Unique(),
		index.Fields("status", "lease_until"),
	}
}

func (BulkJob) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("A bulk mutation's job: its items run one by one in the background, each decided against the caller's access when it runs and committed on its own. Its creator reads it, and so do its organisation's admins (a customer's contact managers)."),
		fieldaccess.Public(),
	}
}
