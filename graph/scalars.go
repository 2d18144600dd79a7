package graph

import (
	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/partnerdesk/partnerdesk/apperr"
)

// Scalars check the values of the schema's custom scalars before an
// operation runs (limits.Config.Scalars), so that a bad value is refused as
// bad input, naming its argument, wherever it stands: nested connections
// read their arguments with ent's eager loading, which does not report
// them.
var Scalars = map[string]func(any) error{
	"Cursor": func(v any) error {
		var c entgql.Cursor[string]
		if c.UnmarshalGQL(v) != nil {
			return &apperr.Error{Code: apperr.BadUserInput, Message: "not a cursor this server gave: pass a pageInfo cursor back unchanged"}
		}
		return nil
	},
	"Time": func(v any) error {
		if _, err := graphql.UnmarshalTime(v); err != nil {
			return &apperr.Error{Code: apperr.BadUserInput, Message: "not a time: write it in RFC 3339, e.g. 2026-03-02T09:00:00Z"}
		}
		return nil
	},
	"Upload": func(v any) error {
		if _, ok := v.(graphql.Upload); !ok {
			return &apperr.Error{Code: apperr.BadUserInput, Message: "not a file: send it as a part of a multipart request"}
		}
		return nil
	},
}
