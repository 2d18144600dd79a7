package limits

import (
	"encoding/json"
	"errors"
	"io"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/partnerdesk/partnerdesk/apperr"
)

// inputBound counts the values of a request's arguments against the
// limits: lists no longer than MaxListValues, no more than MaxInputValues
// values in all, nesting no deeper than MaxInputDepth. The literals of a
// document, the JSON of its variables and the arguments of the validated
// operation are each walked with one, at the stage each is read, so that a
// list too long is refused before it is paid for.
type inputBound struct {
	cfg    *Config
	values int
}

// value counts one value at path, nested depth deep.
func (b *inputBound) value(path string, depth int) *apperr.Error {
	b.values++
	switch {
	case depth > b.cfg.MaxInputDepth:
		return inputTooLarge("DEPTH", path, b.cfg.MaxInputDepth, depth, "%s nests deeper than %d levels", path, b.cfg.MaxInputDepth)
	case b.values > b.cfg.MaxInputValues:
		return inputTooLarge("VALUES", path, b.cfg.MaxInputValues, b.values, "the arguments hold more than %d values in all", b.cfg.MaxInputValues)
	}
	return nil
}

// list checks that a list at path holds no more than MaxListValues values;
// n may be a count so far.
func (b *inputBound) list(path string, n int) *apperr.Error {
	if n > b.cfg.MaxListValues {
		return inputTooLarge("LIST", path, b.cfg.MaxListValues, n, "%s has more than %d values", path, b.cfg.MaxListValues)
	}
	return nil
}

func inputTooLarge(reason, path string, limit, measured int, format string, args ...any) *apperr.Error {
	e := apperr.Limited(apperr.InputTooLarge, reason, int64(limit), int64(measured), format, args...)
	e.Field = path
	return e
}

// queryBytes refuses a document longer than MaxQueryBytes.
func (c *Config) queryBytes(query string) *apperr.Error {
	if len(query) > c.MaxQueryBytes {
		return apperr.Limited(apperr.QueryTooLarge, "BYTES", int64(c.MaxQueryBytes), int64(len(query)),
			"the query is %d bytes; at most %d are allowed", len(query), c.MaxQueryBytes)
	}
	return nil
}

// CheckQuery applies the document limits to a query as soon as a
// transport has read it, before it decodes the rest of the request; the
// limits apply them again, for every transport, before gqlgen parses it.
// (They cost a few microseconds for a document within the limits.)
func (e *Extension) CheckQuery(query string) *apperr.Error { return e.checkDocument(query) }

// CheckVariables bounds the values of a request's JSON variables as they
// are read, before gqlgen decodes them: decoding every value of a large
// body costs far more than refusing it at the limit. d stands just inside
// the variables object; on success it has read the object to its end.
func (e *Extension) CheckVariables(d *json.Decoder) *apperr.Error {
	b := &inputBound{cfg: &e.early}
	return b.members(d, "variables", 0)
}

// members reads an object's members up to its closing brace.
func (b *inputBound) members(d *json.Decoder, path string, depth int) *apperr.Error {
	for d.More() {
		key, err := d.Token()
		if err != nil {
			return nil
		}
		k, _ := key.(string)
		if e := b.jsonValue(d, path+"."+k, depth); e != nil {
			return e
		}
	}
	d.Token()
	return nil
}

func (b *inputBound) jsonValue(d *json.Decoder, path string, depth int) *apperr.Error {
	if e := b.value(path, depth); e != nil {
		return e
	}
	tok, err := d.Token()
	if err != nil {
		return nil
	}
	switch tok {
	case json.Delim('{'):
		return b.members(d, path, depth+1)
	case json.Delim('['):
		for n := 1; d.More(); n++ {
			if e := b.list(path, n); e != nil {
				return e
			}
			if e := b.jsonValue(d, path, depth+1); e != nil {
				return e
			}
		}
		if _, err := d.Token(); err != nil && !errors.Is(err, io.EOF) {
			return nil
		}
	}
	return nil
}

// maxItems is the count of an input field's @maxItems directive: the list
// of a bulk mutation's items, which takes more items than MaxListValues.
func maxItems(f *ast.FieldDefinition) (int, bool) {
	d := f.Directives.ForName("maxItems")
	if d == nil {
		return 0, false
	}
	a := d.Arguments.ForName("count")
	if a == nil || a.Value == nil {
		return 0, false
	}
	n, err := strconv.Atoi(a.Value.Raw)
	return n, err == nil
}

// bulkBounds returns the largest @maxItems count of the schema, and the
// most values one item of such a list holds (an input object of scalars,
// and itself).
func bulkBounds(schema *ast.Schema) (items, values int) {
	for _, t := range schema.Types {
		if t.Kind != ast.InputObject {
			continue
		}
		for _, f := range t.Fields {
			if n, ok := maxItems(f); ok {
				items = max(items, n)
				if item := schema.Types[f.Type.Name()]; item != nil {
					values = max(values, 1+len(item.Fields))
				}
			}
		}
	}
	return items, values
}
