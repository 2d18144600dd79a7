// Package audit writes an AuditEntry for every mutation, in the mutation's
// own transaction (SPEC §2.6). graph.Mutations calls it around every root
// field of a mutation, so that no mutation can forget to be audited; a
// rule per mutation names the object the entry records, and the object's
// customer decides which level and grant the entry names.
package audit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/requestid"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// Write records the root mutation field that ctx ran and the result it
// returned, with client: the field's transaction, so that the entry
// commits or rolls back with what it records.
func Write(ctx context.Context, client *ent.Client, fc *graphql.FieldContext, res any) error {
	return Record(ctx, client, Entry{Operation: fc.Field.Name, Action: actionOf(fc), ChangedFields: changedFields(ctx, fc)}, res)
}

// Entry is what an entry says of the mutation it records, besides its
// object: the operation (a Mutation field's name, which names its rule),
// the action the mutation's @action directive names, and the arguments
// the caller sent ("input.body").
type Entry struct {
	Operation     string
	Action        access.Action
	ChangedFields []string
}

// Record writes the entry of a mutation that ctx's caller ran and that
// returned res, with client, in the mutation's transaction; a bulk job's
// items are recorded as the single mutations they repeat. The entry names
// the object its rule (Rules) points at, and that object's customer; and
// the level and grant the caller's session held on that customer at the
// instant the mutation decided, whether a level or a role allowed the
// action (but no partner's grant, for what a role allows).
func Record(ctx context.Context, client *ent.Client, e Entry, res any) error {
	v := viewer.ForContext(ctx)
	if v == nil {
		return errors.New("audit: a mutation ran without a caller")
	}
	rule, ok := Rules[e.Operation]
	if !ok {
		return fmt.Errorf("audit: mutation %s has no rule naming its object", e.Operation)
	}
	objType, objID, objCustomer, err := rule.object(res)
	if err != nil {
		return fmt.Errorf("audit: %s: %w", e.Operation, err)
	}
	q := client.AuditEntry.Create().
		SetActorID(v.ContactID).
		SetActorOrganizationID(v.OrgID).
		SetOperation(e.Operation).
		SetObjectType(objType).
		SetObjectID(objID).
		SetChangedFields(e.ChangedFields).
		SetRequestID(requestid.FromContext(ctx)).
		SetCreatedAt(v.Now)
	// A partner or the vendor acting on its own directory acts on no customer.
	if objCustomer != "" && !(objCustomer == v.OrgID && v.OrgKind != access.Customer) {
		q.SetCustomerID(objCustomer)
	}
	if objCustomer != "" {
		d := v.Decide(objCustomer)
		if e.Action.Level() == "" && d.Grant != nil {
			// A partner's role allowed it (a request, a revocation), not
			// the partner's grant on the customer.
			d = access.Decision{}
		}
		if d.Level != "" {
			q.SetLevel(d.Level)
		}
		if d.Grant != nil {
			q.SetGrantID(d.Grant.ID)
		}
	}
	return q.Exec(ctx)
}

// actionOf is the action the field's @action directive names.
func actionOf(fc *graphql.FieldContext) access.Action {
	if d := fc.Field.Definition.Directives.ForName("action"); d != nil {
		if a := d.Arguments.ForName("name"); a != nil {
			return access.Action(a.Value.Raw)
		}
	}
	return ""
}

// changedFields lists the arguments the caller sent, with the fields of an
// input object spelled out ("input.name"), as the client named them; the
// clientMutationId is the client's own bookkeeping, not a change.
func changedFields(ctx context.Context, fc *graphql.FieldContext) []string {
	args := fc.Field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)
	var out []string
	for name, val := range args {
		if in, ok := val.(map[string]any); ok {
			for k := range in {
				if k != "clientMutationId" {
					out = append(out, name+"."+k)
				}
			}
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Rule says which object a mutation's entry names: the payload field (by
// its GraphQL name) that holds it, and, for a mutation that removed it,
// its type, the field then holding the removed object's ID. The customer
// is the object's, or, for a removed one, that of the payload's first
// node with a customer (the case it was removed from).
type Rule struct {
	Field   string
	Removed string
	// Customer says the removed object's ID is a customer's, whose entry
	// it then is: the subscription to a customer's cases names it.
	Customer bool
}

// Rules covers every mutation; one without a rule fails rather than write
// an entry that names nothing (graph's schema test holds every Mutation
// field to having one).
var Rules = map[string]Rule{
	"createOrganization":     {Field: "organization"},
	"updateOrganization":     {Field: "organization"},
	"createContact":          {Field: "contact"},
	"updateContact":          {Field: "contact"},
	"registerDevice":         {Field: "device"},
	"updateDevice":           {Field: "device"},
	"addPhoneNumber":         {Field: "phoneNumber"},
	"updatePhoneNumber":      {Field: "phoneNumber"},
	"requestGrant":           {Field: "grant"},
	"approveGrant":           {Field: "grant"},
	"rejectGrant":            {Field: "grant"},
	"revokeGrant":            {Field: "grant"},
	"createCase":             {Field: "case"},
	"updateCase":             {Field: "case"},
	"closeCase":              {Field: "case"},
	"reopenCase":             {Field: "case"},
	"escalateCase":           {Field: "case"},
	"addCaseComment":         {Field: "comment"},
	"addCaseCollaborator":    {Field: "case"},
	"removeCaseCollaborator": {Field: "case"},
	"addCaseAttachment":      {Field: "attachment"},
	"deleteCaseAttachment":   {Field: "deletedAttachmentID", Removed: "Attachment"},
	"shareCase":              {Field: "case"},
	"sendVerificationCode":   {Field: "contact"},
	"checkVerificationCode":  {Field: "contact"},
	"clearEmailSuppression":  {Field: "contact"},
	// Licences live in their organisation: the entry names it.
	"createLicense":       {Field: "organization"},
	"updateLicense":       {Field: "organization"},
	"deleteLicense":       {Field: "organization"},
	"assignVendorContact": {Field: "organization"},
	"createAccessToken":   {Field: "accessToken"},
	"revokeAccessToken":   {Field: "accessToken"},
	"updateViewer":        {Field: "contact"},
	"subscribeToCases":    {Field: "customer"},
	// The subscription is gone; the entry names the customer it was to.
	"unsubscribeFromCases": {Field: "customerID", Removed: "Organization", Customer: true},
	"createWebhook":        {Field: "webhook"},
	"updateWebhook":        {Field: "webhook"},
	// The webhook is gone; the entry names its organisation's customer side.
	"deleteWebhook": {Field: "deletedWebhookID", Removed: "Webhook"},
	// A bulk mutation's entry names its job; each item has the entry of
	// the single mutation it repeats, written as it runs.
	"bulkCloseCases":     {Field: "job"},
	"bulkAddCaseComment": {Field: "job"},
	"bulkRequestGrants":  {Field: "job"},
	"cancelBulkJob":      {Field: "job"},
	// An elevation is a grant; the rules are the customer's.
	"requestElevation":    {Field: "grant"},
	"createElevationRule": {Field: "elevationRule"},
	// The rule is gone; the entry names its customer, in the payload.
	"deleteElevationRule": {Field: "deletedElevationRuleID", Removed: "ElevationRule"},
}

// object finds the rule's object in a mutation's payload.
func (r Rule) object(payload any) (typ, id, customer string, err error) {
	rv := reflect.Indirect(reflect.ValueOf(payload))
	if rv.Kind() != reflect.Struct {
		return "", "", "", fmt.Errorf("the payload %T is no object", payload)
	}
	var field reflect.Value
	for i := range rv.NumField() {
		tag, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
		if tag == r.Field {
			field = rv.Field(i)
		}
		// A removed object's customer is that of the node it was removed from.
		if n, ok := rv.Field(i).Interface().(ent.Noder); ok && !rv.Field(i).IsNil() && customer == "" {
			_, _, customer = nodeOf(n)
		}
	}
	switch {
	case !field.IsValid():
		return "", "", "", fmt.Errorf("the payload %T has no field %s", payload, r.Field)
	case r.Removed != "" && r.Customer:
		return r.Removed, field.String(), field.String(), nil
	case r.Removed != "":
		return r.Removed, field.String(), customer, nil
	}
	n, ok := field.Interface().(ent.Noder)
	if !ok || field.IsNil() {
		return "", "", "", fmt.Errorf("the payload's %s is no node", r.Field)
	}
	typ, id, customer = nodeOf(n)
	return typ, id, customer, nil
}

func nodeOf(n ent.Noder) (typ, id, customer string) {
	rv := reflect.Indirect(reflect.ValueOf(n))
	if o, ok := n.(interface{ Owners() []string }); ok {
		customer = o.Owners()[0]
	}
	return rv.Type().Name(), rv.FieldByName("ID").String(), customer
}
