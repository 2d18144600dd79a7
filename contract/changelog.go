package contract

import (
	"regexp"
	"strings"
)

// Coordinate names the changed element as a GraphQL schema coordinate:
// Type, Type.field, Type.field(argument:), Enum.VALUE, Input.field,
// @directive, @directive(argument:). A change of the schema's root types
// is "schema"; any other path of GraphQL Inspector's (a directive on a
// field, Type.field.@directive) is kept as it is.
func (c Change) Coordinate() string {
	if c.Path == "" {
		return "schema"
	}
	parts := strings.Split(c.Path, ".")
	switch {
	case len(parts) == 3 && strings.HasPrefix(c.Type, "FIELD_ARGUMENT_"):
		return parts[0] + "." + parts[1] + "(" + parts[2] + ":)"
	case len(parts) == 2 && strings.HasPrefix(parts[0], "@") && strings.HasPrefix(c.Type, "DIRECTIVE_ARGUMENT_"):
		return parts[0] + "(" + parts[1] + ":)"
	}
	return c.Path
}

// owner returns the coordinate of the field or directive that c's
// coordinate belongs to (Type.field for Type.field(argument:) and
// Type.field.@directive, @directive for @directive(argument:)), or "".
func owner(coordinate string) string {
	if i := strings.IndexByte(coordinate, '('); i > 0 {
		return coordinate[:i]
	}
	if i := strings.Index(coordinate, ".@"); i > 0 {
		return coordinate[:i]
	}
	return ""
}

var (
	// unreleasedHeading is Keep a Changelog's "## [Unreleased]", brackets
	// optional.
	unreleasedHeading = regexp.MustCompile(`(?im)^##[ \t]+\[?unreleased\]?[ \t]*$`)
	// nextSection is the next level-2 heading: the next release.
	nextSection = regexp.MustCompile(`(?m)^##[ \t]`)
	// codeSpan is inline code: `Type.field`.
	codeSpan = regexp.MustCompile("`([^`\n]+)`")
)

// Unreleased returns the Unreleased section of a Keep a Changelog file:
// what lies between its "## Unreleased" (or "## [Unreleased]") heading and
// the next "## " heading. ok is false when there is no such heading.
func Unreleased(changelog string) (section string, ok bool) {
	loc := unreleasedHeading.FindStringIndex(changelog)
	if loc == nil {
		return "", false
	}
	rest := changelog[loc[1]:]
	if next := nextSection.FindStringIndex(rest); next != nil {
		rest = rest[:next[0]]
	}
	return rest, true
}

// Unannounced returns the breaking changes that the Unreleased section of
// the changelog does not announce, in their order. A change is announced
// when the section holds, as inline code (in backticks), its coordinate or
// the coordinate of the field or directive it belongs to: so
// `Mutation.escalateCase` announces every change of that field and of its
// arguments, and `Query.cases(after:)` only that argument's.
func Unannounced(changes []Change, unreleased string) []Change {
	spans := map[string]bool{}
	for _, m := range codeSpan.FindAllStringSubmatch(unreleased, -1) {
		spans[strings.TrimSpace(m[1])] = true
	}
	var missing []Change
	for _, c := range changes {
		if c.Criticality != Breaking {
			continue
		}
		coordinate := c.Coordinate()
		if o := owner(coordinate); !spans[coordinate] && (o == "" || !spans[o]) {
			missing = append(missing, c)
		}
	}
	return missing
}
