package schema

import (
	"context"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/ent/schema/gqldoc"
	"github.com/partnerdesk/partnerdesk/ids"
	"github.com/partnerdesk/partnerdesk/validate"
)

// PhoneNumber is one number of an organisation's inventory.
type PhoneNumber struct {
	ent.Schema
}

func (PhoneNumber) Mixin() []ent.Mixin {
	return []ent.Mixin{readPolicy{}, idMixin{prefix: ids.PhoneNumber}, createdMixin{}}
}

func (PhoneNumber) Fields() []ent.Field {
	return []ent.Field{
		field.String("organization_id").
			Immutable().
			Comment("The organisation that holds the number.").
			Annotations(createOnly()),
		field.String("number").
			Unique().
			Validate(validate.Check(validate.Phone)).
			Comment("The number in E.164 form; accepted as typed with + and a country code.").
			Annotations(entgql.OrderField("NUMBER")),
		field.Enum("kind").Annotations(fieldaccess.Filter()).
			Values("USER", "DEVICE", "AUTO_ATTENDANT", "CALL_QUEUE", "PAGING_GROUP", "HUNT_GROUP", "VIRTUAL_LINE", "VOICEMAIL_GROUP").
			Comment("What the number is used for.").
			Annotations(gqldoc.Enum("What a phone number is used for.", gqldoc.Values{
				"USER":            "A person's line.",
				"DEVICE":          "A device's own line.",
				"AUTO_ATTENDANT":  "An automated menu that answers and routes calls.",
				"CALL_QUEUE":      "Holds callers until an agent answers.",
				"PAGING_GROUP":    "Broadcasts to a group of phones at once.",
				"HUNT_GROUP":      "Rings a group of lines until one answers.",
				"VIRTUAL_LINE":    "A line with no phone of its own, added to people's devices.",
				"VOICEMAIL_GROUP": "A voicemail box shared by a group.",
			})),
		field.Enum("state").Annotations(fieldaccess.Filter()).
			Values("ACTIVE", "INACTIVE", "UNASSIGNED").
			Default("UNASSIGNED").
			Comment("Whether the number is in service.").
			Annotations(gqldoc.Enum("Whether a phone number is in service.", gqldoc.Values{
				"ACTIVE":     "In service.",
				"INACTIVE":   "Held, but out of service.",
				"UNASSIGNED": "In the inventory, not yet in use.",
			})),
		field.String("contact_id").
			Optional().
			Nillable().
			Comment("The contact the number is assigned to, if any."),
		field.String("device_id").
			Optional().
			Nillable().
			Comment("The device the number is assigned to, if any."),
	}
}

func (PhoneNumber) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("organization", Organization.Type).
			Ref("phone_numbers").
			Field("organization_id").
			Unique().
			Required().
			Immutable().
			Comment("The organisation that holds the number."),
		edge.To("contact", Contact.Type).
			Field("contact_id").
			Unique().
			Comment("The contact the number is assigned to."),
		edge.From("device", Device.Type).
			Ref("phone_numbers").
			Field("device_id").
			Unique().
			Comment("The device the number is assigned to."),
	}
}

func (PhoneNumber) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("organization_id", "kind"),
	}
}

func (PhoneNumber) Hooks() []ent.Hook {
	return []ent.Hook{
		normalize(map[string]func(string) (string, error){"number": validate.Phone}),
		oneAssignee,
	}
}

func (PhoneNumber) Annotations() []schema.Annotation {
	return []schema.Annotation{
		gqldoc.Type("One number of an organisation's phone-number inventory, assigned to a contact, a device or nothing."),
		entgql.RelayConnection(),
		entgql.MultiOrder(),
		entgql.Mutations(
			entgql.MutationCreate().Description("A number to add to an organisation's inventory."),
			entgql.MutationUpdate().Description("Changes to a number; a field left out stays as it is."),
		),
		fieldaccess.Grant(access.Look).OwnedBy("organization_id"),
	}
}

// oneAssignee refuses a number assigned to a contact and a device at once
// within one change.
func oneAssignee(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		_, toContact := m.Field("contact_id")
		_, toDevice := m.Field("device_id")
		if toContact && toDevice {
			return nil, apperr.Invalid("device_id", "a number is assigned to a contact or to a device, not both")
		}
		return next.Mutate(ctx, m)
	})
}
