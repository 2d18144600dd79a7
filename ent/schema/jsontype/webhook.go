package jsontype

import (
	"fmt"
	"io"
	"slices"
	"strconv"
)

// WebhookEvent is a kind of event a webhook delivers: a case event kind
// prefixed CASE_, or a grant event kind prefixed GRANT_.
type WebhookEvent string

// CaseWebhookEvent is the webhook event of a case event kind.
func CaseWebhookEvent(kind string) WebhookEvent { return WebhookEvent("CASE_" + kind) }

// GrantWebhookEvent is the webhook event of a grant event kind.
func GrantWebhookEvent(kind string) WebhookEvent { return WebhookEvent("GRANT_" + kind) }

// CaseEventKinds and GrantEventKinds are the kinds a webhook may follow;
// schema.graphqls lists the same values in WebhookEventType.
var (
	CaseEventKinds = []string{"CREATED", "COMMENTED", "STATUS_CHANGED", "SEVERITY_CHANGED", "ESCALATED", "CLOSED",
		"REOPENED", "ATTACHMENT_ADDED", "ATTACHMENT_REMOVED", "COLLABORATOR_ADDED", "COLLABORATOR_REMOVED", "SHARED",
		"PRIMARY_CONTACT_CHANGED", "UPDATED"}
	GrantEventKinds = []string{"REQUESTED", "APPROVED", "REJECTED", "REVOKED", "SUPERSEDED", "EXPIRED", "EXPIRING"}
)

// WebhookEvents lists every webhook event type.
func WebhookEvents() []WebhookEvent {
	var out []WebhookEvent
	for _, k := range CaseEventKinds {
		out = append(out, CaseWebhookEvent(k))
	}
	for _, k := range GrantEventKinds {
		out = append(out, GrantWebhookEvent(k))
	}
	return out
}

// MarshalGQL writes the type as a GraphQL enum value.
func (e WebhookEvent) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(e))) }

// UnmarshalGQL reads a GraphQL enum value.
func (e *WebhookEvent) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !slices.Contains(WebhookEvents(), WebhookEvent(s)) {
		return fmt.Errorf("%v is not a WebhookEventType", v)
	}
	*e = WebhookEvent(s)
	return nil
}
