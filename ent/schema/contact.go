package schema

import (
	"context"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/directory"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/ent/schema/gqldoc"
	"github.com/partnerdesk/partnerdesk/ids"
	"github.com/partnerdesk/partnerdesk/validate"
)

// Contact is a person in exactly one organisation, and the only kind of
// caller the API knows.
type Contact struct {
	ent.Schema
}

func (Contact) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.Contact}, createdMixin{}}
}

func (Contact) Fields() []ent.Field {
	return []ent.Field{
		field.String("organization_id").
			Immutable().
			Comment("The organisation the contact belongs to.").
			Annotations(createOnly(), fieldaccess.Public()),
		field.String("name").Annotations(fieldaccess.Filter()).
			NotEmpty().
			MaxLen(200).
			Comment("Full name.").
			Annotations(entgql.OrderField("NAME"), fieldaccess.Public()),
		field.String("email").
			Unique().
			MaxLen(254).
			Validate(validate.Check(validate.Email)).
			Comment("Email address, unique across the deployment whatever its case.").
			Annotations(entgql.OrderField("EMAIL")),
		field.String("phone").
			Optional().
			Nillable().
			Validate(validate.Check(validate.Phone)).
			Comment("Phone number in E.164 form; accepted as typed with + and a country code."),
		field.JSON("roles", []access.Role{}).
			Default([]access.Role{}).
			Comment("Duties the contact holds in its organisation.").
			Annotations(entgql.Type("[ContactRole!]")),
		field.String("timezone").
			Default("UTC").
			Validate(validate.TimeZone).
			Comment("IANA time zone, e.g. Europe/Warsaw."),
		field.String("locale").
			Default("en-US").
			Validate(validate.Check(validate.Locale)).
			Comment("BCP 47 language tag, e.g. pl-PL."),
		field.Enum("status").
			Values("ACTIVE", "INVITED", "SUSPENDED", "DEACTIVATED").
			Default("ACTIVE").
			Comment("Only ACTIVE contacts can sign in or hold access.").
			Annotations(gqldoc.Enum("Whether a contact may sign in and hold access.", gqldoc.Values{
				"ACTIVE":      "Signs in and holds access.",
				"INVITED":     "Added, not yet active: no sign-in, no access.",
				"SUSPENDED":   "Stopped for now: no sign-in, no access, and its open streams end.",
				"DEACTIVATED": "Removed from the organisation's directory: no sign-in, no access.",
			})),
		field.Enum("last_email_status").
			Values("NONE", "QUEUED", "DELIVERED", "BOUNCED", "SUPPRESSED").
			Default("NONE").
			Comment("What happened to the last email sent to the contact (mail cancelled before sending does not count).").
			Annotations(noInput(), gqldoc.Enum("What happened to the last email sent to a contact.", gqldoc.Values{
				"NONE":       "No email was sent yet.",
				"QUEUED":     "The last email waits in the outbox for the SMTP server to accept it.",
				"DELIVERED":  "The SMTP server accepted the last email.",
				"BOUNCED":    "The last email was refused for good, or could not be handed over after every retry.",
				"SUPPRESSED": "Mail to the address is suppressed until a help-desk user clears it (clearEmailSuppression).",
			})),
		field.Strings("features").
			Default([]string{}).
			Comment("Feature toggles switched on for the contact."),
	}
}

func (Contact) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).
			Ref("contacts").
			Field("organization_id").
			Unique().
			Required().
			Immutable().
			Comment("The organisation the contact belongs to.").
			Annotations(fieldaccess.Public()),
		edge.To("devices", Device.Type).
			Comment("Devices the contact owns.").
			Annotations(entgql.RelayConnection(), noInput()),
		edge.From("collaborations", SupportCase.Type).
			Ref("collaborators").
			Comment("Cases the contact collaborates on.").
			Annotations(hidden()),
		edge.To("access_tokens", AccessToken.Type).
			Comment("API tokens of the contact.").
			Annotations(hidden()),
	}
}

func (Contact) Indexes() []ent.Index {
	idx := []ent.Index{
		index.Fields("organization_id", "name"),
		index.Fields("name"),
	}
	// Roles are a JSON list, which no plain index searches: each role has
	// a partial index of its holders, on the very condition
	// directory.HasRole filters with, so that "who are Acme's contact
	// managers?" reads only them.
	for _, r := range (access.Role("")).Values() {
		idx = append(idx, index.Fields("organization_id", "name").
			Annotations(entsql.IndexWhere(directory.RoleCondition("roles", access.Role(r)))).
			StorageKey("contact_role_"+strings.ToLower(r)))
	}
	return idx
}

func (Contact) Hooks() []ent.Hook {
	return []ent.Hook{
		normalize(map[string]func(string) (string, error){
			"email":  validate.Email,
			"phone":  validate.Phone,
			"locale": validate.Locale,
		}),
		normalizeList(map[string]func(string) (string, error){"features": validate.Feature}),
		checkRoles,
	}
}

func (Contact) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("A person in exactly one organisation, and the only kind of caller. Whoever may see a case may see who works it (its creator, primary contact, collaborators and comment authors) as a name and an organisation; the rest needs LOOK on the contact's organisation."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		entgql.Mutations(
			entgql.MutationCreate().Description("A new contact of an organisation."),
			entgql.MutationUpdate().Description("Changes to a contact, its status included; a field left out stays as it is."),
		),
		fieldaccess.Grant(access.Look).OwnedBy("organization_id").ReadAsCounterparts(),
	}
}

// checkRoles refuses unknown or repeated roles, which GraphQL enums catch
// for API callers but the operator commands and demo loader do not.
func checkRoles(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if v, ok := m.Field("roles"); ok {
			if err := access.ValidateRoles(v.([]access.Role)); err != nil {
				return nil, apperr.Invalid("roles", "%v", err)
			}
		}
		return next.Mutate(ctx, m)
	})
}
