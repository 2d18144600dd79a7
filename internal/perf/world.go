// Package perf is the performance harness of issue 11: a generator of
// benchmark worlds (a vendor, partners, thousands of customers and up to
// 200,000 cases with their history), the six requests the issue measures,
// and a hand-written floor that answers them over the same SQLite file
// with naive SQL and the same bytes, so that every ratio is measured in
// one run (perf_test.go).
package perf

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/app"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/casesearch"
	"github.com/partnerdesk/partnerdesk/ids"
	"github.com/partnerdesk/partnerdesk/store"
)

// GeneratorVersion names the shape of the worlds this file builds. Bump it
// whenever the generator changes what it writes, so that cached worlds
// are built again.
const GeneratorVersion = 1

// cacheMaxAge bounds how old a cached world may be: every instant in it is
// relative to when it was built (grant expiries, "the last 30 days"), so an
// old one drifts away from the shape it had.
const cacheMaxAge = 3 * 24 * time.Hour

// Size is how big a world is. Comments and events are targets: the
// generator draws each case's history, so the counts land near them.
type Size struct {
	Name         string
	Customers    int
	Contacts     int
	Devices      int
	PhoneNumbers int
	Cases        int
	Comments     int // about
	Events       int // about
	// Cached worlds are kept under os.TempDir() between runs.
	Cached bool
}

// The sizes of issue 11: Large is its world, Small a tenth of it, Tiny a
// few hundred cases for tests (never cached). The partner's 50 customers
// are the same shape at every size, so what it may see stays about the
// same while the rest of the world grows.
var (
	Large = Size{Name: "Large", Customers: 2000, Contacts: 50_000, Devices: 100_000, PhoneNumbers: 40_000,
		Cases: 200_000, Comments: 460_000, Events: 1_000_000, Cached: true}
	Small = Size{Name: "Small", Customers: 200, Contacts: 5_000, Devices: 10_000, PhoneNumbers: 4_000,
		Cases: 20_000, Comments: 46_000, Events: 100_000, Cached: true}
	Tiny = Size{Name: "Tiny", Customers: 60, Contacts: 1_200, Devices: 1_200, PhoneNumbers: 600,
		Cases: 480, Comments: 1_100, Events: 2_400}
)

// World is a generated database and what a benchmark needs to know of it.
type World struct {
	Size Size
	// Path is the SQLite file.
	Path string
	// BuiltAt is the instant every time in the world is relative to.
	BuiltAt time.Time
	// BuildTime is how long generating the world took.
	BuildTime time.Duration
	// FromCache is true when Open copied a world built earlier.
	FromCache bool `json:"-"`
	// Counts holds the rows of each table, and "keyword" the cases the
	// keyword of R5 matches.
	Counts map[string]int

	// The callers: a Contoso contact with ADMIN and HELP_DESK, and a
	// vendor AGENT; their bearer tokens.
	PartnerToken     string
	PartnerContactID string
	PartnerID        string
	VendorToken      string
	VendorContactID  string
	VendorID         string

	// CaseID is a case the partner sees at UPDATE, with at least 20
	// comments (some INTERNAL) and 20 events: R1.
	CaseID string
	// CommentCaseID is an open case the partner works at UPDATE: R4.
	CommentCaseID string
	// MetricsCustomerID is a customer the partner has UPDATE on, in its
	// second era there: R3.
	MetricsCustomerID string
	// HiddenCaseID is a case of that customer created between the
	// partner's two eras, which the partner may not see.
	HiddenCaseID string
	// CollaborationCaseID is a case of a customer where the partner
	// caller holds an individual CC grant and collaborates on the case.
	CollaborationCaseID string
	// The help-desk lookups (R6): an email as a person might type it, a
	// MAC in another notation than the stored one, and part of a name.
	// Each finds something in the partner's scope; the name finds more
	// for the vendor, but fewer than a page.
	HelpDeskEmail string
	HelpDeskMAC   string
	HelpDeskName  string
}

// Keyword is what R5 searches for.
const Keyword = "printer reboot"

// Open returns a world of the given size in a file of its own under dir.
// Cached sizes are built once and copied for each caller, so that runs
// start equal; others are built in dir.
func Open(ctx context.Context, size Size, dir string) (*World, error) {
	path := filepath.Join(dir, "world-"+strings.ToLower(size.Name)+".db")
	if !size.Cached {
		return Build(ctx, size, path)
	}
	fingerprint, err := schemaFingerprint(ctx)
	if err != nil {
		return nil, err
	}
	cache := filepath.Join(os.TempDir(), fmt.Sprintf("partnerdesk-perf-%s-v%d-%s.db", strings.ToLower(size.Name), GeneratorVersion, fingerprint))
	w, err := readCached(cache)
	if err == nil {
		w.FromCache = true
	} else {
		removeStale(size)
		tmp := fmt.Sprintf("%s.%d.tmp", cache, os.Getpid())
		if w, err = Build(ctx, size, tmp); err != nil {
			removeDB(tmp)
			return nil, err
		}
		w.Path = "" // each caller gets a copy of its own
		meta, err := json.Marshal(w)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(tmp+".json", meta, 0o600); err != nil {
			return nil, err
		}
		// The database first: a meta file names a complete database.
		if err := os.Rename(tmp, cache); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp+".json", cache+".json"); err != nil {
			return nil, err
		}
	}
	if err := copyFile(cache, path); err != nil {
		return nil, fmt.Errorf("copying the cached world: %w", err)
	}
	w.Path = path
	return w, nil
}

// removeStale removes the cached worlds of a size that are too old to be
// used, whatever schema they were built for: each is a large file.
func removeStale(size Size) {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), fmt.Sprintf("partnerdesk-perf-%s-v*.db", strings.ToLower(size.Name))))
	for _, path := range old {
		if info, err := os.Stat(path); err == nil && time.Since(info.ModTime()) > cacheMaxAge {
			removeDB(path)
		}
	}
}

func readCached(path string) (*World, error) {
	meta, err := os.ReadFile(path + ".json")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	var w World
	if err := json.Unmarshal(meta, &w); err != nil {
		return nil, err
	}
	if time.Since(w.BuiltAt) > cacheMaxAge {
		return nil, errors.New("the cached world is too old")
	}
	return &w, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func removeDB(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", ".json"} {
		os.Remove(path + suffix)
	}
}

// schemaFingerprint digests the schema the server gives an empty
// database (tables, indexes and triggers, whatever adds them), so that a
// cached world built before a schema change (a new index, a column the
// server fills on write) is not reused.
func schemaFingerprint(ctx context.Context) (string, error) {
	dir, err := os.MkdirTemp("", "partnerdesk-perf-schema-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	db, err := app.Open(ctx, filepath.Join(dir, "schema.db"), store.Options{}, nil)
	if err != nil {
		return "", err
	}
	defer db.Close()
	rows, err := db.Writer().QueryContext(ctx, "SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	h := sha256.New()
	for rows.Next() {
		var typ, name, def string
		if err := rows.Scan(&typ, &name, &def); err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %s %s\n", typ, name, def)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// Build generates a world of the given size into a new SQLite file at
// path. The store is opened as the server opens it (migrations, the
// full-text index and its triggers); the rows are then written with plain
// SQL in one large transaction, which takes seconds where the API would take
// hours. The full-text triggers are dropped for the bulk load and
// casesearch.Install puts them back, indexing every case in one pass, as
// it does for a database that existed before the index.
func Build(ctx context.Context, size Size, path string) (*World, error) {
	start := time.Now()
	removeDB(path)
	db, err := app.Open(ctx, path, store.Options{}, nil)
	if err != nil {
		return nil, err
	}
	g := newGenerator(size, time.Now().UTC())
	if err := g.write(ctx, db.Writer()); err != nil {
		db.Close()
		return nil, fmt.Errorf("generating the %s world: %w", size.Name, err)
	}
	if err := casesearch.Install(ctx, db.Dialect, db.Writer()); err != nil {
		db.Close()
		return nil, err
	}
	// Merge the index's segments into one. Install's backfill leaves
	// large segments that the next few hundred writes would merge, a
	// stall of a second or so that would fall on whichever side of the
	// benchmark happened to write then.
	if _, err := db.Writer().ExecContext(ctx, "INSERT INTO "+casesearch.Table+"("+casesearch.Table+") VALUES ('optimize')"); err != nil {
		db.Close()
		return nil, err
	}
	// Open it again as the server would: what the store derives at
	// start-up for rows written outside the ent client (the full-text
	// index, the partner eras stamped on cases) is then in the file, and
	// not redone by every run that copies it.
	if err := db.Close(); err != nil {
		return nil, err
	}
	if db, err = app.Open(ctx, path, store.Options{}, nil); err != nil {
		return nil, err
	}
	w := g.world
	w.Path = path
	if w.Counts, err = count(ctx, db.Writer()); err != nil {
		db.Close()
		return nil, err
	}
	// Leave one self-contained file behind, to be copied.
	if _, err := db.Writer().ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	w.BuildTime = time.Since(start)
	return w, nil
}

// count reads the rows of every table the world fills.
func count(ctx context.Context, db *sql.DB) (map[string]int, error) {
	out := map[string]int{}
	tables := []string{"organizations", "contacts", "devices", "phone_numbers", "grants", "cases",
		"support_case_collaborators", "case_comments", "case_events", "access_tokens"}
	// Tables the store derives from those, where the schema has them.
	for _, t := range []string{"support_case_era_partners"} {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", t).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			tables = append(tables, t)
		}
	}
	for _, t := range tables {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	match, err := casesearch.Match(Keyword)
	if err != nil {
		return nil, err
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM case_search WHERE case_search MATCH ?", match.FTS4()).Scan(&n); err != nil {
		return nil, err
	}
	out["keyword"] = n
	return out, nil
}

// Vocabularies. Nothing outside subjects and troubles contains a word
// starting with "printer" or "reboot", so that the keyword of R5 matches
// printer cases with a reboot trouble only: 20% × 30% = 6% of cases.
var (
	firstNames = []string{"Ada", "Ben", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
		"Kai", "Lena", "Mateo", "Nadia", "Oskar", "Priyanka", "Quentin", "Rosa", "Sven", "Tomasz", "Uma", "Viktor",
		"Wanda", "Xavier", "Yara", "Zoë", "Łukasz", "Søren", "Amélie", "José", "Chloé", "Ngozi", "Aroha", "Mei",
		"Omar", "Pilar", "Rafael", "Sana", "Tariq", "Ulla", "Vera", "Wim", "Yusuf", "Zainab", "Björn", "Dagny"}
	lastNames = []string{"Anders", "Baker", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Haddad",
		"Ivanova", "Jensen", "Kim", "Lindqvist", "Müller", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi",
		"Schmidt", "Tanaka", "Urbina", "Vogel", "Walsh", "Xu", "Yilmaz", "Zieliński", "O'Brien", "Nowak",
		"Da Silva", "van Dijk", "Ahmed", "Brennan", "Chen", "Dvořák", "Esposito", "Ferreira", "Gruber", "Horvath"}
	orgWords1 = []string{"Blue", "North", "Silver", "Bright", "Cedar", "Harbor", "Granite", "Summit", "River",
		"Maple", "Copper", "Iron", "Coral", "Falcon", "Aurora", "Pioneer", "Atlas", "Beacon", "Crescent", "Delta"}
	orgWords2 = []string{"Logistics", "Foods", "Clinics", "Legal", "Media", "Hotels", "Motors", "Energy",
		"Textiles", "Robotics", "Pharma", "Insurance", "Airways", "Dental", "Schools", "Bakery", "Studios",
		"Marine", "Farms", "Analytics"}
	orgWords3 = []string{"", " Group", " & Co", " GmbH", " Sp. z o.o.", " KK", " Ltd", " SA", " Inc", " AB"}
	subjects  = []string{"phone", "headset", "room system", "voicemail", "auto attendant", "call queue",
		"license", "firmware", "portal", "softphone", "DECT base", "door intercom", "fax line", "hunt group"}
	troubles = []string{"drops calls", "shows no dial tone", "fails to register", "is very slow",
		"rejects my password", "plays static", "cannot be found", "loses its settings", "echoes", "freezes"}
	reboots = []string{"keeps rebooting", "reboots every hour", "rebooted itself overnight"}
	places  = []string{"in Warsaw", "in the Osaka office", "at reception", "on floor 3", "for the sales team",
		"since the upgrade", "every morning", "after lunch", "at the branch", "for remote staff"}
	fillers = strings.Fields(`the a our we users customer staff reported that it is was when after before and
or but with without from to in on at for of this since still again now also please urgent today yesterday
several some all team office site new old second first line call calls message messages screen shows noticed
seems cannot unable working works tried restart restarted replaced checked logs attached see ticket vendor`)
	extras = []string{`The display reads "ERR 42" & nothing else.`, "Steps:\n1. unplug\n2. wait\n3. plug in",
		"Path is C:\\Program Files\\Softphone\\log.txt", "Error <timeout> after 30s", "Zażółć gęślą jaźń — działa?",
		"会議室の電話が使えません。", "Tab\tseparated\tvalues", "Emoji check 📞✅", "50% of calls fail; the rest are fine."}
	models   = []string{"Desk Pro", "Desk Mini", "Room Kit", "Board 55", "8865", "8845", "DECT 6825", "ATA 192", "Room Bar"}
	products = []string{"Calling", "Meetings", "Contact Center", "Devices", "Messaging"}
	cats     = []string{"Configuration", "Outage", "Billing", "Hardware", "Quality", "Access"}
	zones    = []string{"UTC", "Europe/Warsaw", "Asia/Tokyo", "America/New_York", "Europe/London", "Australia/Sydney"}
	locales  = []string{"en-US", "en-GB", "pl-PL", "ja-JP", "de-DE", "fr-FR"}
)

// The planted help-desk name: contacts named Kowalczyk in the partner's
// scope and outside it, and one customer. No generated name has a word
// that starts with it.
const plantedName = "Kowalczyk"

type contactRef struct {
	id, name, email string
}

type partnerRef struct {
	id, name string
	domains  []string
	admin    contactRef
	contacts []contactRef
}

// holding is a span during which a partner held an approved grant on a
// customer.
type holding struct {
	partner  *partnerRef
	from, to time.Time
}

// contoso's relation to a customer: which of the shapes it has.
type shape int

const (
	notContoso shape = iota
	plain            // one active organisation grant, LOOK or UPDATE
	twoEras          // an earlier grant that ended, another partner in between, an active one
	ccGrant          // an organisation grant, and an individual CC grant for the caller
	sharing          // a recent grant; the customer shares its case history
)

type customerRef struct {
	id, name, domain string
	premium          bool
	shape            shape
	level            access.Level // Contoso's organisation grant
	contacts         []contactRef
	admin, manager   contactRef
	holdings         []holding
}

// caseSpec is a case to write; planted cases say what they are for.
type caseSpec struct {
	customer *customerRef
	created  time.Time
	plant    plantKind
}

type plantKind int

const (
	random plantKind = iota
	plantFocus
	plantComment
	plantHidden
	plantCollaboration
)

type generator struct {
	r     *rand.Rand
	now   time.Time
	size  Size
	world *World
	err   error

	vendorID  string
	agents    []contactRef
	contoso   *partnerRef
	caller    contactRef
	partners  []*partnerRef // contoso first
	customers []*customerRef
	contosoOf []*customerRef // its 50 customers, in the order of their shapes
}

func newGenerator(size Size, now time.Time) *generator {
	return &generator{r: rand.New(rand.NewPCG(11, uint64(size.Cases))), now: now, size: size,
		world: &World{Size: size, BuiltAt: now}}
}

func (g *generator) days(d float64) time.Duration { return time.Duration(d * 24 * float64(time.Hour)) }

// between draws an instant in [from, to).
func (g *generator) between(from, to time.Time) time.Time {
	if !to.After(from) {
		return from
	}
	return from.Add(time.Duration(g.r.Int64N(int64(to.Sub(from)))))
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain values are marshalled here
	}
	return string(b)
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
		}
	}
	return strings.Trim(b.String(), "-")
}

// write fills the database through the writer connection.
func (g *generator) write(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The file is thrown away if the build fails, so it need not survive
	// a power cut while it is written; the server's own settings apply
	// again when it is opened.
	for _, p := range []string{"PRAGMA synchronous = OFF", "PRAGMA cache_size = -400000"} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return err
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, trigger := range []string{"case_search_case_insert", "case_search_case_update", "case_search_comment_insert"} {
		if _, err := tx.ExecContext(ctx, "DROP TRIGGER IF EXISTS "+trigger); err != nil {
			return err
		}
	}
	g.organizations(ctx, tx)
	g.people(ctx, tx)
	g.equipment(ctx, tx)
	g.grants(ctx, tx)
	g.tokens(ctx, tx)
	g.cases(ctx, tx)
	if g.err != nil {
		return g.err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "PRAGMA synchronous = FULL")
	return err
}

func (g *generator) fail(err error) {
	if err != nil && g.err == nil {
		g.err = err
	}
}

// bulk inserts rows many to a statement, through one prepared statement.
type bulk struct {
	g     *generator
	ctx   context.Context
	tx    *sql.Tx
	head  string
	ncol  int
	per   int
	stmt  *sql.Stmt
	buf   []any
	stmts map[int]*sql.Stmt
	// deps are the bulks of the rows this one's rows refer to: they are
	// flushed first, as foreign keys are checked at once.
	deps []*bulk
}

func (g *generator) bulk(ctx context.Context, tx *sql.Tx, table string, cols ...string) *bulk {
	per := max(1, min(200, 30000/len(cols)))
	return &bulk{g: g, ctx: ctx, tx: tx, ncol: len(cols), per: per,
		head:  "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ",
		stmts: map[int]*sql.Stmt{}}
}

func (b *bulk) statement(rows int) (*sql.Stmt, error) {
	if s, ok := b.stmts[rows]; ok {
		return s, nil
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", b.ncol), ", ") + ")"
	s, err := b.tx.PrepareContext(b.ctx, b.head+strings.TrimSuffix(strings.Repeat(row+", ", rows), ", "))
	if err != nil {
		return nil, err
	}
	b.stmts[rows] = s
	return s, nil
}

func (b *bulk) add(vals ...any) {
	if len(vals) != b.ncol {
		panic(fmt.Sprintf("perf: %d values for %d columns: %s", len(vals), b.ncol, b.head))
	}
	b.buf = append(b.buf, vals...)
	if len(b.buf) == b.per*b.ncol {
		b.flush()
	}
}

func (b *bulk) flush() {
	for _, d := range b.deps {
		d.flush()
	}
	if len(b.buf) == 0 || b.g.err != nil {
		b.buf = b.buf[:0]
		return
	}
	s, err := b.statement(len(b.buf) / b.ncol)
	if err == nil {
		_, err = s.ExecContext(b.ctx, b.buf...)
	}
	if err != nil {
		b.g.fail(fmt.Errorf("%s…: %w", b.head[:min(len(b.head), 40)], err))
	}
	b.buf = b.buf[:0]
}

func (b *bulk) close() {
	b.flush()
	for _, s := range b.stmts {
		s.Close()
	}
}

func (g *generator) organizations(ctx context.Context, tx *sql.Tx) {
	orgs := g.bulk(ctx, tx, "organizations", "id", "created_at", "kind", "name", "domains", "sites",
		"support_plan", "licenses", "share_case_history_with_partners")
	defer orgs.close()
	founded := g.now.Add(-g.days(900))
	g.vendorID = ids.New(ids.Organization)
	g.world.VendorID = g.vendorID
	orgs.add(g.vendorID, founded, access.Vendor, "Northwind Support", `["northwind.example"]`, `[]`, nil, `[]`, false)

	for i, name := range []string{"Contoso", "Fabrikam", "Litware", "Tailspin Toys", "Wingtip", "Adventure Works",
		"Proseware", "Woodgrove", "Lucerne Publishing", "Coho Winery"} {
		p := &partnerRef{id: ids.New(ids.Organization), name: name, domains: []string{slug(name) + ".example"}}
		if i == 0 {
			p.domains = append(p.domains, "contoso-msp.example")
			g.contoso = p
			g.world.PartnerID = p.id
		}
		g.partners = append(g.partners, p)
		orgs.add(p.id, founded, access.Partner, name, jsonText(p.domains), `[]`, nil, `[]`, false)
	}

	// Unique names: the i-th combination of the three word lists, in an
	// order shuffled once.
	combos := len(orgWords1) * len(orgWords2) * len(orgWords3)
	order := g.r.Perm(combos)
	for i := range g.size.Customers {
		k := order[i%combos]
		name := orgWords1[k%len(orgWords1)] + " " + orgWords2[k/len(orgWords1)%len(orgWords2)] + orgWords3[k/len(orgWords1)/len(orgWords2)]
		if i >= combos {
			name += fmt.Sprintf(" %d", i/combos+1)
		}
		c := &customerRef{id: ids.New(ids.Organization), name: name, premium: g.r.IntN(2) == 0}
		c.domain = slug(name) + ".example"
		g.customers = append(g.customers, c)
	}
	// One customer outside the partner's reach is named like the planted
	// contacts, so that a name search finds an organisation too.
	outside := g.customers[len(g.customers)-1]
	outside.name, outside.domain = plantedName+" Transport", "kowalczyk-transport.example"

	// Contoso's 50 customers and their shapes.
	perm := g.r.Perm(len(g.customers) - 1) // never the planted organisation
	for i, idx := range perm[:50] {
		c := g.customers[idx]
		switch {
		case i < 5:
			c.shape, c.level = ccGrant, access.Look
		case i < 15:
			c.shape, c.level = twoEras, []access.Level{access.Look, access.Update}[i%2]
		case i < 18:
			c.shape, c.level = sharing, access.Look
		default:
			c.shape, c.level = plain, access.Look
			if i%5 < 3 {
				c.level = access.Update
			}
		}
		g.contosoOf = append(g.contosoOf, c)
	}
	for _, c := range g.customers {
		plan := "STANDARD"
		if c.premium {
			plan = "PREMIUM"
		}
		licenses := jsonText([]map[string]any{
			{"product": pick(g.r, products), "quantity": 10 + g.r.IntN(500), "expiresAt": g.now.Add(g.days(float64(30 + g.r.IntN(700))))},
			{"product": pick(g.r, products), "quantity": 1 + g.r.IntN(50)},
		})
		orgs.add(c.id, g.between(founded, g.now.Add(-g.days(740))), access.Customer, c.name, jsonText([]string{c.domain}),
			jsonText([]string{strings.TrimSuffix(c.domain, ".example") + ".webex.example"}), plan, licenses, c.shape == sharing)
	}
}

// people writes the contacts: vendor agents, partner staff and every
// customer's people (an admin, a contact manager, designated contacts and
// members).
func (g *generator) people(ctx context.Context, tx *sql.Tx) {
	contacts := g.bulk(ctx, tx, "contacts", "id", "created_at", "name", "email", "phone", "roles", "timezone",
		"locale", "status", "last_email_status", "features", "organization_id")
	defer contacts.close()
	seq := 0
	add := func(orgID, domain, name string, roles []access.Role, status string) contactRef {
		seq++
		local := slug(strings.ReplaceAll(name, " ", "."))
		if local == "" {
			local = "contact"
		}
		c := contactRef{id: ids.New(ids.Contact), name: name, email: fmt.Sprintf("%s.%d@%s", local, seq, domain)}
		var phone any
		if g.r.IntN(10) < 7 {
			phone = fmt.Sprintf("+4420%08d", g.r.IntN(100_000_000))
		}
		if roles == nil {
			roles = []access.Role{}
		}
		mail := []string{"NONE", "NONE", "DELIVERED", "DELIVERED", "DELIVERED", "BOUNCED", "SUPPRESSED"}
		contacts.add(c.id, g.now.Add(-g.days(800+g.r.Float64()*50)), name, c.email, phone, jsonText(roles),
			pick(g.r, zones), pick(g.r, locales), status, pick(g.r, mail), `[]`, orgID)
		return c
	}
	name := func() string { return pick(g.r, firstNames) + " " + pick(g.r, lastNames) }

	for range max(3, g.size.Customers/100) {
		g.agents = append(g.agents, add(g.vendorID, "northwind.example", name(), []access.Role{access.RoleAgent}, "ACTIVE"))
	}
	g.caller = add(g.contoso.id, "contoso.example", "Priya Raman", []access.Role{access.RoleAdmin, access.RoleHelpDesk}, "ACTIVE")
	g.world.PartnerContactID = g.caller.id
	g.contoso.admin = g.caller
	g.contoso.contacts = append(g.contoso.contacts, g.caller)
	for i := range 29 {
		roles := []access.Role{}
		if i%3 == 0 {
			roles = append(roles, access.RoleHelpDesk)
		}
		domain := "contoso.example"
		if i%5 == 0 {
			domain = "contoso-msp.example"
		}
		g.contoso.contacts = append(g.contoso.contacts, add(g.contoso.id, domain, name(), roles, "ACTIVE"))
	}
	for _, p := range g.partners[1:] {
		p.admin = add(p.id, p.domains[0], name(), []access.Role{access.RoleAdmin, access.RoleHelpDesk}, "ACTIVE")
		p.contacts = append(p.contacts, p.admin)
		for range 9 {
			p.contacts = append(p.contacts, add(p.id, p.domains[0], name(), []access.Role{}, "ACTIVE"))
		}
	}
	staff := seq
	perCustomer := max(4, (g.size.Contacts-staff)/len(g.customers))
	extra := (g.size.Contacts - staff) - perCustomer*len(g.customers)
	for i, c := range g.customers {
		n := perCustomer
		if i < extra {
			n++
		}
		for j := range n {
			var roles []access.Role
			switch {
			case j == 0:
				roles = []access.Role{access.RoleAdmin}
			case j == 1:
				roles = []access.Role{access.RoleContactManager}
			case j == 2 || g.r.IntN(20) == 0:
				roles = []access.Role{access.RoleDesignated}
			}
			status := "ACTIVE"
			if j > 2 {
				status = pick(g.r, []string{"ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "INVITED", "SUSPENDED", "DEACTIVATED"})
			}
			who := name()
			ref := add(c.id, c.domain, who, roles, status)
			switch {
			case j == 0:
				c.admin = ref
			case j == 1:
				c.manager = ref
			}
			if status == "ACTIVE" {
				c.contacts = append(c.contacts, ref)
			}
		}
	}
	// The planted name: three contacts in the partner's help-desk scope,
	// three elsewhere.
	planted := 0
	for _, c := range slices.Concat(g.contosoOf[18:], g.customers) {
		if planted == 6 {
			break
		}
		if planted < 3 && c.shape != plain || planted >= 3 && c.shape != notContoso {
			continue
		}
		first := []string{"Agnieszka", "Marek", "Zofia", "Piotr", "Ewa", "Jan"}[planted]
		c.contacts = append(c.contacts, add(c.id, c.domain, first+" "+plantedName, nil, "ACTIVE"))
		planted++
	}
	g.world.HelpDeskName = "kowalcz" // the start of a word, in another case
	// The email: a member of a plain customer, typed in another case.
	target := g.contosoOf[18].contacts[len(g.contosoOf[18].contacts)/2]
	g.world.HelpDeskEmail = strings.ToUpper(target.email[:1]) + target.email[1:]
}

// equipment writes devices and phone numbers.
func (g *generator) equipment(ctx context.Context, tx *sql.Tx) {
	devices := g.bulk(ctx, tx, "devices", "id", "created_at", "model", "mac_address", "phone_number", "sip_address",
		"third_party", "status", "last_seen_at", "owner_id", "organization_id")
	numbers := g.bulk(ctx, tx, "phone_numbers", "id", "created_at", "number", "kind", "state", "device_id",
		"organization_id", "contact_id")
	numbers.deps = []*bulk{devices}
	defer numbers.close()
	defer devices.close()
	type dev struct{ id, org string }
	var all []dev
	macTarget := g.contosoOf[19]
	for i := range g.size.Devices {
		c := g.customers[i%len(g.customers)]
		id := ids.New(ids.Device)
		// A bijection of the index onto 40 bits: unique MACs that look random.
		x := (uint64(i)*0x9E3779B97F + 0x5A5A5A5A5) & (1<<40 - 1)
		mac := fmt.Sprintf("AC:%02X:%02X:%02X:%02X:%02X", byte(x>>32), byte(x>>24), byte(x>>16), byte(x>>8), byte(x))
		var phone, sip, owner, seen any
		if g.r.IntN(10) < 4 {
			phone = fmt.Sprintf("+4420%08d", g.r.IntN(100_000_000))
		}
		if g.r.IntN(2) == 0 {
			sip = fmt.Sprintf("sip:dev%d@%s", i, strings.TrimSuffix(c.domain, ".example")+".webex.example")
		}
		if len(c.contacts) > 0 && g.r.IntN(10) < 6 {
			owner = pick(g.r, c.contacts).id
		}
		third := g.r.IntN(20) == 0
		status := pick(g.r, []string{"ONLINE", "ONLINE", "OFFLINE", "UNREGISTERED"})
		if status != "UNREGISTERED" {
			seen = g.between(g.now.Add(-g.days(30)), g.now)
		}
		if c == macTarget && !third && g.world.HelpDeskMAC == "" {
			g.world.HelpDeskMAC = strings.ToLower(strings.ReplaceAll(mac, ":", "-"))
		}
		devices.add(id, g.now.Add(-g.days(400+g.r.Float64()*300)), pick(g.r, models), mac, phone, sip, third, status, seen, owner, c.id)
		all = append(all, dev{id, c.id})
	}
	kinds := []string{"USER", "DEVICE", "AUTO_ATTENDANT", "CALL_QUEUE", "PAGING_GROUP", "HUNT_GROUP", "VIRTUAL_LINE", "VOICEMAIL_GROUP"}
	for i := range g.size.PhoneNumbers {
		c := g.customers[i%len(g.customers)]
		var device, contact any
		state := pick(g.r, []string{"ACTIVE", "ACTIVE", "INACTIVE", "UNASSIGNED"})
		switch n := g.r.IntN(10); {
		case n < 4 && len(c.contacts) > 0:
			contact = pick(g.r, c.contacts).id
		case n < 7:
			// A device of the same customer: devices go round the customers.
			if j := g.r.IntN(max(1, len(all)/len(g.customers)))*len(g.customers) + i%len(g.customers); j < len(all) {
				device = all[j].id
			}
		}
		numbers.add(ids.New(ids.PhoneNumber), g.now.Add(-g.days(300+g.r.Float64()*300)), fmt.Sprintf("+44207%07d", i),
			pick(g.r, kinds), state, device, c.id, contact)
	}
}

// grants writes Contoso's grants in the shapes and the other
// partners' grants on the rest of the customers.
func (g *generator) grants(ctx context.Context, tx *sql.Tx) {
	grants := g.bulk(ctx, tx, "grants", "id", "created_at", "level", "partner_domain", "status", "expires_in_days",
		"note", "decided_at", "starts_at", "expires_at", "ended_at", "warned_days", "grantee_id", "requested_by_id",
		"decided_by_id", "ended_by_id", "customer_id", "partner_id")
	defer grants.close()
	// approved writes a grant approved at starts that lasts days, ended
	// (REVOKED, EXPIRED or SUPERSEDED) at ended when given, and records the
	// holding it gives.
	approved := func(p *partnerRef, c *customerRef, level access.Level, grantee *contactRef, starts time.Time, days int, status string, ended *time.Time) {
		expires := starts.Add(g.days(float64(days)))
		var endedAt, endedBy, granteeID any
		end := expires
		if ended != nil {
			endedAt = *ended
			if ended.Before(end) {
				end = *ended
			}
			if status == "REVOKED" {
				endedBy = c.manager.id
			}
		}
		if grantee != nil {
			granteeID = grantee.id
		}
		requested := starts.Add(-g.days(1 + g.r.Float64()*5))
		grants.add(ids.New(ids.Grant), requested, level, nil, status, days, "Managed service contract",
			starts, starts, expires, endedAt, nil, granteeID, p.admin.id, c.manager.id, endedBy, c.id, p.id)
		c.holdings = append(c.holdings, holding{partner: p, from: starts, to: end})
	}
	ago := func(d float64) time.Time { return g.now.Add(-g.days(d)) }
	fabrikam := g.partners[1]
	for i, c := range g.contosoOf {
		switch c.shape {
		case plain:
			starts := ago(300 + g.r.Float64()*400)
			if i%4 == 0 {
				// An earlier grant, superseded when this one was approved:
				// one continuous era made of two grants.
				first := starts.Add(-g.days(200))
				approved(g.contoso, c, access.Look, nil, first, 365, "SUPERSEDED", &starts)
			}
			days := int(g.now.Sub(starts).Hours()/24) + 30 + g.r.IntN(300)
			approved(g.contoso, c, c.level, nil, starts, min(730, days), "ACTIVE", nil)
		case twoEras:
			ended := ago(420)
			if i%2 == 0 {
				approved(g.contoso, c, access.Look, nil, ago(720), 365, "REVOKED", &ended)
			} else {
				expired := ago(420).Add(3 * time.Hour) // marked by the scheduler soon after
				approved(g.contoso, c, access.Look, nil, ago(720), 300, "EXPIRED", &expired)
			}
			fabEnd := ago(330)
			approved(fabrikam, c, access.Update, nil, ago(410), 365, "REVOKED", &fabEnd)
			approved(g.contoso, c, c.level, nil, ago(320), 540, "ACTIVE", nil)
		case ccGrant:
			approved(g.contoso, c, c.level, nil, ago(500), 700, "ACTIVE", nil)
			approved(g.contoso, c, access.CC, &g.caller, ago(400), 600, "ACTIVE", nil)
		case sharing:
			approved(g.contoso, c, c.level, nil, ago(60), 365, "ACTIVE", nil)
		}
	}
	// Requests of Contoso's that never started give no era.
	for i, c := range g.customers[:min(5, len(g.customers))] {
		if c.shape != notContoso {
			continue
		}
		status := []string{"PENDING", "REJECTED"}[i%2]
		var decided, decidedBy any
		if status == "REJECTED" {
			decided, decidedBy = ago(10), c.manager.id
		}
		grants.add(ids.New(ids.Grant), ago(20), access.Update, nil, status, 365, nil, decided, nil, nil, nil, nil,
			nil, g.contoso.admin.id, decidedBy, nil, c.id, g.contoso.id)
	}
	// The other partners on the customers Contoso does not serve.
	var others []*customerRef
	for _, c := range g.customers {
		if c.shape == notContoso {
			others = append(others, c)
		}
	}
	per := max(1, len(others)*3/40)
	for k, p := range g.partners[1:] {
		for j := range per {
			c := others[(k*per+j)%len(others)]
			level := pick(g.r, []access.Level{access.Look, access.Update, access.Create, access.ServiceAdmin})
			starts := ago(10 + g.r.Float64()*690)
			days := int(g.now.Sub(starts).Hours()/24) + 30 + g.r.IntN(300)
			switch n := g.r.IntN(20); {
			case n < 14:
				approved(p, c, level, nil, starts, min(730, days), "ACTIVE", nil)
			case n < 17:
				short := 30 + g.r.IntN(60)
				ended := starts.Add(g.days(float64(short)))
				if ended.Before(g.now) {
					approved(p, c, level, nil, starts, short, "EXPIRED", &ended)
				}
			case n < 19:
				ended := g.between(starts, g.now)
				approved(p, c, level, nil, starts, min(730, days), "REVOKED", &ended)
			default:
				grants.add(ids.New(ids.Grant), ago(5), level, nil, "PENDING", 365, nil, nil, nil, nil, nil, nil,
					nil, p.admin.id, nil, nil, c.id, p.id)
			}
		}
	}
}

// tokens issues the two callers' bearer tokens.
func (g *generator) tokens(ctx context.Context, tx *sql.Tx) {
	insert := func(contactID string) string {
		token, hash := auth.NewToken()
		_, err := tx.ExecContext(ctx, `INSERT INTO access_tokens (id, created_at, name, token_hash, contact_id) VALUES (?, ?, ?, ?, ?)`,
			ids.New(ids.AccessToken), g.now.Add(-time.Hour), "benchmark", hash, contactID)
		g.fail(err)
		return token
	}
	g.world.PartnerToken = insert(g.caller.id)
	g.world.VendorContactID = g.agents[0].id
	g.world.VendorToken = insert(g.agents[0].id)
}

// firstResponse are the first-response targets by severity (SPEC §3).
var firstResponse = map[string]time.Duration{"S1": time.Hour, "S2": 2 * time.Hour, "S3": 4 * time.Hour, "S4": 8 * time.Hour}

// cases writes the cases, oldest first (so that numbers and IDs follow
// their creation), each with its collaborators, comments and events.
func (g *generator) cases(ctx context.Context, tx *sql.Tx) {
	ago := func(d float64) time.Time { return g.now.Add(-g.days(d)) }
	specs := make([]caseSpec, 0, g.size.Cases)
	// Planted cases first, so that they exist at every size.
	plainUpdate := func(n int) *customerRef {
		for _, c := range g.contosoOf {
			if c.shape == plain && c.level == access.Update {
				if n == 0 {
					return c
				}
				n--
			}
		}
		panic("perf: too few plain UPDATE customers")
	}
	metrics := g.contosoOf[5] // the first two-era customer, at UPDATE
	g.world.MetricsCustomerID = metrics.id
	specs = append(specs,
		caseSpec{customer: plainUpdate(0), created: ago(6), plant: plantFocus},
		caseSpec{customer: plainUpdate(1), created: ago(3), plant: plantComment},
		caseSpec{customer: metrics, created: ago(370), plant: plantHidden})
	// A recent month on the dashboard's customer at every size.
	for k := range 6 {
		specs = append(specs, caseSpec{customer: metrics, created: ago(1 + float64(k)*4 + g.r.Float64()*3)})
	}
	for _, c := range g.contosoOf[:5] {
		for range 4 {
			specs = append(specs, caseSpec{customer: c, created: ago(10 + g.r.Float64()*300), plant: plantCollaboration})
		}
	}
	for len(specs) < g.size.Cases {
		specs = append(specs, caseSpec{customer: pick(g.r, g.customers), created: ago(g.r.Float64() * 729.9)})
	}
	slices.SortStableFunc(specs, func(a, b caseSpec) int { return a.created.Compare(b.created) })

	w := &caseWriter{
		g: g,
		cases: g.bulk(ctx, tx, "cases", "id", "created_at", "number", "title", "description", "product", "category",
			"severity", "status", "escalated", "escalated_at", "escalation_reason", "shared_emails", "timezone", "language",
			"first_response_due_at", "first_responded_at", "closed_at", "reopenable_until", "updated_at", "version",
			"customer_id", "on_behalf_of_id", "primary_contact_id", "created_by_id", "follow_up_of_id"),
		collaborators: g.bulk(ctx, tx, "support_case_collaborators", "support_case_id", "contact_id"),
		comments:      g.bulk(ctx, tx, "case_comments", "id", "created_at", "customer_id", "body", "visibility", "author_id", "case_id"),
		events: g.bulk(ctx, tx, "case_events", "id", "created_at", "customer_id", "kind", "changes", "visibility",
			"actor_id", "comment_id", "case_id"),
	}
	w.collaborators.deps = []*bulk{w.cases}
	w.comments.deps = []*bulk{w.cases}
	w.events.deps = []*bulk{w.cases, w.comments}
	// The caller collaborates on a few cases where it needs not to.
	callerExtra := 10
	for i, s := range specs {
		collaborate := s.plant == plantCollaboration
		if !collaborate && callerExtra > 0 && s.customer.shape == plain && s.created.After(ago(200)) && g.r.IntN(50) == 0 {
			collaborate, callerExtra = true, callerExtra-1
		}
		id := w.write(s, i+1, collaborate)
		switch s.plant {
		case plantFocus:
			g.world.CaseID = id
		case plantComment:
			g.world.CommentCaseID = id
		case plantHidden:
			g.world.HiddenCaseID = id
		case plantCollaboration:
			if g.world.CollaborationCaseID == "" {
				g.world.CollaborationCaseID = id
			}
		}
	}
	// Children after their parents: the foreign keys are checked at once.
	w.cases.close()
	w.collaborators.close()
	w.comments.close()
	w.events.close()
}

type caseWriter struct {
	g                                      *generator
	cases, collaborators, comments, events *bulk
}

type event struct {
	at        time.Time
	kind      string
	actor     string
	changes   []map[string]string
	internal  bool
	commentID string
}

func change(field, before, after string) map[string]string {
	ch := map[string]string{"field": field}
	if before != "" {
		ch["before"] = before
	}
	if after != "" {
		ch["after"] = after
	}
	return ch
}

// write writes one case and its history; it returns the case's ID.
func (w *caseWriter) write(s caseSpec, number int, callerCollaborates bool) string {
	g, r, c, now := w.g, w.g.r, s.customer, w.g.now
	id := ids.New(ids.Case)
	created := s.created
	age := now.Sub(created)

	// Who filed it: a contact of the partner that held the customer then,
	// now and again, or one of the customer's own.
	var partner *partnerRef
	for _, h := range c.holdings {
		if !created.Before(h.from) && created.Before(h.to) {
			partner = h.partner
		}
	}
	var creator contactRef
	var onBehalf any
	if partner != nil && r.IntN(4) == 0 {
		creator, onBehalf = pick(r, partner.contacts), partner.id
	} else {
		creator = pick(r, c.contacts)
	}
	primary := any(creator.id)
	switch n := r.IntN(20); {
	case n == 0:
		primary = nil
	case n < 4:
		primary = pick(r, c.contacts).id
	}

	severity := []string{"S1", "S2", "S2", "S3", "S3", "S3", "S3", "S4", "S4", "S4"}[r.IntN(10)]
	target := firstResponse[severity]
	due := created.Add(target)

	// The case's life: first response, last activity, closing.
	responded := r.IntN(100) < 85
	respondedAt := created.Add(time.Duration((0.05 + r.Float64()*1.45) * float64(target)))
	if respondedAt.After(now) {
		responded = false
	}
	var closeP int
	switch {
	case age > g.days(60):
		closeP = 92
	case age > g.days(7):
		closeP = 60
	case age > g.days(1):
		closeP = 30
	default:
		closeP = 3
	}
	if s.plant == plantFocus || s.plant == plantComment {
		closeP, responded = 0, true
		respondedAt = created.Add(target / 2)
	}
	closed := r.IntN(100) < closeP
	start := created
	if responded {
		start = respondedAt
	}
	span := min(age, g.days(25))
	last := start.Add(time.Duration(r.Float64() * float64(max(0, created.Add(span).Sub(start)))))
	if last.After(now) {
		last = now.Add(-time.Minute)
	}
	if last.Before(start) {
		last = start
	}
	var closedAt, reopenable any
	status := "NEW"
	switch {
	case closed:
		status, closedAt, reopenable = "CLOSED", last, last.Add(30*24*time.Hour)
	case responded && r.IntN(3) == 0:
		status = "WAITING_ON_CUSTOMER"
	case responded:
		status = "IN_PROGRESS"
	}
	var firstResponded any
	if responded {
		firstResponded = respondedAt
	}

	events := []event{{at: created, kind: "CREATED", actor: creator.id}}

	// Collaborators: people of the customer, the partner's people on the
	// cases it filed, and the caller where the spec says.
	var collaborators []string
	for range []int{0, 0, 0, 0, 0, 0, 0, 1, 1, 2}[r.IntN(10)] {
		p := pick(r, c.contacts)
		if p.id != creator.id && !slices.Contains(collaborators, p.id) {
			collaborators = append(collaborators, p.id)
		}
	}
	if onBehalf != nil && r.IntN(3) == 0 {
		if p := pick(r, partner.contacts); p.id != creator.id && !slices.Contains(collaborators, p.id) {
			collaborators = append(collaborators, p.id)
		}
	}
	if s.plant == plantFocus {
		collaborators = append(collaborators, g.contoso.contacts[1].id)
	}
	if callerCollaborates && creator.id != g.caller.id && !slices.Contains(collaborators, g.caller.id) {
		collaborators = append(collaborators, g.caller.id)
	}
	for _, p := range collaborators {
		events = append(events, event{at: g.between(created, last.Add(time.Second)), kind: "COLLABORATOR_ADDED",
			actor: creator.id, changes: []map[string]string{change("collaborators", "", p)}})
	}

	// Comments: the first vendor answer is the first response.
	// About 2.3 with the first responses below.
	n := []int{0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5, 6}[r.IntN(20)]
	switch s.plant {
	case plantFocus:
		n = 24
	case plantComment:
		n = 5
	}
	if responded {
		n = max(n, 1)
	}
	var authors []contactRef
	authors = append(authors, c.contacts...)
	if partner != nil && onBehalf != nil {
		authors = append(authors, partner.contacts...)
	}
	var times []time.Time
	for range n {
		times = append(times, g.between(start, last.Add(time.Second)))
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	var comments [][]any
	for k, at := range times {
		author, internal := pick(r, authors), false
		switch {
		case k == 0 && responded:
			author, at = pick(r, g.agents), respondedAt
		case r.IntN(10) == 0, s.plant == plantFocus && k%8 == 5:
			author, internal = pick(r, g.agents), true
		case responded && r.IntN(3) == 0:
			author = pick(r, g.agents)
		}
		body := w.text(3+r.IntN(5), s.plant == plantFocus || r.IntN(30) == 0)
		cid := ids.New(ids.CaseComment)
		vis := "PUBLIC"
		if internal {
			vis = "INTERNAL"
		}
		comments = append(comments, []any{cid, at, c.id, body, vis, author.id, id})
		events = append(events, event{at: at, kind: "COMMENTED", actor: author.id, internal: internal, commentID: cid})
	}

	// Status changes, closing and the rarer events.
	agent := pick(r, g.agents).id
	if responded && status != "NEW" && r.IntN(2) == 0 {
		events = append(events, event{at: respondedAt, kind: "STATUS_CHANGED", actor: agent,
			changes: []map[string]string{change("status", "NEW", "IN_PROGRESS")}})
	}
	if status == "WAITING_ON_CUSTOMER" {
		events = append(events, event{at: g.between(start, last.Add(time.Second)), kind: "STATUS_CHANGED", actor: agent,
			changes: []map[string]string{change("status", "IN_PROGRESS", "WAITING_ON_CUSTOMER")}})
	}
	during := func() time.Time { return g.between(created, last.Add(time.Second)) }
	if r.IntN(20) == 0 || s.plant == plantFocus {
		before := []string{"S1", "S2", "S3", "S4"}[r.IntN(4)]
		if before != severity {
			events = append(events, event{at: during(), kind: "SEVERITY_CHANGED", actor: creator.id,
				changes: []map[string]string{change("severity", before, severity)}})
		}
	}
	var sharedEmails []string
	if r.IntN(30) == 0 || s.plant == plantFocus {
		e := fmt.Sprintf("it-desk@%s", c.domain)
		sharedEmails = append(sharedEmails, e)
		events = append(events, event{at: during(), kind: "SHARED", actor: creator.id,
			changes: []map[string]string{change("sharedEmails", "", e)}})
	}
	if r.IntN(50) == 0 || s.plant == plantFocus {
		if p := pick(r, c.contacts); p.id != creator.id {
			primary = p.id
			events = append(events, event{at: during(), kind: "PRIMARY_CONTACT_CHANGED", actor: creator.id,
				changes: []map[string]string{change("primaryContactID", creator.id, p.id)}})
		}
	}
	title := w.title()
	if r.IntN(20) == 0 || s.plant == plantFocus {
		events = append(events, event{at: during(), kind: "UPDATED", actor: creator.id,
			changes: []map[string]string{change("title", "Problem with "+pick(r, subjects), title)}})
	}
	var escalated bool
	var escalatedAt, reason any
	if c.premium && last.After(due) && (r.IntN(25) == 0 || s.plant == plantFocus) {
		at := g.between(due, last.Add(time.Second))
		escalated, escalatedAt, reason = true, at, "Business impact: "+pick(r, places)
		events = append(events, event{at: at, kind: "ESCALATED", actor: creator.id,
			changes: []map[string]string{change("escalated", "false", "true")}})
	}
	if closed {
		before := "IN_PROGRESS"
		if !responded {
			before = "NEW"
		}
		events = append(events, event{at: last, kind: "CLOSED", actor: agent,
			changes: []map[string]string{change("status", before, "CLOSED")}})
	} else if responded && r.IntN(50) == 0 && last.Sub(start) > time.Hour {
		// Closed once and reopened within the window.
		at := g.between(start, last.Add(-time.Minute))
		closedAt = at
		events = append(events,
			event{at: at, kind: "CLOSED", actor: agent, changes: []map[string]string{change("status", "IN_PROGRESS", "CLOSED")}},
			event{at: g.between(at, last), kind: "REOPENED", actor: creator.id, changes: []map[string]string{change("status", "CLOSED", "IN_PROGRESS")}})
	}

	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	updated, version := created, 1
	for _, e := range events {
		if e.at.After(updated) {
			updated = e.at
		}
		switch e.kind {
		case "CREATED", "COMMENTED":
		default:
			version++
		}
	}
	if sharedEmails == nil {
		sharedEmails = []string{}
	}
	// The case before what refers to it.
	w.cases.add(id, created, number, title, w.description(title), pick(r, products), pick(r, cats), severity, status,
		escalated, escalatedAt, reason, jsonText(sharedEmails), pick(r, zones), "en", due, firstResponded, closedAt,
		reopenable, updated, version, c.id, onBehalf, primary, creator.id, nil)
	for _, p := range collaborators {
		w.collaborators.add(id, p)
	}
	for _, row := range comments {
		w.comments.add(row...)
	}
	for _, e := range events {
		changes := "[]"
		if len(e.changes) > 0 {
			changes = jsonText(e.changes)
		}
		vis := "PUBLIC"
		if e.internal {
			vis = "INTERNAL"
		}
		var comment any
		if e.commentID != "" {
			comment = e.commentID
		}
		w.events.add(ids.New(ids.CaseEvent), e.at, c.id, e.kind, changes, vis, e.actor, comment, id)
	}
	return id
}

// title is a case's one-line summary: a printer in 20% of cases, a
// reboot in 30%.
func (w *caseWriter) title() string {
	r := w.g.r
	subject := pick(r, subjects)
	if r.IntN(5) == 0 {
		subject = "printer"
	}
	trouble := pick(r, troubles)
	if r.IntN(10) < 3 {
		trouble = pick(r, reboots)
	}
	return strings.ToUpper(subject[:1]) + subject[1:] + " " + trouble + " " + pick(r, places)
}

func (w *caseWriter) description(title string) string {
	return "Reported by the team: " + strings.ToLower(title) + ". " + w.text(2, false)
}

// text is a few sentences of filler; special adds characters that JSON
// must escape (quotes, backslashes, control characters, <, &) and
// non-ASCII text.
func (w *caseWriter) text(sentences int, special bool) string {
	r := w.g.r
	var b strings.Builder
	for i := range sentences {
		if i > 0 {
			b.WriteByte(' ')
		}
		words := 6 + r.IntN(12)
		for j := range words {
			word := pick(r, fillers)
			if j == 0 {
				word = strings.ToUpper(word[:1]) + word[1:]
			} else {
				b.WriteByte(' ')
			}
			b.WriteString(word)
		}
		b.WriteByte('.')
	}
	if special {
		b.WriteString(" " + pick(r, extras))
	}
	return b.String()
}
