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
		entgql.WithSchemaHook(stampFieldAccess, dropAppendInputs, mutationInputs, connectionNodes),
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
	}, entc.Extensions(ex), entc.TemplateFiles("./ent/template/owner.tmpl", "./ent/template/detach.tmpl"))
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
