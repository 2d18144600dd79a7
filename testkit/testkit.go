// Package testkit runs partnerdesk for tests the way it runs in production:
// a real database (an SQLite file, or PostgreSQL with
// PARTNERDESK_TEST_DB=postgres), the real rules and the real HTTP handler behind an
// httptest server. It adds a SQL statement counter, a clock the test
// controls, a small GraphQL client and fixture builders that fill in
// defaults, so that each test states only what matters to it.
package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/partnerdesk/partnerdesk/app"
	"github.com/partnerdesk/partnerdesk/attachments"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/bulk"
	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/internal/pgtest"
	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/notify"
	"github.com/partnerdesk/partnerdesk/rowfilter"
	"github.com/partnerdesk/partnerdesk/store"
)

// MaxAttachmentBytes is the attachment size limit of test servers.
const MaxAttachmentBytes = 64 << 10

// PublicURL is where test servers say the portal is, in the links of
// their mail.
const PublicURL = "https://desk.test"

// Epoch is where every test clock starts.
var Epoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Env is one running partnerdesk.
type Env struct {
	t      testing.TB
	DB     *store.DB
	Client *ent.Client
	Server *httptest.Server
	Clock  *clock.Manual
	// Attachments is the store uploads go to, limited to MaxAttachmentBytes.
	Attachments *attachments.Store
	// Broker carries committed changes to subscriptions.
	Broker *events.Hub
	// Statements counts the SQL statements sent to the database.
	Statements atomic.Int64
	// Addr is the database's address; AttachmentsURL the attachment
	// store's bucket.
	Addr, AttachmentsURL string
	// Links signs the attachments' download links; instances side by side
	// share its key, as a deployment's must.
	Links *attachments.Links
	// Bulk runs the instance's bulk jobs when a test calls its Work: no
	// worker runs on its own, so that a test decides when items run.
	Bulk *bulk.Worker
}

// Option changes how New starts partnerdesk.
type Option func(*options)

type options struct {
	config      func(*httpapi.Config)
	driver      func(dialect.Driver) dialect.Driver
	beside      *Env
	attachments string
}

// Beside starts a second instance of the deployment other belongs to: on
// its database and its attachment store, with a hub of its own, as a
// second server behind a load balancer would be.
func Beside(other *Env) Option {
	return func(o *options) { o.beside = other }
}

// WithAttachments keeps attachments in the bucket at url rather than in a
// directory of the test's own. Beside shares the URL, which shares the
// bucket unless its driver opens a new one each time, as mem:// does.
func WithAttachments(url string) Option {
	return func(o *options) { o.attachments = url }
}

// WithConfig lets a test change the server's configuration; the changes
// of several apply in order.
func WithConfig(f func(*httpapi.Config)) Option {
	return func(o *options) {
		prev := o.config
		o.config = func(c *httpapi.Config) {
			if prev != nil {
				prev(c)
			}
			f(c)
		}
	}
}

// WithDriver wraps the database driver, under the statement counter.
func WithDriver(f func(dialect.Driver) dialect.Driver) Option {
	return func(o *options) { o.driver = f }
}

// New starts partnerdesk on a fresh database; it stops with the test.
// Rate limits are on, with the server's defaults, on the real clock.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	e := &Env{t: t, Clock: clock.NewManual(Epoch), Broker: &events.Hub{}}
	if o.beside != nil {
		e.Addr, e.AttachmentsURL, e.Clock, e.Links = o.beside.Addr, o.beside.AttachmentsURL, o.beside.Clock, o.beside.Links
	} else {
		e.Addr, e.AttachmentsURL = Database(t), o.attachments
		if e.AttachmentsURL == "" {
			e.AttachmentsURL = attachments.DirURL(filepath.Join(t.TempDir(), "attachments"))
		}
	}
	ctx := context.Background()
	db, err := app.Open(ctx, e.Addr, store.Options{
		Wrap: func(d dialect.Driver) dialect.Driver {
			if o.driver != nil {
				d = o.driver(d)
			}
			return &countingDriver{Driver: d, n: &e.Statements}
		},
	}, e.Broker)
	if err != nil {
		t.Fatalf("opening the database: %v", err)
	}
	e.DB, e.Client = db, db.Client
	notify.Install(db.Client, notify.Config{PublicURL: PublicURL})
	if e.Attachments, err = attachments.New(ctx, e.AttachmentsURL, MaxAttachmentBytes); err != nil {
		t.Fatalf("opening the attachment store: %v", err)
	}
	if e.Links == nil {
		e.Links, _ = attachments.NewLinks(nil, 0, e.Clock) // a random key is long enough
	}
	cfg := httpapi.Config{
		DB:             db,
		Clock:          e.Clock,
		Attachments:    e.Attachments,
		Links:          e.Links,
		Broker:         e.Broker,
		Introspection:  true,
		GzipMinBytes:   httpapi.DefaultGzipMinBytes,
		Rate:           limits.NewBuckets(limits.DefaultRate, time.Now),
		SignInFailures: limits.NewBuckets(limits.DefaultSignInFailures, time.Now),
	}
	if o.config != nil {
		o.config(&cfg)
	}
	e.Server = httptest.NewServer(httpapi.New(cfg))
	e.Bulk = &bulk.Worker{Client: db.Client, Sessions: &auth.Authenticator{Client: db.Client, Clock: e.Clock}, Clock: e.Clock, Broker: e.Broker}
	t.Cleanup(func() {
		e.Server.Close()
		e.Attachments.Close()
		db.Close()
	})
	return e
}

// Database returns the address of a new, empty database for t, dropped
// when it ends: a PostgreSQL database on the tests' own cluster when
// PARTNERDESK_TEST_DB=postgres, an SQLite file otherwise.
func Database(t testing.TB) string {
	t.Helper()
	if pgtest.Requested() {
		return pgtest.URL(t)
	}
	return filepath.Join(t.TempDir(), "partnerdesk.db")
}

// System returns a context that passes the row filters, for fixtures and
// for reading back what a request did.
func (e *Env) System() context.Context { return rowfilter.Privileged(context.Background()) }

// Response is a decoded GraphQL response.
type Response struct {
	Status     int
	Header     http.Header
	Data       json.RawMessage
	Errors     []Error
	Extensions map[string]any
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the first error's extensions.code, or "" without errors.
func (r Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// NoData reports whether the response carries no data, as when a request
// is refused before execution.
func (r Response) NoData() bool { return len(r.Data) == 0 || string(r.Data) == "null" }

// Decode unmarshals data into v, failing the test on errors in the response.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decoding %s: %v", r.Data, err)
	}
}

// Query POSTs a GraphQL operation with a bearer token ("" sends none).
func (e *Env) Query(token, query string, vars map[string]any) Response {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.Do(req)
}

// Do sends a prepared request and decodes its GraphQL response.
func (e *Env) Do(req *http.Request) Response {
	e.t.Helper()
	res, err := e.Server.Client().Do(req)
	if err != nil {
		e.t.Fatalf("request: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := Response{Status: res.StatusCode, Header: res.Header}
	var payload struct {
		Data       json.RawMessage `json:"data"`
		Errors     []Error         `json:"errors"`
		Extensions map[string]any  `json:"extensions"`
	}
	if err := json.Unmarshal(raw, &payload); err != nil {
		e.t.Fatalf("status %d, body is not GraphQL JSON: %s", res.StatusCode, raw)
	}
	out.Data, out.Errors, out.Extensions = payload.Data, payload.Errors, payload.Extensions
	return out
}

// countingDriver counts every statement, inside transactions too.
type countingDriver struct {
	dialect.Driver
	n *atomic.Int64
}

func (d *countingDriver) Exec(ctx context.Context, q string, args, v any) error {
	d.n.Add(1)
	return d.Driver.Exec(ctx, q, args, v)
}

func (d *countingDriver) Query(ctx context.Context, q string, args, v any) error {
	d.n.Add(1)
	return d.Driver.Query(ctx, q, args, v)
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, n: d.n}, nil
}

type countingTx struct {
	dialect.Tx
	n *atomic.Int64
}

func (t *countingTx) Exec(ctx context.Context, q string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Exec(ctx, q, args, v)
}

func (t *countingTx) Query(ctx context.Context, q string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Query(ctx, q, args, v)
}
