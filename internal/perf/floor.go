package perf

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-sqlite3"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/app"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/cases"
	"github.com/partnerdesk/partnerdesk/casesearch"
	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/helpdesk"
	"github.com/partnerdesk/partnerdesk/ids"
	"github.com/partnerdesk/partnerdesk/store"
	"github.com/partnerdesk/partnerdesk/validate"
)

// The floor is what issue 11 measures the server against: a small
// net/http handler over the same SQLite file, with the same settings, that
// answers the six requests with the same bytes the server writes. It signs
// in the same way (the token's SHA-256, its contact and organisation, the
// partner's approved grants and which customers share their history) and
// applies the same rules, written as naive SQL: a partner sees a case when
// it was created during one of its eras on the customer (an OR of one
// branch per customer, as the row filter renders it today), only the
// cases it collaborates on at CC, and INTERNAL comments and events are
// for the vendor's staff. Only pure functions of the domain are reused
// (levels, SLA states, the help desk's parsing of identifiers, the
// full-text query syntax): every read and write is written here.

// floorDriver is SQLite with the server's connection hook, for the floor's
// read pool.
const floorDriver = "sqlite3_partnerdesk_floor"

func init() {
	sql.Register(floorDriver, &sqlite3.SQLiteDriver{ConnectHook: casesearch.Register})
}

// Floor is the hand-written floor; it serves POST /floor/{request} with
// the same JSON body and Authorization header as /graphql.
type Floor struct {
	db     *store.DB
	writer *sql.DB
	// reader is a read pool opened as store.Open opens the server's: the
	// store does not hand its own out.
	reader *sql.DB
	clock  clock.Clock
	// statements counts the SQL statements the floor sent.
	statements atomic.Int64
}

// OpenFloor opens the floor over the database at path, the way the server
// opens it: app.Open for the writer (migrated, the full-text triggers in
// place), and a read pool of four read-only connections in WAL mode.
func OpenFloor(ctx context.Context, path string, clk clock.Clock) (*Floor, error) {
	db, err := app.Open(ctx, path, store.Options{}, nil)
	if err != nil {
		return nil, err
	}
	q := url.Values{
		"_journal_mode": {"WAL"},
		"_foreign_keys": {"on"},
		"_busy_timeout": {"10000"},
		"_synchronous":  {"FULL"},
		"_query_only":   {"true"},
	}
	reader, err := sql.Open(floorDriver, "file:"+path+"?"+q.Encode())
	if err != nil {
		db.Close()
		return nil, err
	}
	reader.SetMaxOpenConns(4)
	reader.SetMaxIdleConns(4)
	if err := reader.PingContext(ctx); err != nil {
		reader.Close()
		db.Close()
		return nil, err
	}
	return &Floor{db: db, writer: db.Writer(), reader: reader, clock: clk}, nil
}

// Close closes both pools.
func (f *Floor) Close() error {
	return errors.Join(f.reader.Close(), f.db.Close())
}

// Statements returns how many SQL statements the floor has sent.
func (f *Floor) Statements() int64 { return f.statements.Load() }

// The floor's statements go through these, to be counted.

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (f *Floor) query(ctx context.Context, db querier, q string, args ...any) (*sql.Rows, error) {
	f.statements.Add(1)
	return db.QueryContext(ctx, q, args...)
}

func (f *Floor) queryRow(ctx context.Context, db querier, q string, args ...any) *sql.Row {
	f.statements.Add(1)
	return db.QueryRowContext(ctx, q, args...)
}

func (f *Floor) exec(ctx context.Context, db querier, q string, args ...any) error {
	f.statements.Add(1)
	_, err := db.ExecContext(ctx, q, args...)
	return err
}

// floorError is an answer other than data: a status and a code.
type floorError struct {
	status int
	code   string
	msg    string
}

func (e *floorError) Error() string { return e.msg }

var (
	errUnauthenticated = &floorError{http.StatusUnauthorized, "UNAUTHENTICATED", "sign in with a valid token"}
	errNotFound        = &floorError{http.StatusOK, "NOT_FOUND", "not found"}
)

func forbidden(msg string) error { return &floorError{http.StatusOK, "FORBIDDEN", msg} }

// ServeHTTP answers one request.
func (f *Floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/floor/")
	if !ok || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	var body struct {
		Variables map[string]any `json:"variables"`
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 100<<10))
	if err == nil {
		err = json.Unmarshal(raw, &body)
	}
	if err != nil {
		f.fail(w, &floorError{http.StatusBadRequest, "BAD_REQUEST", "the body is not JSON"})
		return
	}
	ctx := r.Context()
	s, err := f.signIn(ctx, r.Header.Get("Authorization"))
	if err != nil {
		f.fail(w, err)
		return
	}
	str := func(k string) string { v, _ := body.Variables[k].(string); return v }
	out := &jsonWriter{b: make([]byte, 0, 4096)}
	out.raw(`{"data":`)
	switch name {
	case "R1-case":
		err = f.oneCase(ctx, s, str("id"), out)
	case "R2-dashboard":
		err = f.dashboard(ctx, s, out)
	case "R3-metrics":
		err = f.metrics(ctx, s, str("id"), out)
	case "R4-comment":
		err = f.comment(ctx, s, str("id"), str("body"), out)
	case "R5-keyword":
		err = f.keyword(ctx, s, Keyword, out)
	case "R6-email", "R6-MAC", "R6-name":
		err = f.helpDesk(ctx, s, str("q"), out)
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		f.fail(w, err)
		return
	}
	out.raw("}")
	w.Header().Set("Content-Type", "application/json")
	w.Write(out.b)
}

func (f *Floor) fail(w http.ResponseWriter, err error) {
	var fe *floorError
	if !errors.As(err, &fe) {
		fe = &floorError{http.StatusInternalServerError, "INTERNAL", err.Error()}
	}
	out := &jsonWriter{}
	out.raw(`{"errors":[{"message":`)
	out.str(fe.msg)
	out.raw(`,"extensions":{"code":`)
	out.str(fe.code)
	out.raw(`}}],"data":null}`)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(fe.status)
	w.Write(out.b)
}

// session is a signed-in caller of the floor, as of one instant.
type session struct {
	now       time.Time
	tokenID   string
	name      string
	caller    access.Caller
	grants    []access.Grant
	shares    map[string]bool
	customers []string                  // reached at any level, in a stable order
	levels    map[string]access.Level   // the caller's level on each of them
	eras      map[string][][2]time.Time // when its partner held any approved grant on each
}

// lastUsedResolution is how often the server records a token's use.
const lastUsedResolution = time.Minute

// signIn reads the token, its contact and organisation in one statement
// and, for a partner, its grants in another.
func (f *Floor) signIn(ctx context.Context, authorization string) (*session, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errUnauthenticated
	}
	s := &session{now: f.clock.Now()}
	var lastUsed sql.NullTime
	var roles, status string
	err := f.queryRow(ctx, f.reader, `SELECT t.id, t.last_used_at, c.id, c.name, c.email, c.roles, c.status, c.organization_id, o.kind
		FROM access_tokens t JOIN contacts c ON c.id = t.contact_id JOIN organizations o ON o.id = c.organization_id
		WHERE t.token_hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)`,
		auth.Hash(strings.TrimSpace(token)), s.now).
		Scan(&s.tokenID, &lastUsed, &s.caller.ContactID, &s.name, &s.caller.Email, &roles, &status, &s.caller.OrgID, &s.caller.OrgKind)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	if status != "ACTIVE" {
		return nil, errUnauthenticated
	}
	s.caller.Active = true
	if err := json.Unmarshal([]byte(roles), &s.caller.Roles); err != nil {
		return nil, err
	}
	if !lastUsed.Valid || s.now.Sub(lastUsed.Time) >= lastUsedResolution {
		if err := f.exec(ctx, f.writer, `UPDATE access_tokens SET last_used_at = ? WHERE id = ?`, s.now, s.tokenID); err != nil {
			return nil, err
		}
	}
	if s.caller.OrgKind == access.Partner {
		if err := f.partnership(ctx, s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// partnership reads every grant the caller's partner had approved, with
// whether its customer shares its case history.
func (f *Floor) partnership(ctx context.Context, s *session) error {
	rows, err := f.query(ctx, f.reader, `SELECT g.id, g.customer_id, g.grantee_id, g.partner_domain, g.level,
		g.starts_at, g.expires_at, g.ended_at, o.share_case_history_with_partners
		FROM grants g JOIN organizations o ON o.id = g.customer_id
		WHERE g.partner_id = ? AND g.starts_at IS NOT NULL`, s.caller.OrgID)
	if err != nil {
		return err
	}
	defer rows.Close()
	s.shares = map[string]bool{}
	for rows.Next() {
		g := access.Grant{PartnerID: s.caller.OrgID, Approved: true}
		var grantee, domain sql.NullString
		var expires, ended sql.NullTime
		var shares bool
		if err := rows.Scan(&g.ID, &g.CustomerID, &grantee, &domain, &g.Level, &g.StartsAt, &expires, &ended, &shares); err != nil {
			return err
		}
		g.GranteeID, g.PartnerDomain, g.ExpiresAt = grantee.String, domain.String, expires.Time
		if ended.Valid {
			g.EndedAt = &ended.Time
		}
		s.grants = append(s.grants, g)
		s.shares[g.CustomerID] = shares
	}
	if err := rows.Err(); err != nil {
		return err
	}
	s.levels, s.eras = map[string]access.Level{}, map[string][][2]time.Time{}
	for _, g := range s.grants {
		end := g.ExpiresAt
		if g.EndedAt != nil && g.EndedAt.Before(end) {
			end = *g.EndedAt
		}
		if end.After(g.StartsAt) {
			s.eras[g.CustomerID] = append(s.eras[g.CustomerID], [2]time.Time{g.StartsAt, end})
		}
		if _, done := s.levels[g.CustomerID]; done {
			continue
		}
		if d := access.Effective(s.caller, g.CustomerID, s.grants, s.now); d.Level != "" {
			s.levels[g.CustomerID] = d.Level
			s.customers = append(s.customers, g.CustomerID)
		}
	}
	slices.Sort(s.customers)
	return nil
}

func (s *session) staff() bool { return s.caller.IsVendorStaff() }

func (s *session) decide(orgID string) access.Decision {
	return access.Effective(s.caller, orgID, s.grants, s.now)
}

// seen is the condition on cases (aliased c) the caller may see, and its
// arguments: the naive rendering, one branch per customer it reaches.
func (s *session) seen() (string, []any) {
	switch {
	case s.staff():
		return "1", nil
	case s.caller.OrgKind == access.Customer:
		return "c.customer_id = ?", []any{s.caller.OrgID}
	case s.caller.OrgKind != access.Partner || len(s.customers) == 0:
		return "0", nil
	}
	var b strings.Builder
	var args []any
	for i, customer := range s.customers {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(c.customer_id = ?")
		args = append(args, customer)
		if !s.shares[customer] {
			b.WriteString(" AND (")
			eras := s.eras[customer]
			if len(eras) == 0 {
				b.WriteString("0")
			}
			for j, e := range eras {
				if j > 0 {
					b.WriteString(" OR ")
				}
				b.WriteString("c.created_at >= ? AND c.created_at < ?")
				args = append(args, e[0], e[1])
			}
			b.WriteString(")")
		}
		if !s.levels[customer].AtLeast(access.Look) {
			b.WriteString(" AND c.id IN (SELECT support_case_id FROM support_case_collaborators WHERE contact_id = ?)")
			args = append(args, s.caller.ContactID)
		}
		b.WriteString(")")
	}
	return b.String(), args
}

// publicOnly narrows comments and events to PUBLIC ones for callers other
// than the vendor's staff.
func (s *session) publicOnly() string {
	if s.staff() {
		return ""
	}
	return " AND visibility = 'PUBLIC'"
}

// R1: one case with its first comments and events and their counts. The
// case is checked once; its comments and events are read by case.
func (f *Floor) oneCase(ctx context.Context, s *session, id string, out *jsonWriter) error {
	seen, args := s.seen()
	var number int64
	var title, status, severity string
	err := f.queryRow(ctx, f.reader, `SELECT c.number, c.title, c.status, c.severity FROM cases c WHERE c.id = ? AND (`+seen+`)`,
		append([]any{id}, args...)...).Scan(&number, &title, &status, &severity)
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	out.raw(`{"node":{"id":`)
	out.str(id)
	out.raw(`,"number":`)
	out.int(number)
	out.raw(`,"title":`)
	out.str(title)
	out.raw(`,"status":`)
	out.str(status)
	out.raw(`,"severity":`)
	out.str(severity)
	vis := s.publicOnly()

	var total int64
	if err := f.queryRow(ctx, f.reader, `SELECT count(*) FROM case_comments WHERE case_id = ?`+vis, id).Scan(&total); err != nil {
		return err
	}
	out.raw(`,"comments":{"totalCount":`)
	out.int(total)
	out.raw(`,"edges":[`)
	rows, err := f.query(ctx, f.reader, `SELECT m.id, m.body, m.created_at, a.name FROM case_comments m
		JOIN contacts a ON a.id = m.author_id WHERE m.case_id = ?`+strings.ReplaceAll(vis, "visibility", "m.visibility")+` ORDER BY m.id LIMIT 20`, id)
	if err != nil {
		return err
	}
	for n := 0; rows.Next(); n++ {
		var cid, body, author string
		var at time.Time
		if err := rows.Scan(&cid, &body, &at, &author); err != nil {
			rows.Close()
			return err
		}
		out.comma(n)
		out.raw(`{"node":{"id":`)
		out.str(cid)
		out.raw(`,"body":`)
		out.str(body)
		out.raw(`,"createdAt":`)
		out.time(at)
		out.raw(`,"author":{"name":`)
		out.str(author)
		out.raw(`}}}`)
	}
	if err := closeRows(rows); err != nil {
		return err
	}

	if err := f.queryRow(ctx, f.reader, `SELECT count(*) FROM case_events WHERE case_id = ?`+vis, id).Scan(&total); err != nil {
		return err
	}
	out.raw(`]},"events":{"totalCount":`)
	out.int(total)
	out.raw(`,"edges":[`)
	rows, err = f.query(ctx, f.reader, `SELECT id, kind, created_at FROM case_events WHERE case_id = ?`+vis+` ORDER BY id LIMIT 20`, id)
	if err != nil {
		return err
	}
	for n := 0; rows.Next(); n++ {
		var eid, kind string
		var at time.Time
		if err := rows.Scan(&eid, &kind, &at); err != nil {
			rows.Close()
			return err
		}
		out.comma(n)
		out.raw(`{"node":{"id":`)
		out.str(eid)
		out.raw(`,"kind":`)
		out.str(kind)
		out.raw(`,"createdAt":`)
		out.time(at)
		out.raw(`}}`)
	}
	if err := closeRows(rows); err != nil {
		return err
	}
	out.raw(`]}}}`)
	return nil
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}

// R2: My Cases, the latest update first, with the SLA state and customer.
func (f *Floor) dashboard(ctx context.Context, s *session, out *jsonWriter) error {
	seen, args := s.seen()
	var total int64
	if err := f.queryRow(ctx, f.reader, `SELECT count(*) FROM cases c WHERE `+seen, args...).Scan(&total); err != nil {
		return err
	}
	out.raw(`{"cases":{"totalCount":`)
	out.int(total)
	out.raw(`,"edges":[`)
	rows, err := f.query(ctx, f.reader, `SELECT c.id, c.number, c.title, c.status, c.severity, c.first_response_due_at,
		c.first_responded_at, c.closed_at, c.updated_at, o.name
		FROM cases c JOIN organizations o ON o.id = c.customer_id
		WHERE `+seen+` ORDER BY c.updated_at DESC, c.id ASC LIMIT 50`, args...)
	if err != nil {
		return err
	}
	for n := 0; rows.Next(); n++ {
		var k ent.SupportCase
		var responded, closed sql.NullTime
		var customer string
		if err := rows.Scan(&k.ID, &k.Number, &k.Title, &k.Status, &k.Severity, &k.FirstResponseDueAt,
			&responded, &closed, &k.UpdatedAt, &customer); err != nil {
			rows.Close()
			return err
		}
		if responded.Valid {
			k.FirstRespondedAt = &responded.Time
		}
		if closed.Valid {
			k.ClosedAt = &closed.Time
		}
		out.comma(n)
		out.raw(`{"node":{"id":`)
		out.str(k.ID)
		out.raw(`,"number":`)
		out.int(int64(k.Number))
		out.raw(`,"title":`)
		out.str(k.Title)
		out.raw(`,"status":`)
		out.str(string(k.Status))
		out.raw(`,"severity":`)
		out.str(string(k.Severity))
		out.raw(`,"slaState":`)
		out.str(string(cases.SLA(&k, s.now)))
		out.raw(`,"updatedAt":`)
		out.time(k.UpdatedAt)
		out.raw(`,"customer":{"name":`)
		out.str(customer)
		out.raw(`}}}`)
	}
	if err := closeRows(rows); err != nil {
		return err
	}
	out.raw(`]}}`)
	return nil
}

// R3: a customer's support dashboard over the cases the caller may see.
func (f *Floor) metrics(ctx context.Context, s *session, id string, out *jsonWriter) error {
	var kind string
	err := f.queryRow(ctx, f.reader, `SELECT kind FROM organizations WHERE id = ?`, id).Scan(&kind)
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	switch level := s.decide(id).Level; {
	case level == "":
		return errNotFound
	case !level.AtLeast(access.Look):
		return forbidden("this needs LOOK access to the organisation")
	}
	out.raw(`{"node":{"supportMetrics":`)
	if kind != string(access.Customer) {
		out.raw(`null}}`)
		return nil
	}
	seen, args := s.seen()
	where := ` FROM cases c WHERE c.customer_id = ? AND (` + seen + `)`
	own := append([]any{id}, args...)

	out.raw(`{"openBySeverity":[`)
	rows, err := f.query(ctx, f.reader, `SELECT c.severity, count(*)`+where+` AND c.status <> 'CLOSED' GROUP BY c.severity`, own...)
	if err != nil {
		return err
	}
	for n := 0; rows.Next(); n++ {
		var severity string
		var count int64
		if err := rows.Scan(&severity, &count); err != nil {
			rows.Close()
			return err
		}
		out.comma(n)
		out.raw(`{"severity":`)
		out.str(severity)
		out.raw(`,"count":`)
		out.int(count)
		out.raw(`}`)
	}
	if err := closeRows(rows); err != nil {
		return err
	}

	since := s.now.Add(-cases.MetricsWindow)
	var escalated, breaches, opened, closed, responded int64
	err = f.queryRow(ctx, f.reader, `SELECT
		COALESCE(SUM(CASE WHEN c.status <> 'CLOSED' AND c.escalated THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.status <> 'CLOSED' AND (c.first_responded_at > c.first_response_due_at OR c.first_responded_at IS NULL AND c.first_response_due_at <= ?) THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.created_at >= ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.status = 'CLOSED' AND c.closed_at >= ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.created_at >= ? AND c.first_responded_at IS NOT NULL THEN 1 ELSE 0 END), 0)`+where,
		append([]any{s.now, since, since, since}, own...)...).Scan(&escalated, &breaches, &opened, &closed, &responded)
	if err != nil {
		return err
	}
	out.raw(`],"escalated":`)
	out.int(escalated)
	out.raw(`,"slaBreaches":`)
	out.int(breaches)
	out.raw(`,"medianFirstResponseSeconds":`)
	if responded == 0 {
		out.raw("null")
	} else {
		// The one or two middle response times, in order.
		rows, err := f.query(ctx, f.reader, `SELECT (julianday(c.first_responded_at) - julianday(c.created_at)) * 86400 AS seconds`+where+
			` AND c.created_at >= ? AND c.first_responded_at IS NOT NULL ORDER BY seconds LIMIT ? OFFSET ?`,
			append(own, since, 2-responded%2, (responded-1)/2)...)
		if err != nil {
			return err
		}
		var sum float64
		var n int
		for rows.Next() {
			var v float64
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			sum, n = sum+v, n+1
		}
		if err := closeRows(rows); err != nil {
			return err
		}
		out.int(int64(sum/float64(max(n, 1)) + 0.5))
	}
	out.raw(`,"openedLast30Days":`)
	out.int(opened)
	out.raw(`,"closedLast30Days":`)
	out.int(closed)
	out.raw(`}}}`)
	return nil
}

// R4: a public comment on an open case the caller works, with its event
// and audit entry, in one transaction.
func (f *Floor) comment(ctx context.Context, s *session, caseID, body string, out *jsonWriter) error {
	body = strings.TrimSpace(body)
	if body == "" || utf8.RuneCountInString(body) > 50000 {
		return &floorError{http.StatusOK, "BAD_USER_INPUT", "a comment holds 1 to 50,000 characters"}
	}
	tx, err := f.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	seen, args := s.seen()
	var customer, status string
	var responded sql.NullTime
	err = f.queryRow(ctx, tx, `SELECT c.customer_id, c.status, c.first_responded_at FROM cases c WHERE c.id = ? AND (`+seen+`)`,
		append([]any{caseID}, args...)...).Scan(&customer, &status, &responded)
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	d := s.decide(customer)
	if !d.Level.AtLeast(access.Update) {
		return forbidden("this needs UPDATE access to the organisation")
	}
	if status == string(supportcase.StatusCLOSED) {
		return &floorError{http.StatusOK, "CONFLICT", "the case is closed; reopen it first"}
	}
	commentID := ids.New(ids.CaseComment)
	if err := f.exec(ctx, tx, `INSERT INTO case_comments (id, created_at, customer_id, body, visibility, author_id, case_id)
		VALUES (?, ?, ?, ?, 'PUBLIC', ?, ?)`, commentID, s.now, customer, body, s.caller.ContactID, caseID); err != nil {
		return err
	}
	// A vendor agent's first public answer is the first response.
	if !responded.Valid && s.caller.OrgKind == access.Vendor && s.caller.Has(access.RoleAgent) {
		err = f.exec(ctx, tx, `UPDATE cases SET updated_at = ?, first_responded_at = ? WHERE id = ?`, s.now, s.now, caseID)
	} else {
		err = f.exec(ctx, tx, `UPDATE cases SET updated_at = ? WHERE id = ?`, s.now, caseID)
	}
	if err != nil {
		return err
	}
	if err := f.exec(ctx, tx, `INSERT INTO case_events (id, created_at, customer_id, kind, changes, visibility, actor_id, comment_id, case_id)
		VALUES (?, ?, ?, 'COMMENTED', '[]', 'PUBLIC', ?, ?, ?)`, ids.New(ids.CaseEvent), s.now, customer, s.caller.ContactID, commentID, caseID); err != nil {
		return err
	}
	var level, grant any
	if d.Level != "" {
		level = string(d.Level)
	}
	if d.Grant != nil {
		grant = d.Grant.ID
	}
	if err := f.exec(ctx, tx, `INSERT INTO audit_entries (id, created_at, level, operation, object_type, object_id, changed_fields,
		request_id, actor_id, actor_organization_id, customer_id, grant_id)
		VALUES (?, ?, ?, 'addCaseComment', 'CaseComment', ?, '["input.body","input.caseID"]', ?, ?, ?, ?, ?)`,
		ids.New(ids.AuditEntry), s.now, level, commentID, requestID(), s.caller.ContactID, s.caller.OrgID, customer, grant); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	out.raw(`{"addCaseComment":{"comment":{"id":`)
	out.str(commentID)
	out.raw(`,"body":`)
	out.str(body)
	out.raw(`,"createdAt":`)
	out.time(s.now)
	out.raw(`,"author":{"name":`)
	out.str(s.name)
	out.raw(`}}}}`)
	return nil
}

// requestID tags the audit entry as the server's request IDs do.
func requestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// R5: My Cases matching a keyword through the full-text index.
func (f *Floor) keyword(ctx context.Context, s *session, keyword string, out *jsonWriter) error {
	match, err := casesearch.Match(keyword)
	if err != nil {
		return &floorError{http.StatusOK, "BAD_USER_INPUT", err.Error()}
	}
	seen, args := s.seen()
	where := ` FROM cases c WHERE (` + seen + `) AND c.number IN (SELECT docid FROM case_search WHERE case_search MATCH ?)`
	args = append(args, match.FTS4())
	var total int64
	if err := f.queryRow(ctx, f.reader, `SELECT count(*)`+where, args...).Scan(&total); err != nil {
		return err
	}
	out.raw(`{"cases":{"totalCount":`)
	out.int(total)
	out.raw(`,"edges":[`)
	rows, err := f.query(ctx, f.reader, `SELECT c.id, c.number, c.title, c.updated_at`+where+` ORDER BY c.updated_at DESC, c.id ASC LIMIT 20`, args...)
	if err != nil {
		return err
	}
	for n := 0; rows.Next(); n++ {
		var id, title string
		var number int64
		var updated time.Time
		if err := rows.Scan(&id, &number, &title, &updated); err != nil {
			rows.Close()
			return err
		}
		out.comma(n)
		out.raw(`{"node":{"id":`)
		out.str(id)
		out.raw(`,"number":`)
		out.int(number)
		out.raw(`,"title":`)
		out.str(title)
		out.raw(`,"updatedAt":`)
		out.time(updated)
		out.raw(`}}`)
	}
	if err := closeRows(rows); err != nil {
		return err
	}
	out.raw(`]}}`)
	return nil
}

// hit is one help-desk result.
type hit struct {
	typename   string
	id         string
	customerID string
	exact      bool
	matchedOn  helpdesk.MatchedOn
	name       string // what hits are ordered by among equals
	// The fields the request selects: a contact's name and email, a
	// device's model and MAC, an organisation's name, a number.
	fields [2]sql.NullString
}

// R6: the help desk's search over the customers in the caller's scope,
// exact matches first.
func (f *Floor) helpDesk(ctx context.Context, s *session, query string, out *jsonWriter) error {
	const first = 20
	q := strings.TrimSpace(query)
	if q == "" || len(q) > 200 {
		return &floorError{http.StatusOK, "BAD_USER_INPUT", "search for 1 to 200 characters"}
	}
	// The scope: every customer for the vendor's staff, those at LOOK or
	// higher for a partner's HELP_DESK contacts.
	var scope string
	var scopeArgs []any
	switch {
	case s.staff():
		scope = "IN (SELECT id FROM organizations WHERE kind = 'CUSTOMER')"
	case s.caller.OrgKind == access.Partner && s.caller.Has(access.RoleHelpDesk):
		for _, c := range s.customers {
			if s.levels[c].AtLeast(access.Look) {
				scopeArgs = append(scopeArgs, c)
			}
		}
		if len(scopeArgs) == 0 {
			out.raw(`{"helpDeskSearch":{"edges":[]}}`)
			return nil
		}
		scope = "IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(scopeArgs)), ", ") + ")"
	default:
		return forbidden("help-desk search is for partner contacts with the HELP_DESK role and the vendor's staff")
	}
	want := first + 1
	var hits []hit
	lookup := func(typename string, on helpdesk.MatchedOn, exact bool, q string, args ...any) error {
		rows, err := f.query(ctx, f.reader, q, append(args, append(scopeArgs, want)...)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			h := hit{typename: typename, matchedOn: on, exact: exact}
			if err := rows.Scan(&h.id, &h.customerID, &h.name, &h.fields[0], &h.fields[1]); err != nil {
				rows.Close()
				return err
			}
			hits = append(hits, h)
		}
		return closeRows(rows)
	}
	const (
		orgs     = `SELECT id, id, name, name, NULL FROM organizations WHERE `
		contacts = `SELECT id, organization_id, name, name, email FROM contacts WHERE `
		devices  = `SELECT id, organization_id, model, model, mac_address FROM devices WHERE third_party = 0 AND `
		numbers  = `SELECT id, organization_id, number, number, NULL FROM phone_numbers WHERE `
	)
	orgsIn, othersIn := ` AND id `+scope+` LIMIT ?`, ` AND organization_id `+scope+` LIMIT ?`
	var err error
	// The identifier forms, in the order the server tries them.
	switch prefix, isID := ids.Prefix(q); {
	case isID:
		switch prefix {
		case ids.Organization:
			err = lookup("Organization", helpdesk.OnID, true, orgs+`id = ?`+orgsIn, q)
		case ids.Contact:
			err = lookup("Contact", helpdesk.OnID, true, contacts+`id = ?`+othersIn, q)
		case ids.Device:
			err = lookup("Device", helpdesk.OnID, true, devices+`id = ?`+othersIn, q)
		case ids.PhoneNumber:
			err = lookup("PhoneNumber", helpdesk.OnID, true, numbers+`id = ?`+othersIn, q)
		}
	case strings.HasPrefix(strings.ToLower(q), "sip:"):
		if sip, serr := validate.SIP(q); serr == nil {
			err = lookup("Device", helpdesk.OnSIP, true, devices+`sip_address = ?`+othersIn, sip)
		}
	case strings.Contains(q, "@"):
		if email, eerr := validate.Email(q); eerr == nil {
			err = lookup("Contact", helpdesk.OnEmail, true, contacts+`email = ?`+othersIn, email)
		}
		if sip, serr := validate.SIP("sip:" + q); serr == nil && err == nil {
			err = lookup("Device", helpdesk.OnSIP, true, devices+`sip_address = ?`+othersIn, sip)
		}
	default:
		identifier := false
		if mac, merr := validate.MAC(q); merr == nil {
			identifier = true
			err = lookup("Device", helpdesk.OnMAC, true, devices+`mac_address = ?`+othersIn, mac)
		}
		if phone, perr := validate.Phone(q); perr == nil && err == nil {
			identifier = true
			err = errors.Join(
				lookup("PhoneNumber", helpdesk.OnPhone, true, numbers+`number = ?`+othersIn, phone),
				lookup("Device", helpdesk.OnPhone, true, devices+`phone_number = ?`+othersIn, phone),
				lookup("Contact", helpdesk.OnPhone, true, contacts+`phone = ?`+othersIn, phone))
		}
		// Names, domains and sites through the directory index, as
		// helpdesk/index.go keeps it.
		indexed := func(column string) string {
			return `id IN (SELECT id FROM directory_search WHERE ` + column + ` MATCH ?)`
		}
		query, merr := casesearch.Match(q)
		match := query.FTS4()
		if d, derr := validate.Domain(q); derr == nil && merr == nil && err == nil {
			identifier = true
			err = errors.Join(
				lookup("Organization", helpdesk.OnDomain, true, orgs+indexed("domains")+` AND EXISTS (SELECT 1 FROM json_each(domains) WHERE value = ?)`+orgsIn, match, d),
				lookup("Organization", helpdesk.OnSite, true, orgs+indexed("sites")+` AND EXISTS (SELECT 1 FROM json_each(sites) WHERE value = ?)`+orgsIn, match, d))
		}
		if !identifier && merr == nil && err == nil {
			err = errors.Join(
				lookup("Organization", helpdesk.OnName, false, orgs+indexed("name")+orgsIn, match),
				lookup("Contact", helpdesk.OnName, false, contacts+indexed("name")+othersIn, match))
			for i := range hits {
				hits[i].exact = strings.EqualFold(hits[i].name, q)
			}
		}
		if helpdesk.MayBeDomain(q) && merr == nil && err == nil {
			err = errors.Join(
				lookup("Organization", helpdesk.OnDomain, false, orgs+indexed("domains")+orgsIn, match),
				lookup("Organization", helpdesk.OnSite, false, orgs+indexed("sites")+orgsIn, match))
		}
	}
	if err != nil {
		return err
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		if a.exact != b.exact {
			if a.exact {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(strings.ToLower(a.name), strings.ToLower(b.name)), cmp.Compare(a.id, b.id))
	})
	seen := map[string]bool{}
	page := hits[:0]
	for _, h := range hits {
		if !seen[h.id] {
			seen[h.id] = true
			page = append(page, h)
		}
	}
	page = page[:min(len(page), first)]

	names := map[string]string{}
	if len(page) > 0 {
		var in []any
		for _, h := range page {
			in = append(in, h.customerID)
		}
		rows, err := f.query(ctx, f.reader, `SELECT id, name FROM organizations WHERE id IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(in)), ", ")+`)`, in...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return err
			}
			names[id] = name
		}
		if err := closeRows(rows); err != nil {
			return err
		}
	}
	out.raw(`{"helpDeskSearch":{"edges":[`)
	for n, h := range page {
		out.comma(n)
		out.raw(`{"node":{"exact":`)
		out.bool(h.exact)
		out.raw(`,"matchedOn":`)
		out.str(string(h.matchedOn))
		out.raw(`,"customer":{"name":`)
		out.str(names[h.customerID])
		out.raw(`},"node":{"__typename":`)
		out.str(h.typename)
		out.raw(`,"id":`)
		out.str(h.id)
		switch h.typename {
		case "Contact":
			out.raw(`,"name":`)
			out.nullStr(h.fields[0])
			out.raw(`,"email":`)
			out.nullStr(h.fields[1])
		case "Device":
			out.raw(`,"model":`)
			out.nullStr(h.fields[0])
			out.raw(`,"macAddress":`)
			out.nullStr(h.fields[1])
		case "Organization":
			out.raw(`,"name":`)
			out.nullStr(h.fields[0])
		case "PhoneNumber":
			out.raw(`,"number":`)
			out.nullStr(h.fields[0])
		}
		out.raw(`}}}`)
	}
	out.raw(`]}}`)
	return nil
}

// jsonWriter writes JSON as the server's response ends up on the wire:
// gqlgen's encoding of values (graphql.MarshalString, MarshalTime), then
// encoding/json's compaction of the data with HTML escaping, which
// gqlgen's transports apply when they marshal the response.
type jsonWriter struct{ b []byte }

func (w *jsonWriter) raw(s string) { w.b = append(w.b, s...) }

func (w *jsonWriter) comma(n int) {
	if n > 0 {
		w.b = append(w.b, ',')
	}
}

func (w *jsonWriter) int(n int64) { w.b = strconv.AppendInt(w.b, n, 10) }

func (w *jsonWriter) bool(v bool) { w.b = strconv.AppendBool(w.b, v) }

// time writes t as graphql.MarshalTime does: RFC 3339 with nanoseconds,
// null for the zero time.
func (w *jsonWriter) time(t time.Time) {
	if t.IsZero() {
		w.raw("null")
		return
	}
	w.b = append(w.b, '"')
	w.b = t.AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
}

func (w *jsonWriter) nullStr(s sql.NullString) {
	if !s.Valid {
		w.raw("null")
		return
	}
	w.str(s.String)
}

const upperHex, lowerHex = "0123456789ABCDEF", "0123456789abcdef"

// str writes a quoted string: control characters, quotes and backslashes
// escaped as gqlgen escapes them, then <, >, & and the line and paragraph
// separators as encoding/json escapes them.
func (w *jsonWriter) str(s string) {
	w.b = append(w.b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc []byte
		size := 1
		switch {
		case c == '\t':
			esc = []byte(`\t`)
		case c == '\r':
			esc = []byte(`\r`)
		case c == '\n':
			esc = []byte(`\n`)
		case c == '\\':
			esc = []byte(`\\`)
		case c == '"':
			esc = []byte(`\"`)
		case c < 0x20:
			esc = []byte{'\\', 'u', '0', '0', upperHex[c>>4], upperHex[c&0xF]}
		case c == '<' || c == '>' || c == '&':
			esc = []byte{'\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xF]}
		case c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && s[i+2]&^1 == 0xA8:
			esc, size = []byte{'\\', 'u', '2', '0', '2', lowerHex[s[i+2]&0xF]}, 3
		}
		if esc != nil {
			w.b = append(w.b, s[start:i]...)
			w.b = append(w.b, esc...)
			start = i + size
		}
		i += size
	}
	w.b = append(w.b, s[start:]...)
	w.b = append(w.b, '"')
}

// String returns what was written, for tests.
func (w *jsonWriter) String() string { return string(w.b) }
