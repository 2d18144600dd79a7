package limits

import (
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"

	"github.com/partnerdesk/partnerdesk/apperr"
)

// checkDocument bounds a document before gqlgen parses and validates it.
// It reads the document's tokens once, up to MaxTokens, without building
// the syntax tree (parsing allocates a node per field: it is the cost an
// attack would buy), and keeps only a summary of each selection set. The
// summaries of fragments are then expanded once each (memoised), so that
// a fan-out of fragments costs its size, not its expansion.
//
// A document it cannot read is left to gqlgen, which reports the syntax
// error; the token limit bounds that parse too.
func (e *Extension) checkDocument(query string) *apperr.Error {
	c := &e.cfg
	if err := c.queryBytes(query); err != nil {
		return err
	}
	sc := &skim{cfg: c, lx: lexer.New(&ast.Source{Input: query}), fragments: map[string]*set{}, input: inputBound{cfg: c}}
	sc.next()
	ops := sc.document()
	if sc.err != nil || sc.broken {
		return sc.err // nil for a syntax error
	}
	w := &expansion{cfg: c, fragments: sc.fragments, memo: map[string]*shape{}}
	var all shape
	for _, op := range ops {
		all.add(w.shape(op))
	}
	for name := range sc.fragments { // fragments no operation spreads are validated too
		w.fragment(name)
	}
	switch {
	case w.err != nil:
		return w.err
	case all.total > int64(c.MaxFields):
		return tooManyInDocument(c, all.total)
	case all.depth > int64(c.MaxDepth):
		return apperr.Limited(apperr.QueryTooComplex, "DEPTH", int64(c.MaxDepth), all.depth,
			"the query nests %d fields deep; at most %d are allowed (edges and node count)", all.depth, c.MaxDepth)
	case all.aliases > int64(c.MaxAliases):
		return tooManyAliases(c, all.aliases)
	case all.directives > int64(c.MaxDirectives):
		return tooManyDirectives(c, all.directives)
	}
	return nil
}

func tooManyInDocument(c *Config, n int64) *apperr.Error {
	return apperr.Limited(apperr.TooManyFields, "DOCUMENT", int64(c.MaxFields), n,
		"the query selects %d or more fields once its fragments are expanded; at most %d are allowed", n, c.MaxFields)
}

func tooManyAliases(c *Config, n int64) *apperr.Error {
	return apperr.Limited(apperr.TooManyAliases, "", int64(c.MaxAliases), n,
		"the query has %d or more aliases; at most %d are allowed", n, c.MaxAliases)
}

func tooManyDirectives(c *Config, n int64) *apperr.Error {
	return apperr.Limited(apperr.TooManyDirectives, "", int64(c.MaxDirectives), n,
		"the query has %d or more directives; at most %d are allowed", n, c.MaxDirectives)
}

// set summarises one selection set as written: its own fields, aliases
// and directives, the selection sets under its fields, and the inline
// fragments and fragment spreads whose fields count as its own.
type set struct {
	fields, aliases, directives int64
	children, inline            []*set
	spreads                     []string
}

// skim reads a document's tokens by the grammar of executable documents,
// summarising selection sets and bounding argument values as it goes.
type skim struct {
	cfg       *Config
	lx        lexer.Lexer
	tok       lexer.Token
	tokens    int
	input     inputBound
	fragments map[string]*set
	// written counts what the document spells out; once it passes a limit
	// on what it expands to, it is refused without reading further.
	written shape
	err     *apperr.Error // a limit was exceeded
	broken  bool          // not a document: gqlgen will say why
}

func (s *skim) stopped() bool { return s.err != nil || s.broken }

// next moves to the next token that is not a comment, counting every one.
func (s *skim) next() {
	for !s.stopped() {
		s.tokens++
		if s.tokens > s.cfg.MaxTokens {
			s.err = apperr.Limited(apperr.QueryTooLarge, "TOKENS", int64(s.cfg.MaxTokens), int64(s.tokens),
				"the query has more than %d tokens", s.cfg.MaxTokens)
			return
		}
		tok, err := s.lx.ReadToken()
		if err != nil {
			s.broken = true
			return
		}
		if s.tok = tok; tok.Kind != lexer.Comment {
			return
		}
	}
}

func (s *skim) is(k lexer.Type) bool { return !s.stopped() && s.tok.Kind == k }

func (s *skim) isName(v string) bool { return s.is(lexer.Name) && s.tok.Value == v }

// expect consumes a token of kind k, or marks the document broken.
func (s *skim) expect(k lexer.Type) string {
	if !s.is(k) {
		s.broken = true
		return ""
	}
	v := s.tok.Value
	s.next()
	return v
}

func (s *skim) document() []*set {
	var ops []*set
	for !s.stopped() && !s.is(lexer.EOF) {
		switch {
		case s.is(lexer.BraceL):
			ops = append(ops, s.selectionSet())
		case s.isName("fragment"):
			s.next()
			name := s.expect(lexer.Name)
			if !s.isName("on") {
				s.broken = true
				break
			}
			s.next()
			s.expect(lexer.Name)
			d := s.directives()
			body := s.selectionSet()
			body.directives = sat(body.directives + d)
			s.fragments[name] = body
		case s.isName("query"), s.isName("mutation"), s.isName("subscription"):
			s.next()
			if s.is(lexer.Name) {
				s.next()
			}
			if s.is(lexer.ParenL) {
				s.variableDefinitions()
			}
			d := s.directives()
			op := s.selectionSet()
			op.directives = sat(op.directives + d)
			ops = append(ops, op)
		default:
			s.broken = true
		}
	}
	return ops
}

func (s *skim) selectionSet() *set {
	out := &set{}
	s.expect(lexer.BraceL)
	for !s.stopped() && !s.is(lexer.BraceR) {
		switch {
		case s.is(lexer.Spread):
			s.next()
			switch {
			case s.isName("on"):
				s.next()
				s.expect(lexer.Name)
				fallthrough
			case s.is(lexer.At), s.is(lexer.BraceL):
				d := s.directives()
				in := s.selectionSet()
				in.directives = sat(in.directives + d)
				out.inline = append(out.inline, in)
			default:
				out.spreads = append(out.spreads, s.expect(lexer.Name))
				out.directives = sat(out.directives + s.directives())
			}
		case s.is(lexer.Name):
			s.field(out)
		default:
			s.broken = true
		}
	}
	s.expect(lexer.BraceR)
	return out
}

func (s *skim) field(out *set) {
	name := s.expect(lexer.Name)
	if s.is(lexer.Colon) {
		s.next()
		if alias := name; s.expect(lexer.Name) != alias {
			out.aliases++
			if s.written.aliases++; s.written.aliases > int64(s.cfg.MaxAliases) {
				s.err = tooManyAliases(s.cfg, s.written.aliases)
				return
			}
		}
	}
	if out.fields++; out.fields > int64(s.cfg.MaxSelectionFields) {
		s.err = tooManyInSelection(s.cfg, out.fields)
		return
	}
	if s.written.total++; s.written.total > int64(s.cfg.MaxFields) {
		s.err = tooManyInDocument(s.cfg, s.written.total)
		return
	}
	if s.is(lexer.ParenL) {
		s.arguments()
	}
	out.directives = sat(out.directives + s.directives())
	if s.is(lexer.BraceL) {
		out.children = append(out.children, s.selectionSet())
	}
}

func tooManyInSelection(c *Config, n int64) *apperr.Error {
	return apperr.Limited(apperr.TooManyFields, "SELECTION", int64(c.MaxSelectionFields), n,
		"a selection has %d or more fields once its fragments are expanded; at most %d are allowed", n, c.MaxSelectionFields)
}

// arguments reads `(name: value …)`.
func (s *skim) arguments() {
	s.expect(lexer.ParenL)
	for !s.stopped() && !s.is(lexer.ParenR) {
		name := s.expect(lexer.Name)
		s.expect(lexer.Colon)
		s.value(name, 0)
	}
	s.expect(lexer.ParenR)
}

func (s *skim) directives() int64 {
	var n int64
	for s.is(lexer.At) {
		s.next()
		s.expect(lexer.Name)
		if s.is(lexer.ParenL) {
			s.arguments()
		}
		n++
		if s.written.directives++; s.written.directives > int64(s.cfg.MaxDirectives) {
			s.err = tooManyDirectives(s.cfg, s.written.directives)
			return n
		}
	}
	return n
}

// value reads a literal, bounded as every argument value is.
func (s *skim) value(path string, depth int) {
	if s.stopped() {
		return
	}
	if s.err = s.input.value(path, depth); s.err != nil {
		return
	}
	switch {
	case s.is(lexer.Dollar):
		s.next()
		s.expect(lexer.Name)
	case s.is(lexer.BracketL):
		s.next()
		for n := 1; !s.stopped() && !s.is(lexer.BracketR); n++ {
			if s.err = s.input.list(path, n); s.err != nil {
				return
			}
			s.value(path, depth+1)
		}
		s.expect(lexer.BracketR)
	case s.is(lexer.BraceL):
		s.next()
		for !s.stopped() && !s.is(lexer.BraceR) {
			key := s.expect(lexer.Name)
			s.expect(lexer.Colon)
			s.value(path+"."+key, depth+1)
		}
		s.expect(lexer.BraceR)
	case s.is(lexer.Name), s.is(lexer.Int), s.is(lexer.Float), s.is(lexer.String), s.is(lexer.BlockString):
		s.next()
	default:
		s.broken = true
	}
}

// variableDefinitions reads `($name: Type = default @directive …)`.
func (s *skim) variableDefinitions() {
	s.expect(lexer.ParenL)
	for !s.stopped() && !s.is(lexer.ParenR) {
		s.expect(lexer.Dollar)
		name := s.expect(lexer.Name)
		s.expect(lexer.Colon)
		s.typeRef(0)
		if s.is(lexer.Equals) {
			s.next()
			s.value(name, 0)
		}
		s.directives()
	}
	s.expect(lexer.ParenR)
}

func (s *skim) typeRef(depth int) {
	if depth > s.cfg.MaxInputDepth {
		s.broken = true // validation refuses such a type anyway
		return
	}
	if s.is(lexer.BracketL) {
		s.next()
		s.typeRef(depth + 1)
		s.expect(lexer.BracketR)
	} else {
		s.expect(lexer.Name)
	}
	if s.is(lexer.Bang) {
		s.next()
	}
}

// shape is what a selection set amounts to once its fragments are
// expanded. Counts saturate rather than overflow: a fan-out of fragments
// can describe more fields than an int64 holds.
type shape struct {
	flat, total, depth, aliases, directives int64
}

const saturated = int64(1) << 40

func sat(v int64) int64 { return min(v, saturated) }

func (s *shape) add(o shape) {
	s.flat = sat(s.flat + o.flat)
	s.total = sat(s.total + o.total)
	s.depth = max(s.depth, o.depth)
	s.aliases = sat(s.aliases + o.aliases)
	s.directives = sat(s.directives + o.directives)
}

// expansion works out the shapes of selection sets, expanding each
// fragment once.
type expansion struct {
	cfg       *Config
	fragments map[string]*set
	memo      map[string]*shape // nil value: being expanded (a cycle)
	err       *apperr.Error
}

func (w *expansion) shape(s *set) shape {
	out := shape{flat: s.fields, total: s.fields, aliases: s.aliases, directives: s.directives}
	if s.fields > 0 {
		out.depth = 1
	}
	for _, c := range s.children {
		child := w.shape(c)
		out.total = sat(out.total + child.total)
		out.depth = max(out.depth, child.depth+1)
		out.aliases = sat(out.aliases + child.aliases)
		out.directives = sat(out.directives + child.directives)
	}
	for _, in := range s.inline {
		out.add(w.shape(in))
	}
	for _, name := range s.spreads {
		out.add(w.fragment(name))
	}
	if out.flat > int64(w.cfg.MaxSelectionFields) && w.err == nil {
		w.err = tooManyInSelection(w.cfg, out.flat)
	}
	return out
}

// fragment expands a named fragment once; a cycle or an unknown name
// counts as nothing here, and validation reports it.
func (w *expansion) fragment(name string) shape {
	if s, ok := w.memo[name]; ok {
		if s == nil {
			return shape{}
		}
		return *s
	}
	def := w.fragments[name]
	if def == nil {
		return shape{}
	}
	w.memo[name] = nil
	s := w.shape(def)
	w.memo[name] = &s
	return s
}
