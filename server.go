// Command partnerdesk serves the partner support portal's GraphQL API.
//
//	partnerdesk [flags]                          serve (the default)
//	partnerdesk token create --email EMAIL [--expires-in 90d]
//	partnerdesk bootstrap --vendor NAME --email EMAIL
//	partnerdesk migrate                          migrate the database, then exit
//
// Every flag has an environment twin, PARTNERDESK_<FLAG> in upper case with
// dashes as underscores (--data-dir is PARTNERDESK_DATA_DIR).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"entgo.io/ent/dialect"
	"github.com/partnerdesk/partnerdesk/app"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/attachments"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/bulk"
	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/demo"
	"github.com/partnerdesk/partnerdesk/events"
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/httpapi"
	"github.com/partnerdesk/partnerdesk/limits"
	"github.com/partnerdesk/partnerdesk/mailer"
	"github.com/partnerdesk/partnerdesk/notify"
	"github.com/partnerdesk/partnerdesk/observe"
	"github.com/partnerdesk/partnerdesk/operator"
	"github.com/partnerdesk/partnerdesk/rowfilter"
	"github.com/partnerdesk/partnerdesk/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "partnerdesk:", err)
		os.Exit(1)
	}
}

// run executes one command; out receives what the command prints for its
// user (tokens), logs go to stderr.
func run(ctx context.Context, args []string, out io.Writer) error {
	// Help asked for is an answer, not a failure.
	if err := dispatch(ctx, args, out); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil
}

func dispatch(ctx context.Context, args []string, out io.Writer) error {
	switch {
	case len(args) >= 2 && args[0] == "token" && args[1] == "create":
		return tokenCreate(ctx, args[2:], out)
	case len(args) >= 1 && args[0] == "token":
		return errors.New("usage: partnerdesk token create --email EMAIL [--expires-in 90d]")
	case len(args) >= 1 && args[0] == "bootstrap":
		return bootstrap(ctx, args[1:], out)
	case len(args) >= 1 && args[0] == "migrate":
		return migrate(ctx, args[1:], out)
	}
	return serve(ctx, args, out)
}

// storeFlags are the flags every command shares.
type storeFlags struct {
	dataDir, db string
	opts        store.Options
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.dataDir, "data-dir", "./data", "directory for the database and attachments")
	fs.StringVar(&s.db, "db", "", "database: an SQLite file, or a postgres:// URL that several instances share (default <data-dir>/partnerdesk.db)")
	fs.IntVar(&s.opts.PoolSize, "db-pool-size", 10, "PostgreSQL: most connections this instance opens")
	fs.DurationVar(&s.opts.StatementTimeout, "db-statement-timeout", time.Minute, "PostgreSQL: longest any one statement may run, requests' or not (0: no limit)")
}

// addr is the database's address.
func (s *storeFlags) addr() string {
	if s.db == "" {
		return filepath.Join(s.dataDir, "partnerdesk.db")
	}
	return s.db
}

// open opens the store; changes are published to broker (nil for the
// operator commands, which serve no subscriptions).
func (s *storeFlags) open(ctx context.Context, broker events.Broker, wrap func(dialect.Driver) dialect.Driver) (*store.DB, error) {
	opts := s.opts
	opts.Wrap = wrap
	return app.Open(ctx, s.addr(), opts, broker)
}

func serve(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("partnerdesk", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	addr := fs.String("addr", ":8080", "address to listen on (demo default: 127.0.0.1:8080, this machine only)")
	demoMode := fs.Bool("demo", false, "load the demo world into an empty database and print a token per persona")
	origins := fs.String("cors-origins", "", "comma-separated browser origins allowed to call the API (demo default: any)")
	corsHeaders := fs.String("cors-headers", strings.Join(httpapi.DefaultCORSHeaders, ","), "comma-separated request headers those origins may send")
	corsCredentials := fs.Bool("cors-credentials", false, "let those origins send credentials (cookies, for a gateway in front; the API reads only Authorization)")
	introspection := fs.Bool("introspection", false, "allow schema introspection (on in demo mode)")
	maxBody := fs.Int64("max-body-bytes", httpapi.DefaultMaxBodyBytes, "largest JSON request body, and the operations part of an upload (413 beyond)")
	gzipMin := fs.Int("gzip-min-bytes", httpapi.DefaultGzipMinBytes, "smallest response gzipped for a client that accepts it (0 turns compression off)")
	maxAttachment := fs.Int64("max-attachment-bytes", 25<<20, "largest file a case attachment may be")
	linkKey := fs.String("download-key", "", "key (32 bytes or more) that signs attachment download links; instances behind one address need the same (default: random at each start; prefer the environment twin)")
	linkTTL := fs.Duration("download-link-ttl", attachments.DefaultLinkTTL, "how long a signed attachment download link works")
	attachmentsURL := fs.String("attachments-url", "", "where attachments are kept: file:///dir, or s3://bucket?region=R (&endpoint=URL&use_path_style=true for MinIO and other S3 compatibles) that several instances share (default <data-dir>/attachments)")
	lim := limitFlags(fs)
	rateFlags := bucketFlags(fs, "rate-limit", limits.DefaultRate,
		"each caller's cost bucket: points it holds (a request spends 1 + 1 per 100 nodes it may return; 0 turns the limit off)",
		"points restored per second")
	failFlags := bucketFlags(fs, "sign-in-failures", limits.DefaultSignInFailures,
		"failed sign-ins an address may make before it is slowed down (0 turns the limit off)",
		"failed sign-ins forgiven per second")
	publicURL := fs.String("public-url", "http://localhost:8080", "where people open the portal; mail links to cases and grants under it")
	drainPeriod := fs.Duration("drain-period", 10*time.Second, "on SIGTERM, how long /readyz answers 503 while the server still serves, before it stops listening (demo default: 0)")
	retention := fs.Duration("event-retention", events.DefaultRetention, "how far back a client may resume the event history (caseEvents and grantEvents after:, the event feeds); an older cursor is refused with CURSOR_EXPIRED")
	drain := fs.Duration("drain-timeout", 30*time.Second, "once the server stops listening, how long in-flight requests may take to finish before they are stopped")
	var smtp mailer.SMTP
	fs.StringVar(&smtp.Addr, "smtp-addr", "", "SMTP server host:port for outgoing mail (default: keep mail queued in the database outbox)")
	fs.StringVar(&smtp.From, "smtp-from", "partnerdesk@localhost", "sender address of outgoing mail")
	fs.StringVar(&smtp.Username, "smtp-username", "", "SMTP user to authenticate as (none: no AUTH)")
	fs.StringVar(&smtp.Password, "smtp-password", "", "SMTP password, or the OAuth 2.0 access token for XOAUTH2 (prefer the environment twin)")
	fs.Func("smtp-auth", "SMTP AUTH mechanism: PLAIN, LOGIN or XOAUTH2 (default PLAIN)", func(v string) error {
		smtp.Auth = mailer.Auth(strings.ToUpper(v))
		return nil
	})
	fs.Func("smtp-tls", "how the SMTP connection is secured: none, starttls (required, port 587) or implicit (port 465) (default none)", func(v string) error {
		smtp.TLS = mailer.TLSMode(strings.ToLower(v))
		return nil
	})
	mailEvery := fs.Duration("mail-interval", 10*time.Second, "how often the sender looks for mail due in the outbox")
	bulkEvery := fs.Duration("bulk-interval", time.Second, "how often the bulk worker looks for bulk jobs to run")
	bounceSecret := fs.String("bounce-secret", "", "shared secret of POST /hooks/bounce, where the mail provider reports bounces and complaints (none: no endpoint; prefer the environment twin)")
	logFormat := fs.String("log-format", "json", "log format: json (one object a line) or text (key=value)")
	logLevel := fs.String("log-level", "info", "least severe log level written: debug, info, warn or error")
	metricsAddr := fs.String("metrics-addr", "127.0.0.1:9464", "address serving Prometheus metrics at /metrics, apart from the API (empty: no metrics)")
	otlpEndpoint := fs.String("otlp-endpoint", "", "OpenTelemetry collector URL to export traces to over OTLP/HTTP, e.g. http://localhost:4318 (empty: no tracing); OTEL_* variables tune it")
	set, err := parse(fs, args, out)
	if err != nil {
		return err
	}
	if smtp.Addr != "" {
		if err := smtp.Check(); err != nil {
			return fmt.Errorf("--smtp-tls or --smtp-auth: %w", err)
		}
	}
	logger, err := observe.NewLogger(os.Stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	slog.SetDefault(logger)
	obs := &observe.Observer{Log: logger}
	var traceSQL func(dialect.Driver) dialect.Driver
	if *otlpEndpoint != "" {
		tp, err := observe.OTLP(ctx, *otlpEndpoint)
		if err != nil {
			return fmt.Errorf("--otlp-endpoint: %w", err)
		}
		defer flushTraces(tp)
		obs.Tracer = tp
		traceSQL = observe.TraceSQL(tp)
	}
	if rateFlags.Capacity > 0 {
		if err := limits.CheckRate(lim.MaxComplexity, rateFlags.Capacity); err != nil {
			return fmt.Errorf("--rate-limit or --max-complexity: %w", err)
		}
	}

	hub := &events.Hub{}
	db, err := sf.open(ctx, hub, traceSQL)
	if err != nil {
		return err
	}
	defer db.Close()
	if *metricsAddr != "" {
		obs.Metrics = observe.NewMetrics()
		obs.Metrics.OutboxDepth(func() (int, error) { return mailer.Depth(context.Background(), db.Client) })
		stopMetrics, err := serveMetrics(*metricsAddr, obs.Metrics)
		if err != nil {
			return fmt.Errorf("--metrics-addr: %w", err)
		}
		defer stopMetrics()
	}

	if *attachmentsURL == "" {
		*attachmentsURL = attachments.DirURL(filepath.Join(sf.dataDir, "attachments"))
	}
	files, err := attachments.New(ctx, *attachmentsURL, *maxAttachment)
	if err != nil {
		return err
	}
	defer files.Close()

	var key []byte
	if *linkKey != "" {
		key = []byte(*linkKey)
	} else if !*demoMode {
		slog.Warn("no --download-key: download links are signed with a random key, and break at a restart or on another instance")
	}
	links, err := attachments.NewLinks(key, *linkTTL, clock.System)
	if err != nil {
		return fmt.Errorf("--download-key: %w", err)
	}

	allowed := splitList(*origins)
	if *demoMode {
		if err := loadDemo(ctx, db, out); err != nil {
			return err
		}
		if len(allowed) == 0 && !*corsCredentials {
			allowed = []string{"*"}
		}
		if !set["introspection"] {
			*introspection = true
		}
		if !set["drain-period"] {
			*drainPeriod = 0 // no load balancer to tell
		}
		if !set["addr"] {
			// The demo prints tokens and allows any origin: it is not
			// for the network to reach.
			*addr = "127.0.0.1:8080"
		}
	}
	// After the demo world: its history is not news to anyone.
	notify.Install(db.Client, notify.Config{PublicURL: *publicURL})

	if *corsCredentials && slices.Contains(allowed, "*") {
		return errors.New("--cors-credentials needs --cors-origins to name the origins: any site could otherwise call with the user's cookies")
	}

	// Requests derive from base, which is cancelled only when
	// --drain-timeout runs out; websockets and event streams end as soon as
	// the listener closes, instead of holding the server open.
	base, cancelBase := context.WithCancelCause(context.Background())
	defer cancelBase(nil)
	streams, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	draining, startDraining := context.WithCancel(context.Background())
	defer startDraining()
	srv := &http.Server{
		Addr: *addr,
		Handler: httpapi.New(httpapi.Config{
			DB:              db,
			Clock:           clock.System,
			Attachments:     files,
			Links:           links,
			BounceSecret:    *bounceSecret,
			Broker:          hub,
			EventRetention:  *retention,
			CORSOrigins:     allowed,
			CORSHeaders:     splitList(*corsHeaders),
			CORSCredentials: *corsCredentials,
			Introspection:   *introspection,
			MaxBodyBytes:    *maxBody,
			GzipMinBytes:    *gzipMin,
			Limits:          *lim,
			Rate:            rateFlags.buckets(),
			SignInFailures:  failFlags.buckets(),
			Streams:         streams,
			Draining:        draining,
			Observe:         obs,
		}),
		BaseContext:       func(net.Listener) context.Context { return base },
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// No WriteTimeout: subscriptions stream for as long as they live;
		// queries are bounded by --request-timeout instead.
	}
	srv.RegisterOnShutdown(endStreams)

	go schedule(base, db)
	worker := &bulk.Worker{Client: db.Client, Sessions: &auth.Authenticator{Client: db.Client, Clock: clock.System},
		Clock: clock.System, Broker: hub}
	// The worker and the sender stop before the database closes under
	// them; a job or a mail attempt they leave is taken over when its
	// lease lapses (a job at its first unfinished item).
	defer background(cancelBase, func() { worker.Run(base, *bulkEvery) })()
	if smtp.Addr != "" {
		sender := &mailer.Sender{Client: db.Client, Transport: &smtp, Clock: clock.System,
			Rechecks: notify.Rechecks(clock.System), Failed: obs.Metrics.OutboxFailed}
		defer background(cancelBase, func() { sender.Run(base, *mailEvery) })()
	} else {
		slog.Warn("no --smtp-addr: mail stays queued in the database outbox")
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	slog.Info("serving", "addr", ln.Addr().String(), "graphiql", "http://"+displayAddr(ln.Addr())+"/")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Drain in order: first tell the load balancer (readiness fails) while
	// still serving whoever comes, then stop listening and end the streams,
	// so that their clients reconnect to another instance, and let the
	// requests in flight finish.
	slog.Info("draining: /readyz answers 503", "drain_period", *drainPeriod)
	startDraining()
	select {
	case err := <-errc:
		return err
	case <-drainPeriodOver(*drainPeriod):
	}
	slog.Info("shutting down: closing the listener and the streams, finishing in-flight requests", "drain_timeout", *drain)
	drainCtx, cancel := context.WithTimeout(context.Background(), *drain)
	defer cancel()
	if err := srv.Shutdown(drainCtx); !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	// What still runs is stopped: its SQL is interrupted, a mutation rolls
	// back, and its client is told it was cancelled.
	slog.Warn("drain period over: stopping the requests still running")
	cancelBase(apperr.ErrCancelled)
	return srv.Close()
}

// serveMetrics serves m at /metrics on addr, apart from the API so that
// it can stay on a private interface; the returned func stops it.
func serveMetrics(addr string, m *observe.Metrics) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
	slog.Info("serving metrics", "addr", ln.Addr().String(), "path", "/metrics")
	go srv.Serve(ln)
	return func() { srv.Close() }, nil
}

// flushTraces sends the spans still buffered before the process exits.
func flushTraces(tp interface{ Shutdown(context.Context) error }) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tp.Shutdown(ctx); err != nil {
		slog.Warn("flushing traces", "error", err)
	}
}

// drainPeriodOver is when the drain period ends; a test ends it itself.
var drainPeriodOver = time.After

// limitFlags registers a flag for each limit of limits.Config.
func limitFlags(fs *flag.FlagSet) *limits.Config {
	c := limits.Defaults
	fs.DurationVar(&c.Timeout, "request-timeout", c.Timeout, "longest a query or mutation may run; its SQL is interrupted")
	fs.Int64Var(&c.MaxResponseBytes, "max-response-bytes", c.MaxResponseBytes, "largest response of a query or mutation")
	fs.IntVar(&c.MaxQueryBytes, "max-query-bytes", c.MaxQueryBytes, "longest GraphQL document, in bytes")
	fs.IntVar(&c.MaxTokens, "max-query-tokens", c.MaxTokens, "most parser tokens in a GraphQL document")
	fs.IntVar(&c.MaxDepth, "max-depth", c.MaxDepth, "deepest nesting of fields (Relay's edges and node count)")
	fs.Int64Var(&c.MaxComplexity, "max-complexity", c.MaxComplexity, "most nodes an operation may return: each connection's first or last times those around it")
	fs.IntVar(&c.MaxSelectionFields, "max-selection-fields", c.MaxSelectionFields, "most fields in one selection, fragments expanded")
	fs.IntVar(&c.MaxFields, "max-fields", c.MaxFields, "most fields in a document, fragments expanded")
	fs.IntVar(&c.MaxAliases, "max-aliases", c.MaxAliases, "most aliased fields in a document")
	fs.IntVar(&c.MaxDirectives, "max-directives", c.MaxDirectives, "most directives in a document")
	fs.IntVar(&c.MaxListValues, "max-list-values", c.MaxListValues, "most values in one list argument (ids, …In, or, and)")
	fs.IntVar(&c.MaxInputValues, "max-input-values", c.MaxInputValues, "most values in all the arguments of an operation")
	return &c
}

// bucket is a token bucket's size, from two flags.
type bucket struct{ limits.Size }

func bucketFlags(fs *flag.FlagSet, name string, def limits.Size, capacityUsage, restoreUsage string) *bucket {
	b := &bucket{}
	fs.IntVar(&b.Capacity, name, def.Capacity, capacityUsage)
	fs.Float64Var(&b.PerSecond, name+"-restore", def.PerSecond, restoreUsage)
	return b
}

// buckets returns the buckets the flags describe, or nil for a limit
// turned off.
func (b *bucket) buckets() *limits.Buckets {
	if b.Capacity <= 0 {
		return nil
	}
	return limits.NewBuckets(b.Size, clock.System.Now)
}

// schedule does the work time brings (grant expiries and expiry warnings)
// at start and then every minute, until ctx ends. Access never waits for
// it: every check compares times itself.
// background runs run in a goroutine, and returns what stops it: cancel,
// which ends the context run follows, then the wait for run to return.
func background(cancel context.CancelCauseFunc, run func()) (stop func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		run()
	}()
	return func() {
		cancel(nil)
		<-done
	}
}

func schedule(ctx context.Context, db *store.DB) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		if err := grants.Tick(ctx, db.Client, clock.System.Now()); err != nil && ctx.Err() == nil {
			slog.Error("scheduled grant work", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// loadDemo fills an empty database with the demo world; on every start it
// prints a fresh token for each persona, as tokens cannot be shown again.
func loadDemo(ctx context.Context, db *store.DB, out io.Writer) error {
	now := clock.System.Now()
	n, err := db.Client.Organization.Query().Count(rowfilter.Privileged(ctx))
	if err != nil {
		return err
	}
	if n == 0 {
		if _, err := demo.Load(ctx, db.Client, now); err != nil {
			return fmt.Errorf("loading the demo world: %w", err)
		}
	}
	fmt.Fprintln(out, "Demo personas (send as Authorization: Bearer <token>):")
	for _, p := range demo.Personas() {
		token, err := operator.CreateToken(ctx, db.Client, p.Email, 0, now)
		if err != nil {
			fmt.Fprintf(out, "  %-22s %-36s (no token: %v)\n", p.Key, p.Email, err)
			continue
		}
		fmt.Fprintf(out, "  %-22s %-36s %s\n", p.Key, p.Email, token)
	}
	return nil
}

func tokenCreate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	email := fs.String("email", "", "email of the contact the token signs in as")
	expiresIn := fs.String("expires-in", "", "lifetime such as 90d or 12h (default: never expires)")
	if _, err := parse(fs, args, out); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("--email is required")
	}
	var ttl time.Duration
	if *expiresIn != "" {
		var err error
		if ttl, err = operator.ParseTTL(*expiresIn); err != nil {
			return err
		}
	}
	db, err := sf.open(ctx, nil, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := operator.CreateToken(ctx, db.Client, *email, ttl, clock.System.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(out, token)
	return nil
}

func bootstrap(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	vendor := fs.String("vendor", "", "name of the vendor organisation")
	email := fs.String("email", "", "email of its first admin")
	if _, err := parse(fs, args, out); err != nil {
		return err
	}
	if *vendor == "" || *email == "" {
		return errors.New("--vendor and --email are required")
	}
	db, err := sf.open(ctx, nil, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := operator.Bootstrap(ctx, db.Client, *vendor, *email, clock.System.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(out, token)
	return nil
}

// migrate brings the database up to this version and exits, for deploy
// pipelines that migrate before they start (or replace) instances. Servers
// migrate at start too; the lock makes either way run once.
func migrate(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var sf storeFlags
	sf.register(fs)
	if _, err := parse(fs, args, out); err != nil {
		return err
	}
	db, err := app.Migrate(ctx, sf.addr(), sf.opts)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "migrated")
	return db.Close()
}

// parse reads the command line, then fills each flag not given there from
// its environment twin, parsed exactly as the flag would be. It returns the
// names of the flags set either way.
func parse(fs *flag.FlagSet, args []string, out io.Writer) (map[string]bool, error) {
	// The flag package would print its own usage on any error; --help gets
	// ours, on out, and an error is only reported.
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(fs, out)
			return nil, err
		}
		return nil, fmt.Errorf("%w (--help lists the flags)", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		v, ok := os.LookupEnv(name)
		if !ok || set[f.Name] || err != nil {
			return
		}
		if serr := fs.Set(f.Name, v); serr != nil {
			err = fmt.Errorf("%s=%q: %v", name, v, serr)
			return
		}
		set[f.Name] = true
	})
	return set, err
}

// commands is the synopsis of every command, which --help starts with.
const commands = `partnerdesk serves the partner support portal's GraphQL API.

Usage:
  partnerdesk [flags]                                        serve (the default)
  partnerdesk token create --email EMAIL [--expires-in 90d]  print a new access token for a contact
  partnerdesk bootstrap --vendor NAME --email EMAIL          create the vendor and its first admin, print the admin's token
  partnerdesk migrate                                        bring the database up to this version, then exit
  partnerdesk COMMAND --help                                 this help, with that command's flags

Every flag has an environment twin, shown in brackets: PARTNERDESK_ and the
flag's name in upper case, dashes as underscores. The command line wins over
the environment.
`

// usage prints the commands, then every flag of fs with its environment
// twin and its default.
func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, "%s\nFlags of %q:\n", commands, fs.Name())
	fs.VisitAll(func(f *flag.Flag) {
		kind, help := flag.UnquoteUsage(f)
		if kind != "" {
			kind = " " + kind
		}
		fmt.Fprintf(w, "  --%s%s  [$%s]\n", f.Name, kind, envName(f.Name))
		switch {
		case f.DefValue == "" || f.DefValue == "false" || f.DefValue == "0":
		case kind == " string":
			help += fmt.Sprintf(" (default %q)", f.DefValue)
		default:
			help += " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(w, "        %s\n", help)
	})
}

// envName is the environment twin of flag name.
func envName(name string) string {
	return "PARTNERDESK_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func displayAddr(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
