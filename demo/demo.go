// Package demo loads the demo world into an empty database: a vendor, two
// partners (one with two domains), four customers on both support plans,
// their contacts, grants of every level and status, cases in every state,
// devices and phone numbers. People exploring the API in GraphiQL sign in as
// one of the returned personas, each chosen to show one rule of SPEC §2.
//
// The world is a scenario, not a set of rows: its people call the real
// workflows (package directory, grants and cases) while a manual clock
// steps through two years up to the now passed to Load, and the scheduler
// expires grants as their ends pass. Expiry dates, superseded grants, SLA
// targets, reopen windows and case history are the workflows' own, so a
// change to a rule reaches the demo by itself. Rows are written directly
// only where no workflow exists yet; each such place says so.
package demo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/directory"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/grant"
	_ "github.com/partnerdesk/partnerdesk/ent/runtime" // ID defaults and the normalising hooks the rows rely on
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/rowfilter"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// Persona is a demo contact worth signing in as.
type Persona struct {
	Key          string // short handle, e.g. "vendor-agent", "contoso-admin"
	Name         string
	Email        string
	Organization string // organisation name
	Summary      string // one line: what this persona shows
}

// Load fills an empty database with the demo world and returns the personas,
// in a stable order. It runs in one transaction and refuses (returns an error)
// if any organisation exists already. Every instant of the world is derived
// from now, so the world has the same shape whenever it is loaded.
func Load(ctx context.Context, client *ent.Client, now time.Time) ([]Persona, error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := play(ctx, tx.Client(), now.UTC()); err != nil {
		return nil, errors.Join(fmt.Errorf("demo: %w", err), tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("demo: commit: %w", err)
	}
	return Personas(), nil
}

// step is one thing someone does at one instant of the scenario.
type step struct {
	ago time.Duration
	by  string // contact key of the one who acts
	do  action
}

// action is what a step does, as the session's caller; ctx carries the
// session, as a request's does.
type action func(ctx context.Context, w *world, s *access.Session) error

// world is the scenario being played: the transaction's client, the clock,
// and the rows made so far by table key.
type world struct {
	c     *ent.Client
	ctx   context.Context // Load's, without a session
	now   time.Time       // where the clock stops
	clock *clock.Manual

	orgs     map[string]*ent.Organization // by table key
	orgByID  map[string]*ent.Organization
	contacts map[string]*ent.Contact
	devices  map[string]*ent.Device
	cases    []*ent.SupportCase // by index in supportCases
}

func play(ctx context.Context, c *ent.Client, now time.Time) error {
	exists, err := c.Organization.Query().Exist(rowfilter.Privileged(ctx))
	if err != nil {
		return err
	}
	if exists {
		return errors.New("the database already holds organisations; the demo world loads only into an empty one")
	}
	w := &world{
		c: c, ctx: ctx, now: now,
		clock:    clock.NewManual(now.Add(-organizations[0].age)),
		orgs:     map[string]*ent.Organization{},
		orgByID:  map[string]*ent.Organization{},
		contacts: map[string]*ent.Contact{},
		devices:  map[string]*ent.Device{},
		cases:    make([]*ent.SupportCase, len(supportCases)),
	}
	if err := w.bootstrap(); err != nil {
		return err
	}
	steps := scenario()
	// Everyone acts in the order of time; at one instant, in table order.
	slices.SortStableFunc(steps, func(a, b step) int { return cmp.Compare(b.ago, a.ago) })
	for _, st := range steps {
		if err := w.run(st); err != nil {
			return err
		}
	}
	return w.advance(now)
}

// scenario lists every step of the tables.
func scenario() []step {
	var steps []step
	for _, o := range organizations[1:] {
		steps = append(steps, step{o.age, vendorAdmin, onboard(o)})
	}
	for i, ct := range contacts {
		if ct.key == vendorAdmin {
			continue
		}
		org := orgSpecOf(ct.org)
		ago := org.age - time.Duration(i+1)*time.Hour
		if ct.age != 0 {
			ago = ct.age
		}
		steps = append(steps, step{ago, vendorAdmin, hire(ct, org)})
	}
	for _, v := range vendorContacts {
		steps = append(steps, step{orgSpecOf(v.customer).age - day, vendorAdmin, assign(v.customer, v.contact, v.role)})
	}
	for _, d := range devices {
		steps = append(steps, step{orgSpecOf(d.org).age - 7*day, vendorAdmin, register(d)})
	}
	for _, n := range numbers {
		steps = append(steps, step{orgSpecOf(n.org).age - 7*day, vendorAdmin, addNumber(n)})
	}
	for _, g := range accessRequests {
		steps = append(steps, grantSteps(g)...)
	}
	steps = append(steps, step{sharedHistory.since, holder(sharedHistory.customer, access.RoleAdmin), shareHistory(sharedHistory.customer)})
	steps = append(steps,
		step{elevationRule.ago, holder(elevationRule.customer, access.RoleAdmin), makeElevationRule},
		step{pendingElevation.ago, pendingElevation.by, requestElevation})
	for i, cs := range supportCases {
		steps = append(steps, step{cs.age, cs.by, file(i, cs)})
		for _, st := range cs.steps {
			steps = append(steps, step{cs.age - st.after, st.by, onCase(i, st.do)})
		}
	}
	return steps
}

// run moves the clock to the step's instant and takes the step as its
// contact, signed in then.
func (w *world) run(st step) error {
	if err := w.advance(w.now.Add(-st.ago)); err != nil {
		return err
	}
	s, err := w.session(st.by)
	if err != nil {
		return err
	}
	if err := st.do(viewer.NewContext(w.ctx, s), w, s); err != nil {
		return fmt.Errorf("%s, %s ago: %w", st.by, st.ago, err)
	}
	return nil
}

// advance moves the clock to t, running the scheduler at each grant's
// expiry on the way as the server's would (at most a minute late; here at
// the instant), so that each expired grant ends when it expired.
func (w *world) advance(t time.Time) error {
	sys := rowfilter.Privileged(w.ctx)
	if t.Before(w.clock.Now()) {
		return fmt.Errorf("the scenario runs backwards, from %s to %s", w.clock.Now(), t)
	}
	for {
		g, err := w.c.Grant.Query().
			Where(grant.StatusEQ(grant.StatusACTIVE), grant.ExpiresAtLTE(t)).
			Order(ent.Asc(grant.FieldExpiresAt)).
			First(sys)
		if ent.IsNotFound(err) {
			break
		}
		if err != nil {
			return err
		}
		w.clock.Set(*g.ExpiresAt)
		if _, err := grants.ExpireStale(w.ctx, w.c, *g.ExpiresAt); err != nil {
			return err
		}
	}
	w.clock.Set(t)
	_, err := grants.ExpireStale(w.ctx, w.c, t)
	return err
}

// session is the contact of key signed in at the clock's instant, with
// its partner's grants as they stand.
func (w *world) session(key string) (*access.Session, error) {
	ct, ok := w.contacts[key]
	if !ok {
		return nil, fmt.Errorf("the demo tables name an unknown contact %q", key)
	}
	return grants.SessionOf(w.ctx, w.c, ct, w.orgByID[ct.OrganizationID].Kind, w.clock.Now())
}

// Personas lists the demo's personas straight from its tables, without a
// database, so that a server restarted on a loaded world can mint fresh
// tokens for them (tokens are stored hashed and cannot be shown again).
func Personas() []Persona {
	out := make([]Persona, 0, len(personas))
	for _, p := range personas {
		c := contactSpecOf(p.key)
		out = append(out, Persona{Key: p.key, Name: c.name, Email: c.email, Organization: orgSpecOf(c.org).name, Summary: p.summary})
	}
	return out
}

func orgSpecOf(key string) orgSpec {
	i := slices.IndexFunc(organizations, func(o orgSpec) bool { return o.key == key })
	if i < 0 {
		panic(fmt.Sprintf("demo: the tables name an unknown organisation %q", key))
	}
	return organizations[i]
}

func contactSpecOf(key string) contactSpec {
	i := slices.IndexFunc(contacts, func(c contactSpec) bool { return c.key == key })
	if i < 0 {
		panic(fmt.Sprintf("demo: the tables name an unknown contact %q", key))
	}
	return contacts[i]
}

// holder returns the key of the first contact of the organisation of
// orgKey, in table order, that holds role.
func holder(orgKey string, role access.Role) string {
	for _, c := range contacts {
		if c.org == orgKey && slices.Contains(c.roles, role) {
			return c.key
		}
	}
	panic(fmt.Sprintf("demo: the tables give %s no %s", orgKey, role))
}

// licenses are the licences to add to an organisation, with expiries
// from now.
func (w *world) licenses(s orgSpec) []directory.LicenseChange {
	out := make([]directory.LicenseChange, 0, len(s.licenses))
	for _, l := range s.licenses {
		lic := directory.LicenseChange{Product: l.product, Quantity: &l.quantity}
		if l.expiresIn != 0 {
			exp := w.now.Add(l.expiresIn)
			lic.ExpiresAt = &exp
		}
		out = append(out, lic)
	}
	return out
}

// opt returns nil for the zero value, for optional inputs.
func opt[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}
