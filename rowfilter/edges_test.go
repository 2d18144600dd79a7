package rowfilter_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/casecomment"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/testkit"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// sqlLog keeps the text of every query.
// sqlLog records the statements read, with identifiers quoted as SQLite
// quotes them whatever the backend, so that tests match one spelling.
type sqlLog struct {
	dialect.Driver
	mu   sync.Mutex
	text []string
}

func (l *sqlLog) Query(ctx context.Context, q string, args, v any) error {
	l.mu.Lock()
	l.text = append(l.text, strings.ReplaceAll(q, `"`, "`"))
	l.mu.Unlock()
	return l.Driver.Query(ctx, q, args, v)
}

func (l *sqlLog) since(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.text[n:])
}

func (l *sqlLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.text)
}

// TestEagerLoadsSkipOnlyWhatTheirEdgeImplies: a query's eager loads
// render only the part of their rule their edge does not already imply:
// a visible case's comments are checked for visibility alone, a visible
// comment's author not at all. Edges that imply nothing keep the whole
// rule: an organisation's contacts, a contact's cases, the partners of a
// case's eras.
func TestEagerLoadsSkipOnlyWhatTheirEdgeImplies(t *testing.T) {
	log := &sqlLog{}
	e := testkit.New(t, testkit.WithDriver(func(d dialect.Driver) dialect.Driver { log.Driver = d; return log }))
	now := e.Clock.Now()
	vendor := e.Org(access.Vendor, "Northwind")
	agent := e.Contact(vendor, "Nora Agent", access.RoleAgent)
	acme, globex := e.Org(access.Customer, "Acme"), e.Org(access.Customer, "Globex")
	ada, gus, gina := e.Contact(acme, "Ada"), e.Contact(globex, "Gus"), e.Contact(globex, "Gina")
	before := e.Case(acme, ada, "Before Contoso") // outside Contoso's era
	e.Collaborate(before, ada)
	e.Clock.Set(now.Add(time.Hour))
	contoso, initech := e.Org(access.Partner, "Contoso"), e.Org(access.Partner, "Initech")
	e.Grant(testkit.GrantSpec{Partner: contoso, Customer: acme, Level: access.Update})
	e.Grant(testkit.GrantSpec{Partner: initech, Customer: acme, Level: access.Look})
	e.Grant(testkit.GrantSpec{Partner: contoso, Customer: globex, Level: access.CC})
	pat := e.Contact(contoso, "Pat")
	e.Clock.Set(now.Add(2 * time.Hour))
	seen := e.Case(acme, ada, "In both partners' eras")
	for _, vis := range []casecomment.Visibility{casecomment.VisibilityPUBLIC, casecomment.VisibilityINTERNAL} {
		e.Client.CaseComment.Create().SetCaseID(seen.ID).SetCustomerID(acme.ID).SetAuthorID(agent.ID).
			SetBody(string(vis)).SetVisibility(vis).SetCreatedAt(e.Clock.Now()).SaveX(e.System())
	}
	cc := e.Case(globex, gus, "Pat collaborates")
	e.Collaborate(cc, pat)
	_ = gina

	s, err := (&auth.Authenticator{Client: e.Client, Clock: e.Clock}).Authenticate(context.Background(), "Bearer "+e.Token(pat))
	if err != nil {
		t.Fatal(err)
	}
	ctx := viewer.NewContext(context.Background(), s)

	// A visible case's comments: the public one, with its author (a
	// vendor agent, whom Pat reads only as a counterpart).
	mark := log.len()
	kase := e.Client.SupportCase.Query().Where(supportcase.ID(seen.ID)).
		WithComments(func(q *ent.CaseCommentQuery) { q.WithAuthor() }).
		WithEraPartners().OnlyX(ctx)
	if n := len(kase.Edges.Comments); n != 1 || kase.Edges.Comments[0].Body != "PUBLIC" || kase.Edges.Comments[0].Edges.Author == nil {
		t.Fatalf("the case's comments: %d, want the public one with its author", n)
	}
	loads := 0
	for _, q := range log.since(mark) {
		if strings.HasPrefix(q, "SELECT `case_comments`.") || strings.HasPrefix(q, "SELECT `contacts`.") {
			loads++
			if strings.Contains(q, "EXISTS") {
				t.Errorf("an eager load renders what its edge implies: %s", q)
			}
		}
	}
	if loads != 2 {
		t.Errorf("%d loads of comments or contacts, want 2", loads)
	}
	// The partners of its eras: Contoso's own, not Initech, whom nothing
	// Pat may read names.
	var partners []string
	for _, o := range kase.Edges.EraPartners {
		partners = append(partners, o.Name)
	}
	if !slices.Equal(partners, []string{"Contoso"}) {
		t.Errorf("the era partners Pat reads: %v, want just Contoso", partners)
	}

	// Globex, reached at CC: its contacts are read at LOOK, so only Gus,
	// who filed the case Pat collaborates on, as a counterpart.
	org := e.Client.Organization.Query().Where(organization.ID(globex.ID)).WithContacts().OnlyX(ctx)
	var names []string
	for _, c := range org.Edges.Contacts {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"Gus"}) {
		t.Errorf("Globex's contacts as Pat reads them: %v, want just Gus", names)
	}

	// Ada is a counterpart (she filed a case Pat sees); the case she
	// collaborates on from before Contoso's era stays out of sight.
	a := e.Client.Contact.Query().Where(contact.ID(ada.ID)).WithCollaborations().OnlyX(ctx)
	if len(a.Edges.Collaborations) != 0 {
		t.Errorf("Ada's collaborations as Pat reads them: %d cases, want none", len(a.Edges.Collaborations))
	}
}
