package graph

import (
	"context"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/casesearch"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/predicate"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/graph/model"
	"github.com/partnerdesk/partnerdesk/helpdesk"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// keywordMatch turns a keyword into a full-text match, or a BAD_USER_INPUT.
func keywordMatch(keyword string) (casesearch.Query, error) {
	m, err := casesearch.Match(keyword)
	if err != nil {
		return casesearch.Query{}, apperr.Invalid("keyword", "%v", err)
	}
	return m, nil
}

// searchCases answers searchCases: the caller's cases matching a keyword,
// most relevant first. Relevance is no column a Relay cursor can hold, so
// the cursor carries the position in the ranking instead.
func (r *Resolver) searchCases(ctx context.Context, keyword string, first *int, after *entgql.Cursor[string], where *ent.CaseWhereInput) (*ent.CaseConnection, error) {
	match, err := keywordMatch(keyword)
	if err != nil {
		return nil, err
	}
	q := r.client(ctx).SupportCase.Query()
	if where != nil {
		if q, err = where.Filter(q); err != nil {
			return nil, err
		}
	}
	conn := &ent.CaseConnection{Edges: []*ent.CaseEdge{}}
	if conn.TotalCount, err = q.Clone().Where(predicate.SupportCase(casesearch.Filter(match))).Count(ctx); err != nil {
		return nil, err
	}
	offset, limit := 0, deref(first)
	if after != nil {
		offset = cursorPosition(after)
	}
	ranked, err := q.Clone().Unique(false).
		Where(predicate.SupportCase(casesearch.OrderByRank(match))).
		Offset(offset).Limit(limit + 1).
		IDs(ctx)
	if err != nil {
		return nil, err
	}
	conn.PageInfo.HasNextPage = len(ranked) > limit
	conn.PageInfo.HasPreviousPage = offset > 0
	ranked = ranked[:min(limit, len(ranked))]
	nodes, err := r.loadForEdges(ctx, ranked)
	if err != nil {
		return nil, err
	}
	for i, id := range ranked {
		if n, ok := nodes[id]; ok {
			conn.Edges = append(conn.Edges, &ent.CaseEdge{Node: n, Cursor: entgql.Cursor[string]{ID: id, Value: int64(offset + i + 1)}})
		}
	}
	if len(conn.Edges) > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[len(conn.Edges)-1].Cursor
	}
	return conn, nil
}

// loadForEdges loads cases by ID with the edges the query's
// edges { node { … } } selection asks for eager-loaded.
func (r *Resolver) loadForEdges(ctx context.Context, ids []string) (map[string]*ent.SupportCase, error) {
	q := r.client(ctx).SupportCase.Query().Where(supportcase.IDIn(ids...))
	if node := selectedNode(ctx); node != nil {
		var err error
		if q, err = q.CollectFields(graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: *node}), "Case"); err != nil {
			return nil, err
		}
	}
	rows, err := q.All(ctx)
	out := make(map[string]*ent.SupportCase, len(rows))
	for _, c := range rows {
		out[c.ID] = c
	}
	return out, err
}

// selectedNode finds edges { node } in the current connection field.
func selectedNode(ctx context.Context) *graphql.CollectedField {
	oc := graphql.GetOperationContext(ctx)
	for _, edges := range graphql.CollectFields(oc, graphql.GetFieldContext(ctx).Field.Selections, nil) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(oc, edges.Selections, nil) {
			if node.Name == "node" {
				return &node
			}
		}
	}
	return nil
}

// cursorPosition reads the ranking position a searchCases cursor holds.
// A cursor from elsewhere holds none and starts from the top.
func cursorPosition(c *entgql.Cursor[string]) int {
	switch v := c.Value.(type) {
	case int64:
		return int(max(v, 0))
	case uint64:
		return int(v)
	case int8, int16, int32, uint8, uint16, uint32, int:
		n, _ := v.(int)
		return max(n, 0)
	}
	return 0
}

// helpDeskSearch pages through helpdesk.Search with position cursors.
func (r *Resolver) helpDeskSearch(ctx context.Context, query string, first *int, after *entgql.Cursor[string]) (*model.HelpDeskSearchConnection, error) {
	offset := 0
	if after != nil {
		offset = cursorPosition(after)
	}
	page, err := helpdesk.Search(ctx, r.client(ctx), viewer.ForContext(ctx), query, offset, deref(first), selects(ctx, "totalCount"))
	if err != nil {
		return nil, err
	}
	hits := page.Hits
	conn := &model.HelpDeskSearchConnection{
		Edges:      make([]*model.HelpDeskHitEdge, len(hits)),
		Nodes:      make([]*helpdesk.Hit, len(hits)),
		PageInfo:   &entgql.PageInfo[string]{HasNextPage: page.More, HasPreviousPage: offset > 0},
		TotalCount: page.Total,
	}
	for i := range hits {
		conn.Nodes[i] = &hits[i]
		conn.Edges[i] = &model.HelpDeskHitEdge{Node: &hits[i], Cursor: entgql.Cursor[string]{ID: hits[i].CustomerID, Value: int64(offset + i + 1)}}
	}
	if len(hits) > 0 {
		conn.PageInfo.StartCursor = &conn.Edges[0].Cursor
		conn.PageInfo.EndCursor = &conn.Edges[len(hits)-1].Cursor
	}
	return conn, nil
}

// selects reports whether the field being resolved selects a field of
// that name.
func selects(ctx context.Context, name string) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}
