package graph_test

import (
	"testing"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/testkit"
)

// world is a small deployment: the vendor, two customers and a partner.
type world struct {
	*testkit.Env
	vendor, acme, globex, partner                                 *ent.Organization
	vendorAdmin, acmeAdmin, acmeMember, globexAdmin, partnerAdmin *ent.Contact
}

func newWorld(t *testing.T) *world {
	e := testkit.New(t)
	w := &world{Env: e}
	w.vendor = e.Org(access.Vendor, "Northwind")
	w.acme = e.Org(access.Customer, "Acme")
	w.globex = e.Org(access.Customer, "Globex")
	w.partner = e.Org(access.Partner, "Contoso")
	w.vendorAdmin = e.Contact(w.vendor, "Vera Admin", access.RoleAdmin, access.RoleAgent)
	w.acmeAdmin = e.Contact(w.acme, "Ada Admin", access.RoleAdmin)
	w.acmeMember = e.Contact(w.acme, "Max Member")
	w.globexAdmin = e.Contact(w.globex, "Gus Admin", access.RoleAdmin)
	w.partnerAdmin = e.Contact(w.partner, "Pat Partner", access.RoleAdmin)
	return w
}

func TestViewerAnswersForEveryKindOfCaller(t *testing.T) {
	w := newWorld(t)
	for _, c := range []*ent.Contact{w.vendorAdmin, w.acmeAdmin, w.acmeMember, w.partnerAdmin} {
		var got struct {
			Viewer struct {
				Contact      struct{ ID, Email string }
				Organization struct{ ID string }
			}
		}
		w.Query(w.Token(c), `{ viewer { contact { id email } organization { id } } }`, nil).Decode(t, &got)
		if got.Viewer.Contact.ID != c.ID || got.Viewer.Contact.Email != c.Email || got.Viewer.Organization.ID != c.OrganizationID {
			t.Errorf("viewer of %s = %+v", c.Email, got.Viewer)
		}
	}
}

func TestUnauthenticatedCallersLearnNothing(t *testing.T) {
	w := newWorld(t)
	suspended := w.Contact(w.acme, "Sam Suspended")
	suspendedToken := w.Token(suspended)
	w.Client.Contact.UpdateOne(suspended).SetStatus(contact.StatusSUSPENDED).ExecX(w.System())

	revokedToken, rec, err := auth.Issue(w.System(), w.Client, w.acmeMember.ID, "old laptop", nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Client.AccessToken.UpdateOne(rec).SetRevokedAt(w.Clock.Now()).ExecX(w.System())

	expiresAt := w.Clock.Now().Add(time.Hour)
	expiringToken, _, err := auth.Issue(w.System(), w.Client, w.acmeMember.ID, "ci", &expiresAt)
	if err != nil {
		t.Fatal(err)
	}
	w.Clock.Set(expiresAt.Add(-time.Second))
	if res := w.Query(expiringToken, `{ viewer { contact { id } } }`, nil); len(res.Errors) > 0 {
		t.Fatalf("a second before expiry the token must work: %+v", res.Errors)
	}
	w.Clock.Set(expiresAt)

	for name, token := range map[string]string{
		"no token":          "",
		"not a bearer":      "not-a-token",
		"unknown token":     "pdt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"revoked token":     revokedToken,
		"expired token":     expiringToken,
		"suspended contact": suspendedToken,
	} {
		t.Run(name, func(t *testing.T) {
			res := w.Query(token, `{ viewer { contact { id } } }`, nil)
			if res.Status != 401 || res.Code() != "UNAUTHENTICATED" || len(res.Errors) != 1 ||
				res.Errors[0].Message != "authentication required" || !res.NoData() {
				t.Fatalf("got %d %+v data=%s", res.Status, res.Errors, res.Data)
			}
		})
	}
}

func TestInvalidGraphQLIsBadUserInput(t *testing.T) {
	w := newWorld(t)
	for query, reason := range map[string]string{
		`{ viewer { contact { nope } } }`: "GRAPHQL_VALIDATION_FAILED",
		`{ viewer { `:                     "GRAPHQL_PARSE_FAILED",
	} {
		res := w.Query(w.Token(w.acmeAdmin), query, nil)
		if res.Code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["reason"] != reason || !res.NoData() {
			t.Errorf("%s: %+v", query, res.Errors)
		}
	}
}
