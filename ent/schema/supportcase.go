package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/cases"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/ent/schema/gqldoc"
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/ids"
	"github.com/partnerdesk/partnerdesk/validate"
)

// SupportCase is a support case a customer opened, itself or through a partner.
type SupportCase struct {
	ent.Schema
}

func (SupportCase) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.Case}, createdMixin{filter: true}}
}

func (SupportCase) Fields() []ent.Field {
	return []ent.Field{
		field.Int("number").Annotations(fieldaccess.Filter()).
			Unique().
			Positive().
			Immutable().
			Comment("Human case number, sequential across the deployment.").
			Annotations(entgql.OrderField("NUMBER")),
		field.String("customer_id").Immutable().Comment("The customer the case is for."),
		field.String("title").NotEmpty().MaxLen(300).Comment("One-line summary.").
			Annotations(entgql.OrderField("TITLE")),
		field.Text("description").MaxLen(50000).Default("").Comment("What happened, in the customer's words."),
		field.String("product").Annotations(fieldaccess.Filter()).MaxLen(100).Default("").Comment("The product the case is about."),
		field.String("category").Annotations(fieldaccess.Filter()).MaxLen(100).Default("").Comment("The problem category."),
		field.Enum("severity").Annotations(fieldaccess.Filter()).
			Values("S1", "S2", "S3", "S4").
			Comment("S1 is the most urgent; it sets the first-response target (1h, 2h, 4h, 8h).").
			Annotations(entgql.OrderField("SEVERITY"), gqldoc.Enum(
				"How urgent a case is. It sets the first-response target, counted from the case's creation; a change of severity before the first response moves the due time.",
				gqldoc.Values{
					"S1": "The most urgent: first response within 1 hour.",
					"S2": "First response within 2 hours.",
					"S3": "First response within 4 hours.",
					"S4": "The least urgent: first response within 8 hours.",
				})),
		field.Enum("status").Annotations(fieldaccess.Filter()).
			Values("NEW", "IN_PROGRESS", "WAITING_ON_CUSTOMER", "CLOSED").
			Default("NEW").
			Comment("Where the case is in its life.").
			Annotations(entgql.OrderField("STATUS"), gqldoc.Enum("Where a case is in its life.", gqldoc.Values{
				"NEW":                 "Filed, not yet worked.",
				"IN_PROGRESS":         "Being worked.",
				"WAITING_ON_CUSTOMER": "Waiting for the customer's answer.",
				"CLOSED":              "Closed; it may be reopened until reopenableUntil (30 days), then only followed up by a new case.",
			})),
		field.Bool("escalated").Annotations(fieldaccess.Filter()).Default(false).Comment("Whether the case was escalated."),
		field.Time("escalated_at").Optional().Nillable().Comment("When the case was escalated."),
		field.String("escalation_reason").Optional().Nillable().MaxLen(2000).Comment("Why the case was escalated."),
		field.String("primary_contact_id").Optional().Nillable().
			Comment("The contact support talks to: a customer contact or a partner contact at UPDATE or higher."),
		field.String("created_by_id").Immutable().Comment("The contact who filed the case."),
		field.String("on_behalf_of_id").Annotations(fieldaccess.Filter()).Optional().Nillable().Immutable().
			Comment("The partner whose contact filed the case, if a partner did."),
		field.Strings("shared_emails").Default([]string{}).
			Comment("Addresses that receive a copy of the case's public updates."),
		field.String("timezone").Default("UTC").Validate(validate.TimeZone).
			Comment("IANA time zone in which the customer wants to be contacted."),
		field.String("language").Default("en").Validate(validate.Check(validate.Locale)).
			Comment("BCP 47 language the case is worked in."),
		field.Time("first_response_due_at").Annotations(fieldaccess.Filter()).Comment("When the first response is due.").
			Annotations(entgql.OrderField("FIRST_RESPONSE_DUE_AT")),
		field.Time("first_responded_at").Optional().Nillable().
			Comment("When a vendor agent first answered publicly."),
		field.Time("closed_at").Annotations(fieldaccess.Filter()).Optional().Nillable().Comment("When the case was closed; empty while it is open, reopened or not."),
		field.Time("reopenable_until").Optional().Nillable().
			Comment("Until when a closed case may be reopened (30 days after closing)."),
		field.Time("updated_at").Annotations(fieldaccess.Filter()).Comment("When anything about the case last changed.").
			Annotations(entgql.OrderField("UPDATED_AT")),
		field.Int("version").Default(1).
			Comment("Grows with every change; send it with an update to refuse stale writes."),
		field.String("follow_up_of_id").Optional().Nillable().Immutable().
			Comment("The closed case this one follows up on."),
	}
}

func (SupportCase) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Organization.Type).Ref("cases").Field("customer_id").
			Unique().Required().Immutable().Comment("The customer the case is for.").
			Annotations(fieldaccess.Grant(access.CC)),
		edge.To("primary_contact", Contact.Type).Field("primary_contact_id").
			Unique().Comment("The contact support talks to."),
		edge.To("created_by", Contact.Type).Field("created_by_id").
			Unique().Required().Immutable().Comment("The contact who filed the case."),
		edge.From("on_behalf_of", Organization.Type).Ref("filed_cases").Field("on_behalf_of_id").
			Unique().Immutable().Comment("The partner whose contact filed the case."),
		edge.To("collaborators", Contact.Type).
			Comment("Contacts working the case besides the primary contact.").
			Annotations(entgql.RelayConnection()),
		edge.To("comments", CaseComment.Type).
			Comment("The conversation on the case.").
			Annotations(entgql.RelayConnection()),
		edge.To("attachments", Attachment.Type).
			Comment("Files added to the case.").
			Annotations(entgql.RelayConnection(), noInput()),
		edge.To("events", CaseEvent.Type).
			Comment("Everything that happened to the case, oldest first. CC collaborators follow the cases they work on.").
			Annotations(entgql.RelayConnection()),
		edge.To("era_partners", Organization.Type).
			Comment("The partners whose era the case was created in: they held an approved grant on its customer then (SPEC §2.4). Kept by package grants; the read policy's SQL finds a partner's cases through it.").
			Annotations(hidden()),
		edge.To("follow_ups", SupportCase.Type).
			Comment("Cases opened to follow up on this one.").
			Annotations(entgql.RelayConnection()).
			From("follow_up_of").Field("follow_up_of_id").Unique().Immutable().
			Comment("The closed case this one follows up on."),
	}
}

func (SupportCase) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "updated_at"),
		index.Fields("updated_at"),
		index.Fields("status", "severity"),
		index.Fields("on_behalf_of_id"),
		// Who a visible case names is visible (access.Policy's counterparts).
		index.Fields("created_by_id"),
		index.Fields("primary_contact_id"),
	}
}

func (SupportCase) Hooks() []ent.Hook {
	return []ent.Hook{
		normalizeList(map[string]func(string) (string, error){"shared_emails": validate.Email}),
		hook.On(grants.StampCase, ent.OpCreate),
		cases.History,
	}
}

func (SupportCase) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("A support case a customer opened, itself or through a partner (SPEC §3). A partner sees only the cases created while it held a grant on the customer, unless the customer shares its history (SPEC §2.4); a CC collaborator sees the cases it works on."),
		// "case" is a Go keyword, so the ent type has another name; the
		// graph and the table keep the domain's.
		entgql.Type("Case"),
		entsql.Annotation{Table: "cases"},
		entgql.RelayConnection(),
		entgql.QueryField("cases").Description("My Cases: every case the caller may see, across customers, the latest update first unless ordered. where also takes a keyword, customers and an SLA state."),
		entgql.MultiOrder(),
		fieldaccess.Grant(access.CC).OwnedBy("customer_id"),
	}
}
