package perf

import (
	"encoding/json"
	"fmt"
)

// Request is one of the requests of issue 11: a GraphQL document and the
// variables it takes in a world. The floor answers the same request at
// /floor/{Name}.
type Request struct {
	// Name is short and has no spaces: it names sub-benchmarks and the
	// floor's route.
	Name  string
	Query string
	// Vars returns the request's variables in w; nil for none.
	Vars func(w *World) map[string]any
	// Writes is true for the mutation: its answer holds new IDs and times.
	Writes bool
}

// The documents issue 11 measures, with the mutation in the payload shape
// of issue 12.
const (
	caseQuery = `query($id: ID!) { node(id: $id) { ... on Case { id number title status severity comments(first: 20) { totalCount edges { node { id body createdAt author { name } } } } events(first: 20) { totalCount edges { node { id kind createdAt } } } } } }`

	dashboardQuery = `{ cases(first: 50) { totalCount edges { node { id number title status severity slaState updatedAt customer { name } } } } }`

	metricsQuery = `query($id: ID!) { node(id: $id) { ... on Organization { supportMetrics { openBySeverity { severity count } escalated slaBreaches medianFirstResponseSeconds openedLast30Days closedLast30Days } } } }`

	commentMutation = `mutation($id: ID!, $body: String!) { addCaseComment(input: {caseID: $id, body: $body}) { comment { id body createdAt author { name } } } }`

	keywordQuery = `{ cases(first: 20, where: {keyword: "printer reboot"}) { totalCount edges { node { id number title updatedAt } } } }`

	helpDeskQuery = `query($q: String!) { helpDeskSearch(query: $q, first: 20) { edges { node { exact matchedOn customer { name } node { __typename ... on Contact { id name email } ... on Device { id model macAddress } ... on Organization { id name } ... on PhoneNumber { id number } } } } } }`
)

// CommentBody is what R4 writes: text that JSON must escape, so that the
// floor's escaping is checked on a write too.
const CommentBody = "  Thanks — we \"rebooted\" the <phone> & it works again.\nRegards  "

// Requests are the six requests of issue 11, the help-desk search in its
// three forms.
var Requests = []Request{
	{Name: "R1-case", Query: caseQuery, Vars: func(w *World) map[string]any { return map[string]any{"id": w.CaseID} }},
	{Name: "R2-dashboard", Query: dashboardQuery},
	{Name: "R3-metrics", Query: metricsQuery, Vars: func(w *World) map[string]any { return map[string]any{"id": w.MetricsCustomerID} }},
	{Name: "R4-comment", Query: commentMutation, Writes: true, Vars: func(w *World) map[string]any {
		return map[string]any{"id": w.CommentCaseID, "body": CommentBody}
	}},
	{Name: "R5-keyword", Query: keywordQuery},
	{Name: "R6-email", Query: helpDeskQuery, Vars: func(w *World) map[string]any { return map[string]any{"q": w.HelpDeskEmail} }},
	{Name: "R6-MAC", Query: helpDeskQuery, Vars: func(w *World) map[string]any { return map[string]any{"q": w.HelpDeskMAC} }},
	{Name: "R6-name", Query: helpDeskQuery, Vars: func(w *World) map[string]any { return map[string]any{"q": w.HelpDeskName} }},
}

// RequestNamed returns the request called name.
func RequestNamed(name string) (Request, bool) {
	for _, r := range Requests {
		if r.Name == name {
			return r, true
		}
	}
	return Request{}, false
}

// Body is the JSON body of r in w, as a client POSTs it to /graphql; the
// floor takes the same body.
func (r Request) Body(w *World) []byte {
	payload := map[string]any{"query": r.Query}
	if r.Vars != nil {
		payload["variables"] = r.Vars(w)
	}
	b, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("perf: marshalling %s: %v", r.Name, err)) // strings and maps only
	}
	return b
}
