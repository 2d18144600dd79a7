// Package limits bounds what one GraphQL request may cost (SPEC §8). It is a
// gqlgen handler extension that refuses, before any resolver runs or any SQL
// is issued, a document too large for the parser, too deep, too wide or too
// costly, and arguments with too many values; it then bounds the running
// operation in time and in response size, and spends its cost from the
// caller's rate-limit bucket.
//
// The checks come in the order their inputs allow:
//   - Document (before gqlgen validates, whose rules are quadratic in the
//     fields of a selection): bytes, parser tokens, fields per selection and
//     in all once fragments are expanded, aliases, directives, depth.
//   - Operation (once validated, with the variables): introspection,
//     page sizes, argument values, complexity.
//   - Budget (while it runs): a deadline and a response size.
package limits

import (
	"context"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/partnerdesk/partnerdesk/apperr"
)

// Config holds the limits. A zero field takes its default (Defaults).
type Config struct {
	// MaxQueryBytes bounds the text of a document.
	MaxQueryBytes int
	// MaxTokens bounds the parser tokens of a document.
	MaxTokens int
	// MaxDepth bounds how deep fields nest; Relay's edges and node count.
	MaxDepth int
	// MaxSelectionFields bounds the fields of one selection set once its
	// fragments are expanded, duplicates included.
	MaxSelectionFields int
	// MaxFields bounds the fields of a whole document once its fragments
	// are expanded.
	MaxFields int
	// MaxAliases bounds the aliased fields of a document (expanded).
	MaxAliases int
	// MaxDirectives bounds the directives of a document (expanded).
	MaxDirectives int
	// MaxComplexity bounds the nodes an operation may return: the sum, over
	// its connections and lists, of the page each asks for times the pages
	// of the lists around it (GitHub's node count).
	MaxComplexity int64
	// MaxListValues bounds the values of one list argument (ids, …In, or).
	MaxListValues int
	// MaxInputValues bounds the values in all the arguments of an operation.
	MaxInputValues int
	// MaxInputDepth bounds how deep input objects and lists nest.
	MaxInputDepth int
	// ListEstimate is what a list without a page size counts as.
	ListEstimate int64

	// Timeout bounds a query or mutation; subscriptions live as long as
	// their connection.
	Timeout time.Duration
	// MaxResponseBytes bounds the response of a query or mutation (an
	// estimate of its JSON, counted as fields resolve).
	MaxResponseBytes int64

	// Introspection allows __schema and __type.
	Introspection bool
	// Scalars checks the values of custom scalars, by scalar name, before
	// anything runs: a value that would fail later is refused up front.
	Scalars map[string]func(any) error

	// Rate spends each operation's cost from its caller's bucket; nil
	// turns rate limiting off.
	Rate *Buckets
	// Caller names the bucket of the operation in ctx; "" spends nothing.
	Caller func(ctx context.Context) string
}

// Defaults are the limits a zero Config field takes.
var Defaults = Config{
	MaxQueryBytes:      32 << 10,
	MaxTokens:          5000,
	MaxDepth:           15,
	MaxSelectionFields: 200,
	MaxFields:          2000,
	MaxAliases:         30,
	MaxDirectives:      50,
	MaxComplexity:      25000,
	MaxListValues:      100,
	MaxInputValues:     1000,
	MaxInputDepth:      10,
	ListEstimate:       10,
	Timeout:            30 * time.Second,
	MaxResponseBytes:   8 << 20,
}

func (c *Config) fill() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxQueryBytes, Defaults.MaxQueryBytes)
	def(&c.MaxTokens, Defaults.MaxTokens)
	def(&c.MaxDepth, Defaults.MaxDepth)
	def(&c.MaxSelectionFields, Defaults.MaxSelectionFields)
	def(&c.MaxFields, Defaults.MaxFields)
	def(&c.MaxAliases, Defaults.MaxAliases)
	def(&c.MaxDirectives, Defaults.MaxDirectives)
	def(&c.MaxListValues, Defaults.MaxListValues)
	def(&c.MaxInputValues, Defaults.MaxInputValues)
	def(&c.MaxInputDepth, Defaults.MaxInputDepth)
	if c.MaxComplexity == 0 {
		c.MaxComplexity = Defaults.MaxComplexity
	}
	if c.ListEstimate == 0 {
		c.ListEstimate = Defaults.ListEstimate
	}
	if c.Timeout == 0 {
		c.Timeout = Defaults.Timeout
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = Defaults.MaxResponseBytes
	}
}

// Extension is the gqlgen handler extension that applies a Config.
type Extension struct {
	cfg    Config
	schema *ast.Schema // set by Validate, when the server takes the extension
	// early bounds the JSON variables, read before the operation is known:
	// cfg, loosened so that a list of a bulk mutation's items (@maxItems)
	// reaches the operation's own check, which bounds it exactly.
	early Config
}

// New returns the extension for cfg, its zero fields set to the defaults.
// It panics when CheckRate would fail.
func New(cfg Config) *Extension {
	cfg.fill()
	if cfg.Rate != nil {
		if err := CheckRate(cfg.MaxComplexity, cfg.Rate.capacity); err != nil {
			panic(err)
		}
	}
	return &Extension{cfg: cfg, early: cfg}
}

// CheckRate fails when a rate bucket of capacity points could never hold
// the costliest operation maxComplexity admits: that operation would be
// refused forever.
func CheckRate(maxComplexity int64, capacity int) error {
	if maxComplexity == 0 {
		maxComplexity = Defaults.MaxComplexity
	}
	if need := Points(maxComplexity); need > int64(capacity) {
		return fmt.Errorf("a rate-limit bucket of %d points cannot pay for the most complex operation allowed (%d nodes cost %d points)",
			capacity, maxComplexity, need)
	}
	return nil
}

// Config returns the limits in force, defaults filled in.
func (e *Extension) Config() Config { return e.cfg }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
	graphql.OperationInterceptor
	graphql.FieldInterceptor
	graphql.ResponseInterceptor
} = (*Extension)(nil)

// ExtensionName names the extension in gqlgen's list.
func (*Extension) ExtensionName() string { return "Limits" }

// Validate keeps the schema, whose types the argument checks follow.
func (e *Extension) Validate(es graphql.ExecutableSchema) error {
	e.schema = es.Schema()
	e.early = e.cfg
	if items, values := bulkBounds(e.schema); items > 0 {
		e.early.MaxListValues = max(e.cfg.MaxListValues, 2*items)
		e.early.MaxInputValues = e.cfg.MaxInputValues + 2*items*values
	}
	return nil
}

// MutateOperationParameters checks the document's text before gqlgen parses
// and validates it. A document gqlgen has cached already passed.
func (e *Extension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if err := e.checkDocument(p.Query); err != nil {
		return gqlError(err)
	}
	return nil
}

// MutateOperationContext checks the validated operation with its variables
// and records its cost.
func (e *Extension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	cost, err := e.checkOperation(oc)
	if err != nil {
		return gqlError(err)
	}
	oc.Stats.SetExtension(costKey, cost)
	return nil
}

func gqlError(e *apperr.Error) *gqlerror.Error {
	return &gqlerror.Error{Message: e.Message, Err: e}
}
