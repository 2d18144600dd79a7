//go:build ignore

// entc generates the ent client and, through entgql, the GraphQL schema of
// the ent types (graph/ent.graphqls). Run it with `go generate ./...` from the
// repository root.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"slices"
	"strings"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/ent/schema/gqldoc"
)

func main() {
	// entgql's templates, with its connection loading patched
	// (ent/template/connections.tmpl), which must come after them.
	connections := gen.MustParse(gen.NewTemplate("connections").Funcs(entgql.TemplateFuncs).ParseFiles("./ent/template/connections.tmpl"))
	ex, err := entgql.NewExtension(
		entgql.WithTemplates(append(slices.Clone(entgql.AllTemplates), connections)...),
		entgql.WithConfigPath("./gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("./graph/ent.graphqls"),
		entgql.WithWhereInputs(true),
		entgql.WithSchemaHook(stampFieldAccess, dropAppendInputs, describe, mutationInputs, connectionNodes),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeatureIntercept,
			gen.FeatureModifier,
			gen.FeatureExecQuery,
			gen.FeatureVersionedMigration,
		},
		// Before entgql's hooks, which read what it decides.
		Hooks: []gen.Hook{sealFilters},
	}, entc.Extensions(ex), entc.TemplateFiles("./ent/template/owner.tmpl", "./ent/template/detach.tmpl", "./ent/template/driver.tmpl"))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// sealFilters keeps in the where inputs only the fields marked
// fieldaccess.Filter, and in the where inputs and the orders only the
// fields whoever may read a row may read (fieldaccess.Rule.Above): a
// filter or an order over a field the caller may not read would tell its
// value. Edge predicates (hasXWith) go too: they would run over rows the
// caller may not read.
func sealFilters(next gen.Generator) gen.Generator {
	return gen.GenerateFunc(func(g *gen.Graph) error {
		for _, n := range g.Nodes {
			def, err := ruleOf(n.Annotations)
			if err != nil {
				return err
			}
			if def == nil {
				continue // not in the graph (stampFieldAccess holds every type that is to a rule)
			}
			for _, f := range append([]*gen.Field{n.ID}, n.Fields...) {
				r, err := ruleOf(f.Annotations)
				if err != nil {
					return err
				}
				if r == nil {
					r = def
				}
				_, filter := f.Annotations[fieldaccess.FilterName]
				var skip entgql.SkipMode
				if !filter || def.Above(*r) {
					skip |= entgql.SkipWhereInput
				}
				if def.Above(*r) {
					skip |= entgql.SkipOrderField
				}
				if f.Annotations == nil {
					f.Annotations = gen.Annotations{}
				}
				if err := addSkip(f.Annotations, skip); err != nil {
					return err
				}
			}
			for _, e := range n.Edges {
				if e.Annotations == nil {
					e.Annotations = gen.Annotations{}
				}
				if err := addSkip(e.Annotations, entgql.SkipWhereInput); err != nil {
					return err
				}
			}
		}
		return next.Generate(g)
	})
}

// addSkip adds skip to the entgql annotation in ants.
func addSkip(ants gen.Annotations, skip entgql.SkipMode) error {
	if skip == 0 {
		return nil
	}
	var ant entgql.Annotation
	if raw, ok := ants[ant.Name()]; ok {
		if err := ant.Decode(raw); err != nil {
			return err
		}
	}
	ant.Skip |= skip
	// Templates read annotations in the form entc loads them: decoded JSON.
	b, err := json.Marshal(ant)
	if err != nil {
		return err
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	ants[ant.Name()] = raw
	return nil
}

// stampFieldAccess puts an access directive on every field of every object
// type entgql generated: the field's or edge's own fieldaccess rule, else its
// type's default. A field that a caller who may read the row may still not
// read is nullable, so that its refusal (null, with its error at its own
// path) never erases the object around it. Relay plumbing (connections,
// edges, page info) is public; what it carries is guarded on the node
// types. A type whose fields need a level but that names no owner, or any
// other undecided object type, fails generation.
func stampFieldAccess(g *gen.Graph, s *ast.Schema) error {
	decided := map[string]bool{"PageInfo": true}
	for _, n := range g.Nodes {
		name := gqlTypeName(n)
		obj := s.Types[name]
		if obj == nil {
			continue
		}
		def, err := ruleOf(n.Annotations)
		if err != nil || def == nil {
			return fmt.Errorf("ent type %s has no fieldaccess rule (%v): every GraphQL type needs one", n.Name, err)
		}
		rules := map[string]*fieldaccess.Rule{}
		for _, f := range append([]*gen.Field{n.ID}, n.Fields...) {
			if r, err := ruleOf(f.Annotations); err != nil {
				return err
			} else if r != nil {
				rules[fieldaccess.GraphQLName(f.Name)] = r
			}
		}
		for _, e := range n.Edges {
			if r, err := ruleOf(e.Annotations); err != nil {
				return err
			} else if r != nil {
				rules[fieldaccess.GraphQLName(e.Name)] = r
			}
		}
		for _, f := range obj.Fields {
			r := rules[f.Name]
			if r == nil {
				r = def
			}
			if r.Directive == fieldaccess.DirectiveHasGrant && len(def.Owners) == 0 {
				return fmt.Errorf("%s.%s needs a level, but type %s names no owner columns", name, f.Name, n.Name)
			}
			if def.Above(*r) {
				f.Type.NonNull = false
			}
			f.Directives = append(f.Directives, directive(*r))
		}
		for _, plumbing := range []string{name + "Connection", name + "Edge"} {
			decided[plumbing] = true
		}
		decided[name] = true
	}
	for name, t := range s.Types {
		if t.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		if name == "Query" {
			// node, nodes and the root connections return only the rows the
			// row filters let through; each field of those rows is guarded.
			for _, f := range t.Fields {
				f.Directives = append(f.Directives, directive(fieldaccess.Public()))
			}
			continue
		}
		if !decided[name] {
			return fmt.Errorf("generated object type %s has no access decision", name)
		}
		if name == "PageInfo" || strings.HasSuffix(name, "Connection") || strings.HasSuffix(name, "Edge") {
			for _, f := range t.Fields {
				f.Directives = append(f.Directives, directive(fieldaccess.Public()))
			}
		}
	}
	return nil
}

// gqlTypeName is the GraphQL name of an ent type: its entgql.Type, if any.
func gqlTypeName(n *gen.Type) string {
	var ant entgql.Annotation
	if raw, ok := n.Annotations[ant.Name()]; ok {
		if err := ant.Decode(raw); err == nil && ant.Type != "" {
			return ant.Type
		}
	}
	return n.Name
}

// dropAppendInputs removes entgql's appendX fields from update inputs. A
// list is replaced whole, so that the schema hooks that normalise and check
// each element (roles, domains, features) see every value that is stored.
func dropAppendInputs(_ *gen.Graph, s *ast.Schema) error {
	for name, t := range s.Types {
		if t.Kind != ast.InputObject || !strings.HasPrefix(name, "Update") {
			continue
		}
		kept := t.Fields[:0]
		for _, f := range t.Fields {
			if !strings.HasPrefix(f.Name, "append") {
				kept = append(kept, f)
			}
		}
		t.Fields = kept
	}
	return nil
}

// mutationInputs makes entgql's create and update inputs the inputs of
// the mutations that take them (graph/model/inputs.go): each is named
// after its mutation, an update input names the object it changes, and
// every one carries the clientMutationId its payload echoes.
func mutationInputs(g *gen.Graph, s *ast.Schema) error {
	renamed := map[string]string{"CreateDeviceInput": "RegisterDeviceInput", "CreatePhoneNumberInput": "AddPhoneNumberInput"}
	for _, n := range g.Nodes {
		for _, name := range []string{"Create" + n.Name + "Input", "Update" + n.Name + "Input"} {
			t, ok := s.Types[name]
			if !ok {
				continue
			}
			if strings.HasPrefix(name, "Update") {
				id := &ast.FieldDefinition{Name: "id", Type: ast.NonNullNamedType("ID", nil),
					Description: fmt.Sprintf("The %s to change.", strings.ToLower(n.Name))}
				t.Fields = append(ast.FieldList{id}, t.Fields...)
			}
			t.Fields = append(t.Fields, &ast.FieldDefinition{Name: "clientMutationId", Type: ast.NamedType("String", nil),
				Description: "Echoed in the payload, for the client's own bookkeeping."})
			if to, ok := renamed[name]; ok {
				delete(s.Types, name)
				t.Name = to
				s.Types[to] = t
			}
		}
	}
	return nil
}

// connectionNodes gives every connection type GitHub's nodes shortcut:
// the nodes of its edges, for a client that needs no cursor per node.
func connectionNodes(_ *gen.Graph, s *ast.Schema) error {
	for name, t := range s.Types {
		edges := t.Fields.ForName("edges")
		if t.Kind != ast.Object || !strings.HasSuffix(name, "Connection") || edges == nil || t.Fields.ForName("nodes") != nil {
			continue
		}
		edge := s.Types[edges.Type.Name()]
		if edge == nil || edge.Fields.ForName("node") == nil {
			continue
		}
		node := edge.Fields.ForName("node").Type.Name()
		t.Fields = append(t.Fields, &ast.FieldDefinition{
			Name:        "nodes",
			Description: "The nodes of the edges, in order: edges without their cursors.",
			Type:        ast.NonNullListType(ast.NamedType(node, nil), nil),
			Directives:  ast.DirectiveList{{Name: "public"}},
		})
	}
	return nil
}

func ruleOf(ants gen.Annotations) (*fieldaccess.Rule, error) {
	raw, ok := ants[fieldaccess.Name]
	if !ok {
		return nil, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var r fieldaccess.Rule
	return &r, json.Unmarshal(b, &r)
}

func directive(r fieldaccess.Rule) *ast.Directive {
	d := &ast.Directive{Name: r.Directive}
	if r.Level != "" {
		d.Arguments = ast.ArgumentList{{Name: "level", Value: &ast.Value{Raw: string(r.Level), Kind: ast.EnumValue}}}
	}
	return d
}

// describe gives every element of the generated schema a description that
// says something, where entgql leaves none or a placeholder: each type and
// each enum (with its values) their gqldoc annotation, each
// edge its comment (entgql drops it on connections), and what entgql
// derives from a pattern (where-input predicates, order fields, input IDs
// and clear flags, connections) a sentence derived the same way. It fails
// for a type of the graph without an annotation and for an enum of the
// graph whose annotation leaves a value bare. The access a field needs is added
// where both schema files meet, when the server builds its schema
// (graph.NewSchema).
func describe(g *gen.Graph, s *ast.Schema) error {
	enums := map[string]bool{}
	for _, n := range g.Nodes {
		name := gqlTypeName(n)
		obj := s.Types[name]
		if obj == nil {
			continue
		}
		var doc gqldoc.Annotation
		if err := decode(n.Annotations, gqldoc.Name, &doc); err != nil {
			return err
		}
		if doc.Description == "" {
			return fmt.Errorf("ent type %s has no gqldoc.Type: its GraphQL type %s needs a description", n.Name, name)
		}
		obj.Description = doc.Description
		for _, e := range n.Edges {
			if f := obj.Fields.ForName(fieldaccess.GraphQLName(e.Name)); f != nil && f.Description == "" {
				f.Description = e.Comment()
			}
		}
		for _, f := range n.Fields {
			if !f.IsEnum() {
				continue
			}
			of := obj.Fields.ForName(fieldaccess.GraphQLName(f.Name))
			if of == nil {
				continue
			}
			enum := s.Types[of.Type.Name()]
			var doc gqldoc.Annotation
			if err := decode(f.Annotations, gqldoc.Name, &doc); err != nil {
				return err
			}
			if err := describeEnum(enum, doc); err != nil {
				return fmt.Errorf("%s.%s: %w", n.Name, f.Name, err)
			}
			enums[enum.Name] = true
		}
		if c := s.Types[name+"Connection"]; c != nil {
			c.Description = fmt.Sprintf("A list of %s objects, a page at a time (a Relay cursor connection): ask for the first or last 1 to 100.", name)
		}
		if e := s.Types[name+"Edge"]; e != nil {
			e.Description = fmt.Sprintf("One %s of a page, and its cursor.", name)
		}
		if o := s.Types[name+"OrderField"]; o != nil {
			describeOrderFields(n, o)
		}
		if w := s.Types[name+"WhereInput"]; w != nil {
			if err := describeWhereInput(n, name, w); err != nil {
				return err
			}
		}
		for _, in := range []string{"Create" + name + "Input", "Update" + name + "Input"} {
			if t := s.Types[in]; t != nil {
				describeMutationInput(n, t)
			}
		}
	}
	for name, t := range s.Types {
		if t.Kind == ast.Enum && !enums[name] && strings.Contains(t.Description, " is enum for the field ") {
			return fmt.Errorf("enum %s has only entgql's placeholder: document it with gqldoc.Enum on its field", name)
		}
	}
	if q := s.Types["Query"]; q != nil {
		q.Description = "Reads. Every answer holds only what the caller may read: an object it may not read is not found, exactly like one that does not exist."
	}
	if c := s.Types["Cursor"]; c != nil {
		c.Description = "An opaque position in a connection: pass an edge's cursor, or pageInfo's endCursor or startCursor, back unchanged as after or before."
	}
	describeDirective(s.Directives["goModel"], "Code generation only (gqlgen): the Go type a GraphQL type is bound to.", map[string]string{
		"model":         "The Go type, as import path and name.",
		"models":        "Go types to try, in order.",
		"forceGenerate": "Generate a Go type even where one is bound.",
	})
	describeDirective(s.Directives["goField"], "Code generation only (gqlgen): how a field is read in Go.", map[string]string{
		"forceResolver": "Read the field through a resolver function.",
		"name":          "The Go field or method that holds the value.",
		"omittable":     "Tell an input field left out from one set to null.",
	})
	return nil
}

// decode reads the annotation named name into v, if there is one.
func decode(ants gen.Annotations, name string, v any) error {
	raw, ok := ants[name]
	if !ok {
		return nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// describeEnum writes doc on enum, and fails unless doc describes the type
// and exactly its values. Fields sharing an enum give the same doc.
func describeEnum(enum *ast.Definition, doc gqldoc.Annotation) error {
	if doc.Description == "" {
		return fmt.Errorf("enum %s needs gqldoc.Enum: entgql describes it with a placeholder and its values not at all", enum.Name)
	}
	if enum.Description != doc.Description && !strings.Contains(enum.Description, " is enum for the field ") {
		return fmt.Errorf("enum %s is described twice, differently", enum.Name)
	}
	enum.Description = doc.Description
	for _, v := range enum.EnumValues {
		d := doc.Values[v.Name]
		if d == "" {
			return fmt.Errorf("enum value %s.%s has no description in gqldoc.Enum", enum.Name, v.Name)
		}
		v.Description = d
	}
	for name := range doc.Values {
		if enum.EnumValues.ForName(name) == nil {
			return fmt.Errorf("gqldoc.Enum describes %s.%s, which does not exist", enum.Name, name)
		}
	}
	return nil
}

// describeOrderFields says which field each value of an order enum sorts by.
func describeOrderFields(n *gen.Type, enum *ast.Definition) {
	for _, v := range enum.EnumValues {
		v.Description = fmt.Sprintf("Orders by %s.", strings.ToLower(strings.ReplaceAll(v.Name, "_", " ")))
		for _, f := range append([]*gen.Field{n.ID}, n.Fields...) {
			var ant entgql.Annotation
			if raw, ok := f.Annotations[ant.Name()]; ok && ant.Decode(raw) == nil && ant.OrderField == v.Name {
				v.Description = fmt.Sprintf("Orders by `%s`.", fieldaccess.GraphQLName(f.Name))
			}
		}
	}
}

// predicates are the where-input operators entgql generates, by the suffix
// it gives their fields, as the rest of the sentence "Matches rows whose
// x …"; a time says it in time's words.
var predicates = map[string]struct{ text, time string }{
	"":             {"equals the value", ""},
	"NEQ":          {"does not equal the value", ""},
	"In":           {"is one of the values", ""},
	"NotIn":        {"is none of the values", ""},
	"GT":           {"is greater than the value", "is after the value"},
	"GTE":          {"is greater than or equal to the value", "is at or after the value"},
	"LT":           {"is less than the value", "is before the value"},
	"LTE":          {"is less than or equal to the value", "is at or before the value"},
	"Contains":     {"contains the value", ""},
	"HasPrefix":    {"starts with the value", ""},
	"HasSuffix":    {"ends with the value", ""},
	"EqualFold":    {"equals the value, whatever its case", ""},
	"ContainsFold": {"contains the value, whatever its case", ""},
}

// describeWhereInput describes a where input and each of its predicates.
// A predicate whose operator is unknown fails generation, so that a new
// kind is described before it is served.
func describeWhereInput(n *gen.Type, name string, w *ast.Definition) error {
	w.Description = fmt.Sprintf("Filters %s objects: an object matches when it matches every predicate given. It offers only fields whoever may read the object may read.", name)
	fields := append([]*gen.Field{n.ID}, n.Fields...)
	// The longest name first, so that phoneNumberIn is phoneNumber's.
	slices.SortFunc(fields, func(a, b *gen.Field) int {
		return len(fieldaccess.GraphQLName(b.Name)) - len(fieldaccess.GraphQLName(a.Name))
	})
	for _, in := range w.Fields {
		switch in.Name {
		case "not":
			in.Description = "Matches objects the filter given does not match."
			continue
		case "and":
			in.Description = "Matches objects every filter given matches."
			continue
		case "or":
			in.Description = "Matches objects at least one filter given matches."
			continue
		}
		in.Description = ""
		for _, f := range fields {
			base := fieldaccess.GraphQLName(f.Name)
			op, ok := strings.CutPrefix(in.Name, base)
			if !ok {
				continue
			}
			if op == "IsNil" {
				in.Description = fmt.Sprintf("When true, matches objects whose `%s` is not set.", base)
			} else if op == "NotNil" {
				in.Description = fmt.Sprintf("When true, matches objects whose `%s` is set.", base)
			} else if p, ok := predicates[op]; ok {
				text := p.text
				if f.IsTime() && p.time != "" {
					text = p.time
				}
				in.Description = fmt.Sprintf("Matches objects whose `%s` %s.", base, text)
			} else {
				continue
			}
			break
		}
		if in.Description == "" {
			return fmt.Errorf("%s.%s: a where-input predicate describe does not know", w.Name, in.Name)
		}
	}
	return nil
}

// describeMutationInput gives the fields entgql leaves bare in a create or
// update input their edge's comment: the IDs of edges, and the flags that
// clear a field or an edge.
func describeMutationInput(n *gen.Type, t *ast.Definition) {
	if strings.Contains(t.Description, "Input was generated by ent.") {
		t.Description = "" // entgql's placeholder; the type's Mutations annotation describes it
	}
	for _, in := range t.Fields {
		if in.Description != "" {
			continue
		}
		if target, ok := strings.CutPrefix(in.Name, "clear"); ok {
			for _, f := range n.Fields {
				if strings.EqualFold(f.StructField(), target) {
					in.Description = fmt.Sprintf("When true, clears `%s`.", fieldaccess.GraphQLName(f.Name))
				}
			}
			for _, e := range n.Edges {
				if strings.EqualFold(e.StructField(), target) {
					in.Description = fmt.Sprintf("When true, clears `%s`: %s", fieldaccess.GraphQLName(e.Name), lowerFirst(e.Comment()))
				}
			}
			continue
		}
		for _, e := range n.Edges {
			if in.Name == fieldaccess.GraphQLName(e.Name)+"ID" || in.Name == fieldaccess.GraphQLName(e.Name)+"IDs" {
				in.Description = e.Comment()
			}
		}
	}
}

func describeDirective(d *ast.DirectiveDefinition, text string, args map[string]string) {
	if d == nil {
		return
	}
	d.Description = text
	for _, a := range d.Arguments {
		a.Description = args[a.Name]
	}
}

// lowerFirst lowers a sentence's first letter, unless it starts a word in
// capitals (an acronym, an enum value).
func lowerFirst(s string) string {
	if len(s) > 1 && s[1] >= 'a' && s[1] <= 'z' {
		return strings.ToLower(s[:1]) + s[1:]
	}
	return s
}
