package graph

import (
	"context"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent/accesstoken"
	"github.com/partnerdesk/partnerdesk/ent/attachment"
	"github.com/partnerdesk/partnerdesk/ent/auditentry"
	"github.com/partnerdesk/partnerdesk/ent/bulkjob"
	"github.com/partnerdesk/partnerdesk/ent/bulkjobresult"
	"github.com/partnerdesk/partnerdesk/ent/casecomment"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/device"
	"github.com/partnerdesk/partnerdesk/ent/elevationrule"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	"github.com/partnerdesk/partnerdesk/ent/grantevent"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/phonenumber"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/ent/webhook"
	"github.com/partnerdesk/partnerdesk/ent/webhookattempt"
	"github.com/partnerdesk/partnerdesk/ent/webhookdelivery"
	"github.com/partnerdesk/partnerdesk/ids"
)

// nodeTables maps an ID's prefix to its table, so that node(id:) reads one
// table instead of trying them all.
var nodeTables = map[string]string{
	ids.Organization:    organization.Table,
	ids.Contact:         contact.Table,
	ids.Grant:           grant.Table,
	ids.GrantEvent:      grantevent.Table,
	ids.Case:            supportcase.Table,
	ids.CaseComment:     casecomment.Table,
	ids.CaseEvent:       caseevent.Table,
	ids.Device:          device.Table,
	ids.PhoneNumber:     phonenumber.Table,
	ids.AuditEntry:      auditentry.Table,
	ids.AccessToken:     accesstoken.Table,
	ids.Attachment:      attachment.Table,
	ids.Webhook:         webhook.Table,
	ids.WebhookDelivery: webhookdelivery.Table,
	ids.WebhookAttempt:  webhookattempt.Table,
	ids.BulkJob:         bulkjob.Table,
	ids.BulkJobResult:   bulkjobresult.Table,
	ids.ElevationRule:   elevationrule.Table,
}

// nodeType resolves an ID to its table. A malformed or unknown ID is simply
// not found, like an ID the caller may not see.
func nodeType(_ context.Context, id string) (string, error) {
	if p, ok := ids.Prefix(id); ok {
		if t, ok := nodeTables[p]; ok {
			return t, nil
		}
	}
	return "", apperr.ErrNotFound
}
