package casesearch_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/partnerdesk/partnerdesk/casesearch"
)

const benchCases = 200_000

var (
	nouns = strings.Fields(`phone handset headset printer scanner router switch
firewall vpn voicemail trunk gateway extension queue license portal dashboard
invoice mailbox conference bridge softphone app base station cable port adapter
battery display speaker microphone camera codec certificate password account
login sso directory contact fax modem antenna repeater dect sip registration
provisioning firmware backup server database report export webhook api token
recording transcript greeting ivr hunt group pickup paging intercom door badge`)
	problems = strings.Fields(`drops fails reboots freezes crackles echoes
disconnects stalls hangs overheats beeps flickers times-out rejects duplicates
loses ignores misroutes delays corrupts blocks expires crashes lags mutes`)
	qualifiers = []string{"intermittently", "after the update", "since Monday",
		"every morning", "on floor 3", "for remote staff", "during peak hours",
		"after a power cut", "only on Wi-Fi", "for all users", "at the branch",
		"since the migration", "when roaming", "on the night shift", "again"}
	fillers = strings.Fields(`the a our we users customer staff reported that
it is was when after before and or but with without from to in on at for of
this since still again now also please urgent today yesterday several some all
team office site new old second first line call calls message messages error
errors screen shows shown noticed seems cannot unable working works tried
restart restarted replaced checked logs attached see ticket vendor support`)
	sites = func() []string {
		r := rand.New(rand.NewPCG(7, 7))
		s := make([]string, 2000)
		for i := range s {
			s[i] = fmt.Sprintf("%s%s%s", syllable(r), syllable(r), syllable(r))
		}
		return s
	}()
)

func syllable(r *rand.Rand) string {
	return string("bcdfghklmnprstvz"[r.IntN(16)]) + string("aeiou"[r.IntN(5)])
}

func pick(r *rand.Rand, words []string) string { return words[r.IntN(len(words))] }

// text generates case-like prose: the serial numbers are (nearly) unique,
// the sites rare, the nouns common and the fillers everywhere.
type text struct{ r *rand.Rand }

func (g text) title() string {
	noun := pick(g.r, nouns)
	return fmt.Sprintf("%s %s %s", strings.ToUpper(noun[:1])+noun[1:], pick(g.r, problems), pick(g.r, qualifiers))
}

func (g text) sentence(min, max int) string {
	var b strings.Builder
	n := min + g.r.IntN(max-min+1)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch g.r.IntN(6) {
		case 0:
			b.WriteString(pick(g.r, nouns))
		case 1:
			b.WriteString(pick(g.r, problems))
		default:
			b.WriteString(pick(g.r, fillers))
		}
	}
	b.WriteString(". ")
	return b.String()
}

func (g text) description() string {
	var b strings.Builder
	for i := 0; i < 2+g.r.IntN(3); i++ {
		b.WriteString(g.sentence(8, 16))
	}
	fmt.Fprintf(&b, "Serial SN%06X at %s.", g.r.Uint32()&0xFFFFFF, pick(g.r, sites))
	return b.String()
}

// buildBench writes benchCases cases (and about as many comments, 30%
// internal) to a new database in dir, then installs the index, so Install
// backfills it all in one go.
func buildBench(b *testing.B, dir string) *sql.DB {
	b.Helper()
	start := time.Now()
	db := openDB(b, dir)
	db.SetMaxOpenConns(1)
	g := text{rand.New(rand.NewPCG(1, 2))}
	const batch = 100
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	caseStmt, err := tx.Prepare("INSERT INTO cases (id, created_at, number, title, description, severity, shared_emails, first_response_due_at, updated_at, customer_id, created_by_id) VALUES " +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, 'S3', '[]', ?, ?, ?, 'con_1'),", batch), ","))
	if err != nil {
		b.Fatal(err)
	}
	commentStmt, err := tx.Prepare("INSERT INTO case_comments (id, created_at, customer_id, body, visibility, author_id, case_id) VALUES " +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, 'con_1', ?),", batch), ","))
	if err != nil {
		b.Fatal(err)
	}
	var cases, comments []any
	ncomments := 0
	for n := 1; n <= benchCases; n++ {
		at := epoch.Add(time.Duration(n) * time.Minute)
		customer := fmt.Sprintf("org_%d", n%500)
		cases = append(cases, caseID(n), at, n, g.title(), g.description(), at, at, customer)
		for range g.r.IntN(3) {
			visibility := "PUBLIC"
			if g.r.IntN(10) < 3 {
				visibility = "INTERNAL"
			}
			ncomments++
			comments = append(comments, fmt.Sprintf("cmt_%d", ncomments), at, customer, g.sentence(6, 20), visibility, caseID(n))
			if len(comments) == 6*batch {
				if _, err := commentStmt.Exec(comments...); err != nil {
					b.Fatal(err)
				}
				comments = comments[:0]
			}
		}
		if n%batch == 0 {
			if _, err := caseStmt.Exec(cases...); err != nil {
				b.Fatal(err)
			}
			cases = cases[:0]
		}
	}
	for i := 0; i < len(comments); i += 6 { // the last, partial batch
		if _, err := tx.Exec("INSERT INTO case_comments (id, created_at, customer_id, body, visibility, author_id, case_id) VALUES (?, ?, ?, ?, ?, 'con_1', ?)", comments[i:i+6]...); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	inserted := time.Now()
	install(b, db)
	installed := time.Now()
	install(b, db)
	b.Logf("%d cases, %d comments: inserted in %v, indexed by Install in %v, Install again in %v",
		benchCases, ncomments, inserted.Sub(start).Round(time.Millisecond),
		installed.Sub(inserted).Round(time.Millisecond), time.Since(installed).Round(time.Millisecond))
	return db
}

// BenchmarkKeyword runs the ranked top-20 query, built as the store would
// build it, for terms in half of the cases ("the") down to a single case
// (a serial number, a case number).
func BenchmarkKeyword(b *testing.B) {
	db := buildBench(b, b.TempDir())
	var serial string
	if err := db.QueryRow("SELECT substr(description, instr(description, 'Serial SN') + 7, 8) FROM cases WHERE number = 123456").Scan(&serial); err != nil {
		b.Fatal(err)
	}
	for _, bm := range []struct{ name, keyword string }{
		{"everywhere", "the"},
		{"common", "printer"},
		{"common_two", "printer reboots"},
		{"short_prefix", "pr"},
		{"site", sites[42]},
		{"rare", serial},
		{"number", "#123456"},
	} {
		match, err := casesearch.Match(bm.keyword)
		if err != nil {
			b.Fatal(err)
		}
		var matching int
		if err := db.QueryRow("SELECT count(*) FROM case_search WHERE case_search MATCH ?", match.FTS4()).Scan(&matching); err != nil {
			b.Fatal(err)
		}
		t := entsql.Table("cases")
		s := entsql.Dialect(dialect.SQLite).Select(t.C("id"), t.C("number"), t.C("title"), t.C("updated_at")).From(t)
		casesearch.OrderByRank(match)(s) // restricts too; Filter would read the index twice
		q, args := s.Limit(20).Query()
		b.Run(bm.name, func(b *testing.B) {
			b.Logf("%q matches %d cases", bm.keyword, matching)
			for b.Loop() {
				rows, err := db.Query(q, args...)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for rows.Next() {
					var id, title string
					var number int
					var updated time.Time
					if err := rows.Scan(&id, &number, &title, &updated); err != nil {
						b.Fatal(err)
					}
					n++
				}
				rows.Close()
				if n == 0 || n > 20 {
					b.Fatalf("%d rows", n)
				}
			}
		})
	}
}
