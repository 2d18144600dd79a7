package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent/hook"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/ent/schema/gqldoc"
	"github.com/partnerdesk/partnerdesk/ent/schema/jsontype"
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/ids"
	"github.com/partnerdesk/partnerdesk/validate"
)

// Organization is the vendor, a partner or a customer.
type Organization struct {
	ent.Schema
}

func (Organization) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.Organization}, createdMixin{}}
}

func (Organization) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Annotations(fieldaccess.Filter()).
			GoType(access.OrgKind("")).
			Immutable().
			Comment("Which side of the support relationship the organisation is on.").
			Annotations(entgql.Type("OrganizationKind"), fieldaccess.Public(), gqldoc.Enum(
				"Which side of the support relationship an organisation is on.",
				gqldoc.Values{
					"VENDOR":   "The support provider: its agents work every case, its admins run the deployment.",
					"PARTNER":  "A reseller or managed-service provider: works customers' cases under the grants they approve.",
					"CUSTOMER": "An organisation that opens support cases, itself or through a partner.",
				})),
		field.String("name").Annotations(fieldaccess.Filter()).
			NotEmpty().
			MaxLen(200).
			Comment("Display name, as the organisation calls itself.").
			Annotations(entgql.OrderField("NAME"), fieldaccess.Public()),
		field.Strings("domains").
			Default([]string{}).
			Comment("Verified email domains. A partner's domains scope its organisation grants (SPEC §2.2).").
			Annotations(fieldaccess.Grant(access.CC)),
		field.Strings("sites").
			Default([]string{}).
			Comment("Service sites, e.g. acme.webex.com.").
			Annotations(fieldaccess.Grant(access.Look)),
		field.Enum("support_plan").
			Values("STANDARD", "PREMIUM").
			Optional().
			Nillable().
			Comment("The customer's support plan; escalation needs PREMIUM. Empty for the vendor and partners.").
			Annotations(fieldaccess.Grant(access.CC), gqldoc.Enum("A customer's support plan.", gqldoc.Values{
				"STANDARD": "Cases are worked to their first-response targets and cannot be escalated.",
				"PREMIUM":  "A case may also be escalated once its first-response target has passed.",
			})),
		field.JSON("licenses", []jsontype.License{}).
			Default([]jsontype.License{}).
			Comment("Products the customer is licensed for.").
			Annotations(entgql.Type("[License!]"), noInput(), fieldaccess.Grant(access.Look)),
		field.String("default_region").
			Optional().
			Nillable().
			Validate(validate.Check(validate.Region)).
			Comment("ISO 3166 alpha-2 region (e.g. US) whose national phone numbers help-desk search reads as the customer's own, as its people type them without + and a country code. Empty when the customer has none.").
			Annotations(fieldaccess.Grant(access.Look)),
		field.Bool("share_case_history_with_partners").
			Default(false).
			Comment("When true, a partner sees the customer's cases filed before it held a grant (SPEC §2.4).").
			Annotations(fieldaccess.Grant(access.Look)),
		field.String("technical_account_manager_id").
			Optional().
			Nillable().
			Comment("The vendor contact who is the customer's technical account manager (seed 000: who to call).").
			Annotations(hidden()),
		field.String("client_success_manager_id").
			Optional().
			Nillable().
			Comment("The vendor contact who is the customer's client success manager (seed 000: who to call).").
			Annotations(hidden()),
		field.Int64("access_version").
			Default(0).
			Comment("A partner's: changes whenever what its grants give it may change (a grant of its, a customer's history sharing), so that sign-in reuses what it read of them until then.").
			Annotations(hidden()),
	}
}

func (Organization) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("contacts", Contact.Type).
			Comment("People of the organisation.").
			Annotations(entgql.RelayConnection(), noInput(), fieldaccess.Grant(access.Look)),
		edge.To("devices", Device.Type).
			Comment("Devices registered to the organisation.").
			Annotations(entgql.RelayConnection(), noInput(), fieldaccess.Grant(access.Look)),
		edge.To("phone_numbers", PhoneNumber.Type).
			Comment("The organisation's phone-number inventory.").
			Annotations(entgql.RelayConnection(), noInput(), fieldaccess.Grant(access.Look)),
		edge.To("cases", SupportCase.Type).
			Comment("Support cases of the customer.").
			Annotations(entgql.RelayConnection(), noInput(), fieldaccess.Grant(access.CC)),
		edge.To("customer_grants", Grant.Type).
			Comment("Grants this customer gave to partners.").
			Annotations(hidden()),
		edge.To("partner_grants", Grant.Type).
			Comment("Grants this partner holds on customers.").
			Annotations(hidden()),
		edge.To("elevation_rules", ElevationRule.Type).
			Comment("The customer's rules that approve partners' elevation requests at once, oldest first; the customer's contact managers and admins read them all, a partner those that name it.").
			Annotations(noInput(), fieldaccess.Grant(access.CC)),
		edge.From("era_cases", SupportCase.Type).
			Ref("era_partners").
			Comment("Cases created while this partner held a grant on their customer.").
			Annotations(hidden()),
		edge.To("filed_cases", SupportCase.Type).
			Comment("Cases this partner filed on behalf of customers.").
			Annotations(hidden()),
	}
}

func (Organization) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("kind", "name"),
		// Help-desk search reads the regions in use for each national number.
		index.Fields("default_region"),
		// The read policy finds the customers a vendor contact is assigned to.
		index.Fields("technical_account_manager_id"),
		index.Fields("client_success_manager_id"),
	}
}

func (Organization) Hooks() []ent.Hook {
	return []ent.Hook{
		normalize(map[string]func(string) (string, error){"default_region": validate.Region}),
		normalizeList(map[string]func(string) (string, error){
			"domains": validate.Domain,
			"sites":   validate.Domain,
		}),
		hook.On(grants.VersionOnSharing, ent.OpUpdate|ent.OpUpdateOne),
	}
}

func (Organization) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("The vendor, a partner or a customer. Whoever may read an organisation (one it has a level on, or one named by a grant, contact or case it reads) sees its kind and name; the rest needs a level on it."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		entgql.QueryField().Description("The organisations the caller may read."),
		entgql.Mutations(
			entgql.MutationCreate().Description("A new organisation: a customer, a partner or another vendor."),
			entgql.MutationUpdate().Description("Changes to an organisation; a field left out stays as it is. Only the vendor's admins set the support plan, and only the customer's own admins and contact managers (or the vendor's admins) its history sharing."),
		),
		fieldaccess.Grant(access.CC).OwnedBy("id").ReadAsCounterparts(),
	}
}
