// Package attachments stores the contents of case attachments on disk
// (SPEC §3 "Attachments").
//
// Contents are content-addressed by SHA-256, so the same file attached to
// many cases is kept once and a stored file can never be overwritten with
// different bytes. Uploads are streamed to a temporary file next to the
// final location and renamed into place only after they are complete,
// within the size limit and flushed to disk, so a reader never sees a
// partial file and an acknowledged upload survives a crash.
//
// The package only knows about bytes. Which case an attachment belongs to,
// who may read or delete it, and reference counting of shared contents are
// the business of the callers.
package attachments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes is the longest display name SanitizeName returns, in bytes
// of UTF-8. It keeps names well under the 255-byte limit of common file
// systems, so a downloaded attachment can be saved under its own name.
const MaxNameBytes = 200

// sniffLen is how many leading bytes http.DetectContentType looks at.
const sniffLen = 512

// tempPrefix starts the names of in-progress uploads. The leading dot keeps
// them apart from the two-hex-digit shard directories.
const tempPrefix = ".upload-"

// staleTempAge is how old a leftover temporary file must be before New
// deletes it; old enough that it cannot belong to an upload in progress.
const staleTempAge = 24 * time.Hour

// ErrTooLarge is returned by Put when the content exceeds the store's size
// limit. The returned error wraps it and names the limit; test for it with
// errors.Is and show the error's own message to the uploader.
var ErrTooLarge = errors.New("the file is too large")

// ErrEmpty is returned by Put for content of zero bytes, which is almost
// always a client mistake (a file picked but not read) rather than a file
// anyone meant to share.
var ErrEmpty = errors.New("the file is empty; attach a file with some content")

// ErrBadName is returned (wrapped) by SanitizeName, and so by Put, when a
// file name has nothing left that could be shown or saved.
var ErrBadName = errors.New("the file name is not usable")

// ErrBadHash is returned by Open for anything that is not 64 lower-case
// hexadecimal digits. Refusing such input before it reaches the file system
// is what keeps a crafted "hash" such as "../../etc/passwd" from naming a
// file outside the store.
var ErrBadHash = errors.New("the attachment hash must be 64 lower-case hexadecimal digits")

// Store keeps attachment contents on disk, one file per distinct content,
// at <dir>/<first 2 hex digits>/<next 2 hex digits>/<full hex SHA-256>.
// The two levels of shard directories keep any one directory small.
// A Store is safe for concurrent use, also by several processes sharing
// the directory.
type Store struct {
	dir      string
	maxBytes int64
}

// Blob describes stored content, as the caller records it against a case.
type Blob struct {
	// SHA256 is the lower-case hex digest of the content; it is also the
	// key for Open.
	SHA256 string
	// Size is the length of the content in bytes.
	Size int64
	// ContentType is sniffed from the content, never taken from the client,
	// and is never a type a browser would run scripts in.
	ContentType string
	// Name is the sanitised display name (see SanitizeName).
	Name string
}

// New returns a Store keeping contents under dir, which it creates (mode
// 0750) when missing, and refusing contents larger than maxBytes.
// It also deletes temporary files left behind by a crash more than a day
// ago, since nothing else would.
func New(dir string, maxBytes int64) (*Store, error) {
	if dir == "" {
		return nil, errors.New("attachments: the attachment directory must not be empty")
	}
	if maxBytes <= 0 {
		return nil, fmt.Errorf("attachments: the size limit must be positive, got %d", maxBytes)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("attachments: creating the attachment directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("attachments: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("attachments: %s is not a directory", dir)
	}
	s := &Store{dir: dir, maxBytes: maxBytes}
	s.removeStaleTemps(time.Now().Add(-staleTempAge))
	return s, nil
}

// Dir returns the directory the store keeps contents in.
func (s *Store) Dir() string { return s.dir }

// MaxBytes returns the largest content, in bytes, Put accepts.
func (s *Store) MaxBytes() int64 { return s.maxBytes }

// removeStaleTemps deletes temporary files last written before cutoff.
// It is best effort: a file it cannot remove now is retried at the next
// start, and a failure must not stop the server.
func (s *Store) removeStaleTemps(cutoff time.Time) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			_ = os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
}

// Put streams r to disk and returns what was stored. The display name is
// checked first, so a bad name costs no upload.
//
// The content is never held in memory: it is copied through a SHA-256
// hasher into a temporary file in the store's directory, then flushed and
// renamed into place. If the same content is already stored, the new copy
// is discarded and the stored one kept. On any failure, including ctx
// being cancelled (checked around every read) and content over the size
// limit (ErrTooLarge) or empty (ErrEmpty), nothing is left on disk.
func (s *Store) Put(ctx context.Context, r io.Reader, name string) (Blob, error) {
	clean, err := SanitizeName(name)
	if err != nil {
		return Blob{}, err
	}
	if err := ctx.Err(); err != nil {
		return Blob{}, fmt.Errorf("the upload was cancelled: %w", err)
	}

	tmp, err := os.CreateTemp(s.dir, tempPrefix+"*")
	if err != nil {
		return Blob{}, fmt.Errorf("attachments: creating a temporary file: %w", err)
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close() // may already be closed; the error is irrelevant
			_ = os.Remove(tmpName)
		}
	}()

	h := sha256.New()
	var head headWriter
	// Reading one byte past the limit is how an oversize upload is told
	// apart from one exactly at the limit.
	src := io.LimitReader(ctxReader{ctx: ctx, r: r}, s.maxBytes+1)
	n, err := io.Copy(io.MultiWriter(tmp, h, &head), src)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return Blob{}, fmt.Errorf("the upload was cancelled: %w", err)
		}
		return Blob{}, fmt.Errorf("attachments: receiving the file: %w", err)
	}
	if n > s.maxBytes {
		return Blob{}, &tooLargeError{limit: s.maxBytes}
	}
	if n == 0 {
		return Blob{}, ErrEmpty
	}
	if err := tmp.Chmod(0o640); err != nil {
		return Blob{}, fmt.Errorf("attachments: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return Blob{}, fmt.Errorf("attachments: flushing the file to disk: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Blob{}, fmt.Errorf("attachments: %w", err)
	}
	// A cancellation that arrived after the last read still wins: the
	// caller has given up and will not record the attachment.
	if err := ctx.Err(); err != nil {
		return Blob{}, fmt.Errorf("the upload was cancelled: %w", err)
	}

	sum := hex.EncodeToString(h.Sum(nil))
	blob := Blob{SHA256: sum, Size: n, ContentType: sniff(head.bytes()), Name: clean}

	shard, err := s.makeShard(sum)
	if err != nil {
		return Blob{}, err
	}
	final := filepath.Join(shard, sum)
	if fi, err := os.Lstat(final); err == nil && fi.Mode().IsRegular() && fi.Size() == n {
		// Already stored: same hash and size means same content. The
		// deferred cleanup discards the new copy.
		return blob, nil
	}
	// Anything else at the final path (which could only be the result of
	// tampering) is replaced by the verified content.
	if err := os.Rename(tmpName, final); err != nil {
		return Blob{}, fmt.Errorf("attachments: moving the file into place: %w", err)
	}
	committed = true
	// From here on the file is in place and must stay: it may equally be
	// the copy a concurrent Put of the same content has just acknowledged.
	if err := syncDir(shard); err != nil {
		return Blob{}, fmt.Errorf("attachments: flushing the directory to disk: %w", err)
	}
	return blob, nil
}

// makeShard creates the two shard directories for sum when missing and
// returns the inner one. A newly created directory's entry is flushed to
// disk in its parent, so the file renamed into it later cannot vanish in
// a crash together with its directory.
func (s *Store) makeShard(sum string) (string, error) {
	parent := s.dir
	for _, part := range []string{sum[0:2], sum[2:4]} {
		d := filepath.Join(parent, part)
		err := os.Mkdir(d, 0o750)
		switch {
		case err == nil:
			if err := syncDir(parent); err != nil {
				return "", fmt.Errorf("attachments: flushing the directory to disk: %w", err)
			}
		case errors.Is(err, fs.ErrExist):
		default:
			return "", fmt.Errorf("attachments: creating a directory: %w", err)
		}
		parent = d
	}
	return parent, nil
}

// Open opens the stored content with the given hash for reading; the
// caller closes it. It refuses anything that is not a well-formed hash
// (ErrBadHash) before touching the file system, and returns an error
// matching fs.ErrNotExist when no such content is stored.
func (s *Store) Open(sha256 string) (*os.File, error) {
	if !validHash(sha256) {
		return nil, ErrBadHash
	}
	rel := filepath.Join(sha256[0:2], sha256[2:4], sha256)
	// OpenInRoot is a second line of defence: even a symlink planted in
	// the store cannot lead outside it.
	f, err := os.OpenInRoot(s.dir, rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no attachment with hash %s is stored: %w", sha256, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("attachments: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("attachments: %w", err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("attachments: %s is not a regular file", rel)
	}
	return f, nil
}

// validHash reports whether h is 64 lower-case hex digits. Upper case is
// refused rather than folded so that every content has exactly one name.
func validHash(h string) bool {
	if len(h) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// scriptable lists the media types a browser may render as a document
// that runs scripts. Serving an attachment with one of these from the
// portal's origin would let an uploader run code as whoever opens it.
// http.DetectContentType reports SVG and XHTML as text/xml, which is why
// the XML types are here next to the HTML and SVG ones.
var scriptable = map[string]bool{
	"text/html":             true,
	"image/svg+xml":         true,
	"text/xml":              true,
	"application/xml":       true,
	"application/xhtml+xml": true,
}

// sniff returns the content type of content starting with head. Types a
// browser could run scripts in become "application/octet-stream", without
// parameters, so they can only ever be downloaded.
func sniff(head []byte) string {
	ct := http.DetectContentType(head)
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || scriptable[mt] {
		return "application/octet-stream"
	}
	return ct
}

// SanitizeName turns a client-supplied file name into a display name that
// is safe to show, store, and offer in a Content-Disposition header:
//   - only the base name is kept; both / and \ separate directories, so
//     "C:\Users\x\report.pdf" and "../../etc/passwd" lose their paths;
//   - invalid UTF-8, control characters, bidirectional-text controls (which
//     can disguise "txt.exe" as "exe.txt") and characters that look like
//     slashes are removed;
//   - whitespace becomes single spaces, and spaces and dots are trimmed
//     from both ends (so no hidden files and no Windows trailing dots);
//   - names over MaxNameBytes are cut on a rune boundary, keeping the
//     extension.
//
// Letters of any script are kept. A name with nothing left ("", ".", "..",
// "///") is refused with an error wrapping ErrBadName.
func SanitizeName(name string) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", fmt.Errorf("%w: it is empty; give the file a name", ErrBadName)
	}
	name = strings.ToValidUTF8(name, "")
	name = strings.TrimRight(name, `/\`)
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}

	var b strings.Builder
	b.Grow(len(name))
	space := false
	for _, r := range name {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), slashLike(r), r == '\uFEFF':
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	clean := strings.Trim(b.String(), " .")
	if clean == "" {
		return "", fmt.Errorf("%w: it has no letters, digits or symbols other than dots, spaces and slashes", ErrBadName)
	}
	return truncateName(clean), nil
}

// slashLike reports whether r could be mistaken for a path separator by a
// person or by a careless normalising file system.
func slashLike(r rune) bool {
	switch r {
	case '\u2044', // FRACTION SLASH
		'\u2215', // DIVISION SLASH
		'\u2216', // SET MINUS
		'\u29F5', // REVERSE SOLIDUS OPERATOR
		'\u29F8', // BIG SOLIDUS
		'\u29F9', // BIG REVERSE SOLIDUS
		'\uFE68', // SMALL REVERSE SOLIDUS
		'\uFF0F', // FULLWIDTH SOLIDUS
		'\uFF3C', // FULLWIDTH REVERSE SOLIDUS
		'\u2571', // BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT
		'\u2572': // BOX DRAWINGS LIGHT DIAGONAL UPPER LEFT TO LOWER RIGHT
		return true
	}
	return false
}

// maxExtBytes is the longest extension, dot included, truncateName keeps;
// a longer "extension" is more likely part of the name.
const maxExtBytes = 32

// truncateName cuts a sanitised name to MaxNameBytes, keeping a short
// extension so the file still opens with the right program.
func truncateName(name string) string {
	if len(name) <= MaxNameBytes {
		return name
	}
	stem, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		if e := name[i:]; len(e) <= maxExtBytes && !strings.Contains(e, " ") {
			stem, ext = name[:i], e
		}
	}
	stem = cutUTF8(stem, MaxNameBytes-len(ext))
	return strings.TrimRight(stem, " .") + ext
}

// cutUTF8 returns the longest prefix of s of at most n bytes that does not
// split a rune.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// tooLargeError names the size limit an upload exceeded; it matches
// ErrTooLarge under errors.Is.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string {
	return "the file is larger than the " + FormatSize(e.limit) + " limit"
}

func (e *tooLargeError) Unwrap() error { return ErrTooLarge }

// FormatSize renders a byte count the way people read limits: "25 MiB",
// "512 KiB", "1000 bytes"; a count that is not a whole number of units
// also gets its exact value, as in "1.5 KiB (1536 bytes)".
func FormatSize(n int64) string {
	units := []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}}
	for _, u := range units {
		if n < u.size {
			continue
		}
		if n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + " " + u.name
		}
		v := strconv.FormatFloat(float64(n)/float64(u.size), 'f', 1, 64)
		return v + " " + u.name + " (" + strconv.FormatInt(n, 10) + " bytes)"
	}
	if n == 1 {
		return "1 byte"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// ctxReader fails reads once ctx is done, so a cancelled request stops an
// upload at the next chunk. A read already blocked in r is not interrupted;
// for an HTTP body that happens when the server closes the connection.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if ctxErr := c.ctx.Err(); ctxErr != nil {
		// The bytes just read are dropped with the rest of the upload.
		return 0, ctxErr
	}
	return n, err
}

// headWriter keeps the first sniffLen bytes written to it, for sniffing
// the content type without a second pass over the file.
type headWriter struct {
	buf [sniffLen]byte
	n   int
}

func (w *headWriter) Write(p []byte) (int, error) {
	w.n += copy(w.buf[w.n:], p)
	return len(p), nil
}

func (w *headWriter) bytes() []byte { return w.buf[:w.n] }

// syncDir flushes a directory's entries to disk, making a rename or a new
// entry in it durable. Windows cannot fsync a directory, and NTFS journals
// renames anyway, so there it does nothing.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
