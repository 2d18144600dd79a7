// Package attachments stores the contents of case attachments in a blob
// bucket (SPEC §3 "Attachments"): a directory (file://, the default) or an
// object store that several instances share (s3:// and S3 compatibles).
//
// Contents are content-addressed by SHA-256, so the same file attached to
// many cases is kept once and a stored file can never be overwritten with
// different bytes. An upload streams into a temporary key while it is
// hashed, and is copied to its content's key only after it is complete and
// within the size limit, so a reader never sees a partial file. On a
// directory the copy is flushed to disk before Put returns, so an
// acknowledged upload survives a crash; object stores acknowledge a write
// only once it is durable.
//
// The package only knows about bytes. Which case an attachment belongs to,
// who may read or delete it, and reference counting of shared contents are
// the business of the callers.
package attachments

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/gcerrors"

	// The only object store driver linked in: each one adds megabytes of
	// SDK, and S3's protocol also reaches MinIO, Ceph, R2 and the like.
	_ "gocloud.dev/blob/s3blob"
)

// MaxNameBytes is the longest display name SanitizeName returns, in bytes
// of UTF-8. It keeps names well under the 255-byte limit of common file
// systems, so a downloaded attachment can be saved under its own name.
const MaxNameBytes = 200

// sniffLen is how many leading bytes http.DetectContentType looks at.
const sniffLen = 512

// tempPrefix starts the keys of in-progress uploads. It is a directory of
// its own so that listing it never walks the contents of a file:// store,
// and its leading dot keeps it apart from the two-hex-digit shards.
const tempPrefix = ".uploads/"

// staleTempAge is how old a leftover temporary upload must be before New
// deletes it; old enough that it cannot belong to an upload in progress on
// any instance.
const staleTempAge = 24 * time.Hour

// s3PartBytes is the part size of uploads to S3, its smallest: the driver
// holds a part in memory, and one part per upload bounds what an upload
// costs in memory whatever the file's size.
const s3PartBytes = 5 << 20

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
// hexadecimal digits. Refusing such input before it reaches the bucket is
// what keeps a crafted "hash" such as "../../etc/passwd" from naming a
// file outside the store.
var ErrBadHash = errors.New("the attachment hash must be 64 lower-case hexadecimal digits")

// Store keeps attachment contents in a bucket, one object per distinct
// content, under the key <first 2 hex digits>/<next 2 hex digits>/<full hex
// SHA-256>. On a directory the two levels of shards keep any one directory
// small; the layout is the one partnerdesk has always used on disk, so an
// existing data directory is a valid file:// store. A Store is safe for
// concurrent use, also by several processes sharing the bucket.
type Store struct {
	bucket   *blob.Bucket
	maxBytes int64
	// dir is the directory of a file:// store, whose writes Put flushes to
	// disk itself because fileblob does not; "" for other buckets.
	dir string
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

// DirURL returns the file:// URL of the store in directory dir, relative
// paths being taken from the working directory.
func DirURL(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	p := filepath.ToSlash(dir)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter
	}
	return (&url.URL{Scheme: fileblob.Scheme, Path: p}).String()
}

// New opens the store at bucketURL, refusing contents larger than
// maxBytes; close it when done. bucketURL is a gocloud.dev bucket URL:
//   - file:///path (see DirURL), a directory created (mode 0750) when
//     missing, whose files are private to the server's user and group;
//   - s3://bucket?region=REGION, credentials coming from the usual AWS
//     sources (environment, shared files, instance roles), with
//     endpoint=URL&use_path_style=true for S3 compatibles such as MinIO;
//   - any other scheme whose driver the program links in.
//
// It lists the bucket, failing when it cannot, and deletes temporary
// uploads left behind by a crash more than a day ago, since nothing else
// would.
func New(ctx context.Context, bucketURL string, maxBytes int64) (*Store, error) {
	if bucketURL == "" {
		return nil, errors.New("attachments: the attachment store URL must not be empty")
	}
	if maxBytes <= 0 {
		return nil, fmt.Errorf("attachments: the size limit must be positive, got %d", maxBytes)
	}
	u, err := url.Parse(bucketURL)
	if err != nil {
		return nil, fmt.Errorf("attachments: the attachment store URL: %w", err)
	}
	s := &Store{maxBytes: maxBytes}
	if u.Scheme == fileblob.Scheme {
		s.dir, s.bucket, err = openDir(ctx, u)
	} else {
		s.bucket, err = blob.OpenBucket(ctx, bucketURL)
	}
	if err != nil {
		return nil, fmt.Errorf("attachments: opening the %s:// attachment store: %w", u.Scheme, err)
	}
	if err := s.removeStaleTemps(ctx, time.Now().Add(-staleTempAge)); err != nil {
		s.bucket.Close()
		return nil, fmt.Errorf("attachments: the %s:// attachment store cannot be listed: %w", u.Scheme, err)
	}
	return s, nil
}

// openDir opens a file:// store. Its defaults differ from fileblob's, and
// a URL's own parameters still override them: temporary files next to
// their targets (os.TempDir is often another file system, which a rename
// cannot cross), no metadata sidecar files (the database keeps what
// matters), and directories private to the server.
func openDir(ctx context.Context, u *url.URL) (string, *blob.Bucket, error) {
	opener := &fileblob.URLOpener{Options: fileblob.Options{
		CreateDir:   true,
		DirFileMode: 0o750,
		NoTempDir:   true,
		Metadata:    fileblob.MetadataDontWrite,
	}}
	b, err := opener.OpenBucketURL(ctx, u)
	if err != nil {
		return "", nil, err
	}
	// As fileblob reads the URL: host "." marks a relative path.
	p := u.Path
	if u.Host == "." || os.PathSeparator != '/' {
		p = strings.TrimPrefix(p, "/")
	}
	dir, err := filepath.Abs(filepath.FromSlash(p))
	if err != nil {
		b.Close()
		return "", nil, err
	}
	return dir, b, nil
}

// Close releases the bucket.
func (s *Store) Close() error { return s.bucket.Close() }

// MaxBytes returns the largest content, in bytes, Put accepts.
func (s *Store) MaxBytes() int64 { return s.maxBytes }

// removeStaleTemps deletes temporary uploads last written before cutoff.
// Listing them doubles as New's check that the bucket exists and the
// credentials work, so that a wrong URL stops the start rather than every
// upload; deleting is best effort, as one not removed now is retried at
// the next start.
func (s *Store) removeStaleTemps(ctx context.Context, cutoff time.Time) error {
	it := s.bucket.List(&blob.ListOptions{Prefix: tempPrefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !obj.IsDir && obj.ModTime.Before(cutoff) {
			_ = s.bucket.Delete(ctx, obj.Key)
		}
	}
}

// Put streams r into the bucket and returns what was stored. The display
// name is checked first, so a bad name costs no upload.
//
// The content is never held in memory whole: it is copied through a
// SHA-256 hasher to a temporary key, then copied to its content's key
// (server-side on an object store). If the same content is already
// stored, the new copy is discarded and the stored one kept. On any
// failure, including ctx being cancelled (checked around every read) and
// content over the size limit (ErrTooLarge) or empty (ErrEmpty), nothing
// is left in the bucket.
func (s *Store) Put(ctx context.Context, r io.Reader, name string) (Blob, error) {
	clean, err := SanitizeName(name)
	if err != nil {
		return Blob{}, err
	}
	if err := ctx.Err(); err != nil {
		return Blob{}, fmt.Errorf("the upload was cancelled: %w", err)
	}

	tmp := tempPrefix + rand.Text()
	b, err := s.receive(ctx, r, tmp)
	if err != nil {
		return Blob{}, err
	}
	// The temporary copy goes whatever happens next, even when the
	// request has just been cancelled.
	defer s.bucket.Delete(context.WithoutCancel(ctx), tmp)
	// A cancellation that arrived after the last read still wins: the
	// caller has given up and will not record the attachment.
	if err := ctx.Err(); err != nil {
		return Blob{}, fmt.Errorf("the upload was cancelled: %w", err)
	}
	b.Name = clean

	key := keyOf(b.SHA256)
	attrs, err := s.bucket.Attributes(ctx, key)
	switch {
	case err == nil && attrs.Size == b.Size:
		// Already stored: same hash and size means same content.
		return b, nil
	case err != nil && gcerrors.Code(err) != gcerrors.NotFound:
		return Blob{}, fmt.Errorf("attachments: %w", err)
	}
	// Anything else under the key (which could only be the result of
	// tampering) is replaced by the verified content.
	if err := s.bucket.Copy(ctx, key, tmp, &blob.CopyOptions{BeforeCopy: private}); err != nil {
		return Blob{}, fmt.Errorf("attachments: moving the file into place: %w", err)
	}
	if s.dir != "" {
		if err := syncKey(s.dir, key); err != nil {
			return Blob{}, fmt.Errorf("attachments: flushing the file to disk: %w", err)
		}
	}
	return b, nil
}

// receive copies r to the key tmp, hashing it on the way, and describes
// it. It enforces the size limit and refuses empty content; on any error
// the write is abandoned and nothing is stored under tmp.
func (s *Store) receive(ctx context.Context, r io.Reader, tmp string) (Blob, error) {
	// Cancelling the writer's context before Close abandons the write.
	wctx, abandon := context.WithCancel(ctx)
	defer abandon()
	w, err := s.bucket.NewWriter(wctx, tmp, &blob.WriterOptions{
		ContentType:    "application/octet-stream",
		BufferSize:     s3PartBytes,
		MaxConcurrency: 1,
		BeforeWrite:    private,
	})
	if err != nil {
		return Blob{}, fmt.Errorf("attachments: starting the upload: %w", err)
	}
	fail := func(err error) (Blob, error) {
		abandon()
		_ = w.Close() // reports the abandonment
		return Blob{}, err
	}

	h := sha256.New()
	var head headWriter
	// Reading one byte past the limit is how an oversize upload is told
	// apart from one exactly at the limit.
	src := io.LimitReader(ctxReader{ctx: ctx, r: r}, s.maxBytes+1)
	n, err := io.Copy(io.MultiWriter(w, h, &head), src)
	switch {
	case err != nil:
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return fail(fmt.Errorf("the upload was cancelled: %w", err))
		}
		return fail(fmt.Errorf("attachments: receiving the file: %w", err))
	case n > s.maxBytes:
		return fail(&tooLargeError{limit: s.maxBytes})
	case n == 0:
		return fail(ErrEmpty)
	}
	if err := w.Close(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return Blob{}, fmt.Errorf("the upload was cancelled: %w", ctxErr)
		}
		return Blob{}, fmt.Errorf("attachments: storing the file: %w", err)
	}
	return Blob{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, ContentType: sniff(head.bytes())}, nil
}

// private makes a file:// store's new files readable by the server's user
// and group only, as attachments are confidential; other buckets keep
// their own access control.
func private(as func(any) bool) error {
	var f *os.File
	if as(&f) {
		return f.Chmod(0o640)
	}
	return nil
}

// keyOf returns the key of the content with the given hash.
func keyOf(sum string) string { return path.Join(sum[0:2], sum[2:4], sum) }

// syncKey flushes the file of key in dir to disk, and the entries of the
// directories leading to it, so that neither can vanish in a crash.
func syncKey(dir, key string) error {
	p := filepath.Join(dir, filepath.FromSlash(key))
	if err := syncPath(p); err != nil {
		return err
	}
	for range strings.Count(key, "/") + 1 {
		p = filepath.Dir(p)
		if err := syncDir(p); err != nil {
			return err
		}
	}
	return nil
}

// Open opens the stored content with the given hash for reading; the
// caller closes it. Reading streams from the bucket, and seeking is cheap
// (a seek only moves where the next read starts), so http.ServeContent can
// answer range requests with it. Open refuses anything that is not a
// well-formed hash (ErrBadHash) before touching the bucket, and returns an
// error matching fs.ErrNotExist when no such content is stored.
func (s *Store) Open(ctx context.Context, sha256 string) (io.ReadSeekCloser, error) {
	if !validHash(sha256) {
		return nil, ErrBadHash
	}
	r, err := s.bucket.NewReader(ctx, keyOf(sha256), nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("no attachment with hash %s is stored: %w", sha256, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("attachments: %w", err)
	}
	return r, nil
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

// syncPath flushes a file to disk.
func syncPath(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir flushes a directory's entries to disk, making a rename or a new
// entry in it durable. Windows cannot fsync a directory, and NTFS journals
// renames anyway, so there it does nothing.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	return syncPath(dir)
}
