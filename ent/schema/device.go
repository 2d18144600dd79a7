package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/ent/schema/gqldoc"
	"github.com/partnerdesk/partnerdesk/ids"
	"github.com/partnerdesk/partnerdesk/validate"
)

// Device is a phone, room system or other endpoint registered to a customer.
type Device struct {
	ent.Schema
}

func (Device) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.Device}, createdMixin{}}
}

func (Device) Fields() []ent.Field {
	return []ent.Field{
		field.String("organization_id").
			Immutable().
			Comment("The organisation the device is registered to.").
			Annotations(createOnly()),
		field.String("owner_id").
			Optional().
			Nillable().
			Comment("The contact who uses the device, if any."),
		field.String("model").Annotations(fieldaccess.Filter()).
			NotEmpty().
			MaxLen(100).
			Comment("Hardware model, e.g. Desk Pro."),
		field.String("mac_address").
			Optional().
			Nillable().
			Unique().
			Validate(validate.Check(validate.MAC)).
			Comment("MAC address, stored as AA:BB:CC:DD:EE:FF; accepted with colons, dashes, dots or none, in any case."),
		field.String("phone_number").
			Optional().
			Nillable().
			Validate(validate.Check(validate.Phone)).
			Comment("The device's line in E.164 form."),
		field.String("sip_address").
			Optional().
			Nillable().
			Validate(validate.Check(validate.SIP)).
			Comment("SIP address, sip:user@domain."),
		field.Bool("third_party").Annotations(fieldaccess.Filter()).
			Default(false).
			Comment("Third-party devices are never returned by help-desk search."),
		field.Enum("status").Annotations(fieldaccess.Filter()).
			Values("ONLINE", "OFFLINE", "UNREGISTERED").
			Default("UNREGISTERED").
			Comment("Registration state as last reported.").
			Annotations(gqldoc.Enum("A device's registration state, as last reported.", gqldoc.Values{
				"ONLINE":       "Registered and reachable.",
				"OFFLINE":      "Registered, but not reachable now.",
				"UNREGISTERED": "Not registered.",
			})),
		field.Time("last_seen_at").
			Optional().
			Nillable().
			Comment("When the device last reported in.").
			Annotations(noInput()),
	}
}

func (Device) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).
			Ref("devices").
			Field("organization_id").
			Unique().
			Required().
			Immutable().
			Comment("The organisation the device is registered to."),
		edge.From("owner", Contact.Type).
			Ref("devices").
			Field("owner_id").
			Unique().
			Comment("The contact who uses the device."),
		edge.To("phone_numbers", PhoneNumber.Type).
			Comment("Numbers assigned to the device.").
			Annotations(entgql.RelayConnection(), noInput()),
	}
}

func (Device) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id"),
		index.Fields("phone_number"),
		index.Fields("sip_address"),
	}
}

func (Device) Hooks() []ent.Hook {
	return []ent.Hook{normalize(map[string]func(string) (string, error){
		"mac_address":  validate.MAC,
		"phone_number": validate.Phone,
		"sip_address":  validate.SIP,
	})}
}

func (Device) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("A phone, room system or other endpoint registered to an organisation, optionally used by one of its contacts."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		entgql.Mutations(
			entgql.MutationCreate().Description("A device to register to an organisation."),
			entgql.MutationUpdate().Description("Changes to a device; a field left out stays as it is."),
		),
		fieldaccess.Grant(access.Look).OwnedBy("organization_id"),
	}
}
