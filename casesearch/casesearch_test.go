package casesearch_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/mattn/go-sqlite3"

	"github.com/partnerdesk/partnerdesk/casesearch"
	"github.com/partnerdesk/partnerdesk/testkit"
)

const driverName = "sqlite3_casesearch_test"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: casesearch.Register})
}

// schemaSQL is the part of ent's schema (ent/migrate/schema.go) that the
// index reads, as ent creates it on SQLite, without the foreign keys.
var schemaSQL = []string{
	"CREATE TABLE `cases` (`id` text NOT NULL, `created_at` datetime NOT NULL, `number` integer NOT NULL, `title` text NOT NULL, `description` text NOT NULL DEFAULT (''), `product` text NOT NULL DEFAULT (''), `category` text NOT NULL DEFAULT (''), `severity` text NOT NULL, `status` text NOT NULL DEFAULT ('NEW'), `escalated` bool NOT NULL DEFAULT (false), `escalated_at` datetime NULL, `escalation_reason` text NULL, `shared_emails` json NOT NULL, `timezone` text NOT NULL DEFAULT ('UTC'), `language` text NOT NULL DEFAULT ('en'), `first_response_due_at` datetime NOT NULL, `first_responded_at` datetime NULL, `closed_at` datetime NULL, `reopenable_until` datetime NULL, `updated_at` datetime NOT NULL, `version` integer NOT NULL DEFAULT (1), `customer_id` text NOT NULL, `on_behalf_of_id` text NULL, `primary_contact_id` text NULL, `created_by_id` text NOT NULL, `follow_up_of_id` text NULL, PRIMARY KEY (`id`))",
	"CREATE UNIQUE INDEX `cases_number_key` ON `cases` (`number`)",
	"CREATE INDEX `supportcase_customer_id_updated_at` ON `cases` (`customer_id`, `updated_at`)",
	"CREATE INDEX `supportcase_updated_at` ON `cases` (`updated_at`)",
	"CREATE INDEX `supportcase_status_severity` ON `cases` (`status`, `severity`)",
	"CREATE INDEX `supportcase_on_behalf_of_id` ON `cases` (`on_behalf_of_id`)",
	"CREATE TABLE `case_comments` (`id` text NOT NULL, `created_at` datetime NOT NULL, `customer_id` text NOT NULL, `body` text NOT NULL, `visibility` text NOT NULL DEFAULT ('PUBLIC'), `author_id` text NOT NULL, `case_id` text NOT NULL, PRIMARY KEY (`id`))",
	"CREATE INDEX `casecomment_case_id_created_at` ON `case_comments` (`case_id`, `created_at`)",
}

// openDB opens a new database file with the two tables, without the index.
func openDB(t testing.TB, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driverName, filepath.Join(dir, "test.db")+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, stmt := range schemaSQL {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func install(t testing.TB, db *sql.DB) {
	t.Helper()
	if err := casesearch.Install(context.Background(), dialect.SQLite, db); err != nil {
		t.Fatal(err)
	}
}

var epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

const insertCase = "INSERT INTO cases (id, created_at, number, title, description, severity, shared_emails, first_response_due_at, updated_at, customer_id, created_by_id) VALUES (?, ?, ?, ?, ?, 'S3', '[]', ?, ?, 'org_1', 'con_1')"

func caseID(number int) string { return fmt.Sprintf("cas_%08d", number) }

// addCase inserts case number; a higher number is updated later.
func addCase(t testing.TB, db *sql.DB, number int, title, description string) {
	t.Helper()
	at := epoch.Add(time.Duration(number) * time.Minute)
	if _, err := db.Exec(insertCase, caseID(number), at, number, title, description, at, at); err != nil {
		t.Fatal(err)
	}
}

var commentSeq int

func addComment(t testing.TB, db *sql.DB, number int, visibility, body string) {
	t.Helper()
	commentSeq++
	if _, err := db.Exec("INSERT INTO case_comments (id, created_at, customer_id, body, visibility, author_id, case_id) VALUES (?, ?, 'org_1', ?, ?, 'con_1', ?)",
		fmt.Sprintf("cmt_%d", commentSeq), epoch, body, visibility, caseID(number)); err != nil {
		t.Fatal(err)
	}
}

// query is how the store would search: a selector on cases, restricted by
// Filter and ranked by OrderByRank.
func query(match casesearch.Query, limit int) (string, []any) {
	t := entsql.Table("cases")
	s := entsql.Dialect(dialect.SQLite).Select(t.C("number")).From(t)
	casesearch.Filter(match)(s)
	casesearch.OrderByRank(match)(s)
	return s.Limit(limit).Query()
}

// search returns the numbers of the cases that match keyword, best first.
func search(t testing.TB, db *sql.DB, keyword string) []int {
	t.Helper()
	match, err := casesearch.Match(keyword)
	if err != nil {
		t.Fatalf("Match(%q): %v", keyword, err)
	}
	q, args := query(match, 100)
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("search %q as %s: %v", keyword, q, err)
	}
	defer rows.Close()
	var numbers []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return numbers
}

// filtered returns the numbers of the cases that Filter keeps, in order.
func filtered(t testing.TB, db *sql.DB, keyword string) []int {
	t.Helper()
	match, err := casesearch.Match(keyword)
	if err != nil {
		t.Fatalf("Match(%q): %v", keyword, err)
	}
	c := entsql.Table("cases")
	s := entsql.Dialect(dialect.SQLite).Select(c.C("number")).From(c).OrderBy(c.C("number"))
	casesearch.Filter(match)(s)
	q, args := s.Query()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("filter %q as %s: %v", keyword, q, err)
	}
	defer rows.Close()
	var numbers []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, n)
	}
	return numbers
}

// expect checks that keyword finds exactly want, in any order, both
// ranked and through Filter.
func expect(t *testing.T, db *sql.DB, keyword string, want ...int) {
	t.Helper()
	got := search(t, db, keyword)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("search %q = %v, want %v", keyword, got, want)
	}
	if got := filtered(t, db, keyword); !slices.Equal(got, want) {
		t.Errorf("filter %q = %v, want %v", keyword, got, want)
	}
}

func TestSearchKeepsInSync(t *testing.T) {
	db := openDB(t, t.TempDir())
	install(t, db)
	install(t, db) // idempotent

	addCase(t, db, 1, "Printer offline", "The lobby printer shows error E42.")
	addCase(t, db, 2, "Phones drop calls", "Handsets reboot during calls to Zürich.")
	addCase(t, db, 3, "VPN slow", "Tunnel throughput collapsed after the upgrade.")
	addComment(t, db, 3, "PUBLIC", "Customer confirms the firewall was replaced.")
	addComment(t, db, 3, "INTERNAL", "Suspect a misconfigured gateway, secretword.")
	addComment(t, db, 2, "PUBLIC", "Replacement handset shipped.")

	expect(t, db, "printer", 1)      // title and description
	expect(t, db, "PRINTER", 1)      // case folded
	expect(t, db, "e42", 1)          // description token
	expect(t, db, "zurich", 2)       // diacritics folded
	expect(t, db, "throughput", 3)   // description
	expect(t, db, "firewall", 3)     // public comment
	expect(t, db, "shipped", 2)      // second case's comment
	expect(t, db, "secretword")      // INTERNAL comment never indexed
	expect(t, db, "gateway")         // ditto
	expect(t, db, "print", 1)        // prefix
	expect(t, db, "hand", 2)         // prefix
	expect(t, db, "vpn firewall", 3) // AND across columns
	expect(t, db, "vpn printer")     // AND: no case has both
	expect(t, db, "calls phones", 2) // word order does not matter
	expect(t, db, "replace", 2, 3)   // prefix over comments
	expect(t, db, "the", 1, 3)       // no stop words
	expect(t, db, "offline printer", 1)

	// A new title replaces the old one in the index.
	if _, err := db.Exec("UPDATE cases SET title = 'Scanner offline', updated_at = ? WHERE number = 1", epoch); err != nil {
		t.Fatal(err)
	}
	expect(t, db, "scanner", 1)
	expect(t, db, "offline", 1)
	expect(t, db, "printer", 1) // still in the description
	if _, err := db.Exec("UPDATE cases SET description = 'Paper jam.' WHERE number = 1"); err != nil {
		t.Fatal(err)
	}
	expect(t, db, "printer")
	expect(t, db, "jam", 1)
	// Comments survive an update of the case.
	if _, err := db.Exec("UPDATE cases SET title = 'VPN very slow' WHERE number = 3"); err != nil {
		t.Fatal(err)
	}
	expect(t, db, "firewall", 3)
	expect(t, db, "very", 3)
	// An update that does not touch the text leaves the index alone.
	if _, err := db.Exec("UPDATE cases SET status = 'CLOSED', updated_at = ? WHERE number = 3", epoch); err != nil {
		t.Fatal(err)
	}
	expect(t, db, "very", 3)

	install(t, db) // again, on a populated database: nothing doubles
	var n int
	if err := db.QueryRow("SELECT count(*) FROM case_search").Scan(&n); err != nil || n != 3 {
		t.Fatalf("index rows = %d, %v; want 3", n, err)
	}
	expect(t, db, "firewall", 3)
}

func TestNumber(t *testing.T) {
	db := openDB(t, t.TempDir())
	install(t, db)
	addCase(t, db, 1042, "Headset crackles", "Since Monday.")
	addCase(t, db, 10420, "Voicemail full", "Mailbox quota.")
	addCase(t, db, 7, "Refers to 1042", "See 1042 and #1042 for the headset history.")

	for _, kw := range []string{"1042", "#1042", " #1042 ", "(1042)"} {
		got := search(t, db, kw)
		if len(got) == 0 || got[0] != 1042 {
			t.Errorf("search %q = %v, want 1042 first", kw, got)
		}
	}
	expect(t, db, "#1042 headset", 7, 1042)
	expect(t, db, "#1042 voicemail", 10420) // a number is a prefix too
	expect(t, db, "#7", 7)
}

func TestRanking(t *testing.T) {
	db := openDB(t, t.TempDir())
	install(t, db)
	// Similar lengths, so the columns' weights decide.
	addCase(t, db, 1, "Router reboots nightly", "Unit restarts around midnight without warning.")
	addCase(t, db, 2, "Network reboots nightly", "The edge router restarts around midnight again.")
	addCase(t, db, 3, "Network reboots nightly", "Unit restarts around midnight without warning.")
	addComment(t, db, 3, "PUBLIC", "Replaced the router power supply.")
	// Filler, so that "router" is not in most rows.
	for n := 10; n < 20; n++ {
		addCase(t, db, n, "Unrelated case", "Nothing to see here at all.")
	}

	got := search(t, db, "router")
	if len(got) != 3 || got[0] != 1 {
		t.Fatalf("search router = %v, want the title match (1) first of 3", got)
	}
	// Descriptions and comments weigh the same; ties fall back to the
	// newest update, so both orders are acceptable here, but the title
	// match must win over both.
	if !slices.Contains(got[1:], 2) || !slices.Contains(got[1:], 3) {
		t.Fatalf("search router = %v", got)
	}

	// Ties are broken by last update, newest first, then id.
	got = search(t, db, "unrelated")
	want := []int{19, 18, 17, 16, 15, 14, 13, 12, 11, 10}
	if !slices.Equal(got, want) {
		t.Fatalf("search unrelated = %v, want %v", got, want)
	}
}

func TestBackfill(t *testing.T) {
	db := openDB(t, t.TempDir())
	addCase(t, db, 1, "Legacy fax line", "Fax machine stopped answering.")
	addCase(t, db, 2, "Old ticket", "Nothing here.")
	addComment(t, db, 2, "PUBLIC", "Conference bridge PIN reset.")
	addComment(t, db, 2, "PUBLIC", "Bridge works again.")
	addComment(t, db, 2, "INTERNAL", "Hiddenword in an internal note.")

	install(t, db)
	expect(t, db, "fax", 1)
	expect(t, db, "bridge", 2)
	expect(t, db, "conference works", 2) // both public comments
	expect(t, db, "hiddenword")

	// Cases added after the backfill are indexed by the triggers.
	addCase(t, db, 3, "New fax", "")
	install(t, db)
	expect(t, db, "fax", 1, 3)
	var n int
	if err := db.QueryRow("SELECT count(*) FROM case_search").Scan(&n); err != nil || n != 3 {
		t.Fatalf("index rows = %d, %v; want 3", n, err)
	}
}

// TestMigrationRebuild replays how ent (Atlas) migrates a SQLite table
// whose columns change: copy it to a new table, drop it, rename the copy.
// SQLite refuses the rename if a trigger names a missing table, so the
// index's triggers must not get in the way, and Install must restore them.
func TestMigrationRebuild(t *testing.T) {
	db := openDB(t, t.TempDir())
	db.SetMaxOpenConns(1) // PRAGMA foreign_keys is per connection
	install(t, db)
	addCase(t, db, 1, "Printer offline", "")
	addComment(t, db, 1, "PUBLIC", "Toner replaced.")

	rebuild := func(table string) {
		t.Helper()
		var create string
		if err := db.QueryRow("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&create); err != nil {
			t.Fatal(err)
		}
		for _, stmt := range []string{
			"PRAGMA foreign_keys = off",
			strings.Replace(create, "`"+table+"`", "`new_"+table+"`", 1),
			"INSERT INTO `new_" + table + "` SELECT * FROM `" + table + "`",
			"DROP TABLE `" + table + "`",
			"ALTER TABLE `new_" + table + "` RENAME TO `" + table + "`",
			"PRAGMA foreign_keys = on",
		} {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("rebuilding %s: %s: %v", table, stmt, err)
			}
		}
	}
	rebuild("cases")
	rebuild("case_comments")
	if _, err := db.Exec("ALTER TABLE `cases` ADD COLUMN `extra` text NULL"); err != nil {
		t.Fatal(err)
	}
	install(t, db)

	addCase(t, db, 2, "Printer jams", "")
	addComment(t, db, 1, "PUBLIC", "Drum cleaned.")
	addComment(t, db, 2, "PUBLIC", "Drum cleaned too.")
	if _, err := db.Exec("UPDATE cases SET title = 'Scanner offline' WHERE number = 1"); err != nil {
		t.Fatal(err)
	}
	expect(t, db, "printer", 2)
	expect(t, db, "scanner toner drum", 1)
	expect(t, db, "drum", 1, 2)
}

func TestNumberChangeMovesIndexRow(t *testing.T) {
	db := openDB(t, t.TempDir())
	install(t, db)
	addCase(t, db, 5, "Renumbered case", "")
	if _, err := db.Exec("UPDATE cases SET number = 6 WHERE number = 5"); err != nil {
		t.Fatal(err)
	}
	expect(t, db, "renumbered", 6)
	expect(t, db, "#6", 6)
	expect(t, db, "#5")
}

func TestMatchRefuses(t *testing.T) {
	long := strings.Repeat("a", casesearch.MaxChars+1)
	many := strings.Repeat("w ", casesearch.MaxTerms+1)
	for _, kw := range []string{"", "  ", "\t\n", `"*()`, `- : ^ " *`, "#", many, long} {
		if m, err := casesearch.Match(kw); err == nil {
			t.Errorf("Match(%q) = %q, want an error", kw, m.FTS4())
		}
	}
	for _, kw := range []string{strings.Repeat("w ", casesearch.MaxTerms), strings.Repeat("é", casesearch.MaxChars)} {
		if _, err := casesearch.Match(kw); err != nil {
			t.Errorf("Match(%.20q…): %v", kw, err)
		}
	}
}

func TestMatchExpressions(t *testing.T) {
	for kw, want := range map[string]string{
		"printer":       `"printer*"`,
		"Print  jam":    `"Print*" "jam*"`,
		"#1042":         `("1042" OR "1042*")`,
		"foo-bar":       `"foo bar*"`,
		`x" OR 1=1 --`:  `"x*" "OR*" "1 1*"`,
		"title:foo":     `"title foo*"`,
		"NEAR":          `"NEAR*"`,
		"-bar":          `"bar*"`,
		"a*b (c) ^d":    `"a b*" "c*" "d*"`,
		"e-mail@x.com":  `"e mail x com*"`,
		"Zürich café":   `"Zürich*" "café*"`,
		"NOT AND OR":    `"NOT*" "AND*" "OR*"`,
		"a1b2 ＃1042":    `"a1b2*" ("1042" OR "1042*")`,
		"quote\"inside": `"quote inside*"`,
	} {
		got, err := casesearch.Match(kw)
		if err != nil || got.FTS4() != want {
			t.Errorf("Match(%q) = %q, %v; want %q", kw, got.FTS4(), err, want)
		}
	}
}

// TestQuerySyntax proves the expressions from Match mean the same under
// the query syntax go-sqlite3 compiles in: it builds with
// SQLITE_ENABLE_FTS3_PARENTHESIS, which is the ENHANCED syntax (OR, AND,
// NOT, NEAR and parentheses are operators, unary "-" is not).
func TestQuerySyntax(t *testing.T) {
	db := openDB(t, t.TempDir())
	var opt string
	if err := db.QueryRow("SELECT compile_options FROM pragma_compile_options WHERE compile_options = 'ENABLE_FTS3_PARENTHESIS'").Scan(&opt); err != nil {
		t.Logf("standard query syntax (%v)", err)
	} else {
		t.Log("enhanced query syntax")
	}
	install(t, db)
	addCase(t, db, 1, "Lights near the door", "or not and")
	addCase(t, db, 2, "Bar counter", "Near-field reader")
	addCase(t, db, 3, "Foo bar", "title foo")
	addCase(t, db, 4, "Other", "x or 1 1")

	expect(t, db, `x" OR 1=1 --`, 4) // all three terms, literally
	expect(t, db, "NEAR", 1, 2)      // the word, not the operator
	expect(t, db, "not and or", 1)   // words, not operators
	expect(t, db, "-bar", 2, 3)      // not a NOT
	expect(t, db, "title:foo", 3)    // not a column filter
	expect(t, db, "foo-bar", 3)      // a phrase
	expect(t, db, "near-field", 2)
	expect(t, db, `"lights`, 1)
	expect(t, db, `(door)`, 1)
}

// TestQueryPlan checks that the search reads the full-text index rather
// than scanning cases.
func TestQueryPlan(t *testing.T) {
	db := openDB(t, t.TempDir())
	install(t, db)
	match, _ := casesearch.Match("printer jam")
	q, args := query(match, 20)
	all := testkit.QueryPlan(t, db, q, args...)
	t.Logf("%s\n%s", q, all)
	if !strings.Contains(all, "SCAN case_search VIRTUAL TABLE INDEX") {
		t.Errorf("the plan does not use the full-text index:\n%s", all)
	}
	if strings.Contains(all, "SCAN cases") {
		t.Errorf("the plan scans cases:\n%s", all)
	}
}

func TestRankMalformed(t *testing.T) {
	for _, blob := range [][]byte{nil, {1, 2, 3}, make([]byte, 8), u32(1, 5, 10)} {
		if got := casesearch.Rank(blob); got != 0 {
			t.Errorf("Rank(%v) = %v, want 0", blob, got)
		}
	}
	// One phrase, two columns (weights 0 and 5), ten rows, one hit.
	blob := u32(1, 2, 10, 3, 3, 3, 3, 0, 0, 0, 1, 1, 1)
	if got := casesearch.Rank(blob); got <= 0 {
		t.Errorf("Rank = %v, want > 0", got)
	}
}

func u32(v ...uint32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.NativeEndian.AppendUint32(b, x)
	}
	return b
}
