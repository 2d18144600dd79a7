package graph

import (
	"strings"
	"sync"
	"unicode"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The schema the server serves says, as the last sentence of every field's
// description, the access the field needs. The sentence is derived from the
// field's directive when the schema is built, for the generated and the
// hand-written schema alike, so it is written in neither file and cannot
// drift from the decision it describes.

// servedSchema is the executable schema's own, with the access notes added.
// It is built once, from the same sources as the generated parsedSchema,
// which stays as gqlgen made it.
var servedSchema = sync.OnceValue(func() *ast.Schema {
	s := gqlparser.MustLoadSchema(sources...)
	documentAccess(s)
	return s
})

// documentAccess ends the description of every field of every object type
// with its AccessNote, in a paragraph of its own.
func documentAccess(s *ast.Schema) {
	for _, t := range s.Types {
		if t.Kind != ast.Object || t.BuiltIn || strings.HasPrefix(t.Name, "__") {
			continue
		}
		for _, f := range t.Fields {
			note := AccessNote(s, t, f)
			switch {
			case note == "" || strings.HasPrefix(f.Name, "__"):
			case f.Description == "":
				f.Description = note
			default:
				f.Description = strings.TrimSpace(f.Description) + "\n\n" + note
			}
		}
	}
}

// Owner says, for access notes, whose level @hasGrant asks for on a type's
// objects, and what the objects are called.
type Owner struct {
	// Noun names one object of the type: "whoever may read the case".
	Noun string
	// Phrase names the organisation(s) whose level a field needs; empty for
	// a type with no @hasGrant field.
	Phrase string
	// Columns are the owner columns of the type's fieldaccess rule that
	// Phrase describes (a test holds them to the ent schema).
	Columns []string
}

// Owners are the owners of the types whose objects the access notes name.
// A type not listed is named by its own name, in words.
var Owners = map[string]Owner{
	"AccessToken":     {Noun: "token"},
	"AuditEntry":      {Noun: "audit entry"},
	"Case":            {Noun: "case", Phrase: "the case's customer", Columns: []string{"customer_id"}},
	"CaseAttachment":  {Noun: "attachment", Phrase: "the case's customer", Columns: []string{"customer_id"}},
	"CaseComment":     {Noun: "comment", Phrase: "the case's customer", Columns: []string{"customer_id"}},
	"CaseEvent":       {Noun: "event", Phrase: "the case's customer", Columns: []string{"customer_id"}},
	"Contact":         {Noun: "contact", Phrase: "the contact's organisation", Columns: []string{"organization_id"}},
	"Device":          {Noun: "device", Phrase: "the device's organisation", Columns: []string{"organization_id"}},
	"ElevationRule":   {Noun: "elevation rule", Phrase: "the rule's customer", Columns: []string{"customer_id"}},
	"Grant":           {Noun: "grant", Phrase: "the grant's customer or partner", Columns: []string{"customer_id", "partner_id"}},
	"GrantEvent":      {Noun: "event", Phrase: "the grant's customer or partner", Columns: []string{"customer_id", "partner_id"}},
	"Organization":    {Noun: "organisation", Phrase: "the organisation", Columns: []string{"id"}},
	"PhoneNumber":     {Noun: "number", Phrase: "the number's organisation", Columns: []string{"organization_id"}},
	"Webhook":         {Noun: "webhook", Phrase: "the webhook's organisation", Columns: []string{"organization_id"}},
	"WebhookDelivery": {Noun: "delivery"},
	"WebhookAttempt":  {Noun: "delivery"},
	"BulkJob":         {Noun: "bulk job"},
	"BulkJobResult":   {Noun: "bulk job"},

	// Types of the hand-written schema, named by what they are part of.
	"AccessExplanation": {Noun: "explanation"},
	"BulkJobProgress":   {Noun: "bulk job"},
	"CaseActionCheck":   {Noun: "case"},
	"CustomerOverview":  {Noun: "customer", Phrase: "the customer"},
	"FieldChange":       {Noun: "event"},
	"HelpDeskHit":       {Noun: "search result"},
	"License":           {Noun: "organisation's licences"},
	"SeverityCount":     {Noun: "dashboard"},
	"SupportMetrics":    {Noun: "dashboard"},
	"VendorContact":     {Noun: "organisation's vendor contacts"},
	"WebhookEvent":      {Noun: "event"},
}

// AccessNote is the sentence that ends the served description of field f
// of type t: the access its directive asks for. It is empty for a field
// with no decision (which the server refuses to serve).
func AccessNote(s *ast.Schema, t *ast.Definition, f *ast.FieldDefinition) string {
	root := t.Name == "Query" || t.Name == "Mutation" || t.Name == "Subscription"
	for _, d := range f.Directives {
		switch d.Name {
		case "hasGrant":
			level := argument(d, "level")
			if o := Owners[t.Name]; o.Phrase != "" {
				return "Needs " + level + " on " + o.Phrase + "."
			}
			return "Needs " + level + " on the organisation that owns the " + noun(t.Name) + "."
		case "action":
			name := argument(d, "name")
			if what := actionSummary(s, name); what != "" {
				return "Needs " + name + ": " + what + "."
			}
			return "Needs " + name + "."
		case "public":
			switch {
			case root:
				return "Needs a signed-in caller; it holds only what the caller may read."
			case t.Name == "Viewer":
				return "Any signed-in caller, about itself."
			case t.Name == "PageInfo" || strings.HasSuffix(t.Name, "Connection") || strings.HasSuffix(t.Name, "Edge"):
				return "Whoever may read the list may read it."
			case strings.HasSuffix(t.Name, "Payload"):
				return "Whoever called the mutation may read it."
			}
			return "Whoever may read the " + noun(t.Name) + " may read it."
		}
	}
	return ""
}

// actionSummary is who may take action name, as the Action enum describes
// it: its description up to the first colon, or whole.
func actionSummary(s *ast.Schema, name string) string {
	enum := s.Types["Action"]
	if enum == nil {
		return ""
	}
	v := enum.EnumValues.ForName(name)
	if v == nil {
		return ""
	}
	what, _, _ := strings.Cut(v.Description, ": ")
	return lowerFirst(strings.TrimSuffix(strings.TrimSpace(what), "."))
}

func argument(d *ast.Directive, name string) string {
	if a := d.Arguments.ForName(name); a != nil && a.Value != nil {
		return a.Value.Raw
	}
	return ""
}

// noun names an object of type name: its Owners noun, else its name in
// lower-case words ("AccessExplanation" is "access explanation").
func noun(name string) string {
	if o, ok := Owners[name]; ok {
		return o.Noun
	}
	var b strings.Builder
	for i, r := range name {
		if unicode.IsUpper(r) && i > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// lowerFirst lowers a sentence's first letter, unless its first word is
// in capitals ("UPDATE on the case's customer").
func lowerFirst(s string) string {
	word, _, _ := strings.Cut(s, " ")
	if word == "" || len(word) > 1 && strings.ToUpper(word) == word {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
