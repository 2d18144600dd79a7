package attachments_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/partnerdesk/partnerdesk/attachments"
)

// dirStore is a file:// store and its directory.
type dirStore struct {
	*attachments.Store
	dir string
}

func newStore(t *testing.T, maxBytes int64) dirStore {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "attachments")
	return dirStore{openStore(t, attachments.DirURL(dir), maxBytes), dir}
}

// openStore opens the store at url, closed when the test ends.
func openStore(t *testing.T, url string, maxBytes int64) *attachments.Store {
	t.Helper()
	s, err := attachments.New(context.Background(), url, maxBytes)
	if err != nil {
		t.Fatalf("New(%s): %v", url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// files lists every regular file under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", dir, err)
	}
	return out
}

func assertEmpty(t *testing.T, s dirStore) {
	t.Helper()
	if got := files(t, s.dir); len(got) != 0 {
		t.Errorf("files left behind: %v", got)
	}
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestNew(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	s := openStore(t, attachments.DirURL(dir), 10)
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		t.Fatalf("directory not created: %v", err)
	}
	if perm := fi.Mode().Perm(); perm&^0o750 != 0 {
		t.Errorf("directory mode %o, want at most 0750", perm)
	}
	if s.MaxBytes() != 10 {
		t.Errorf("MaxBytes = %d", s.MaxBytes())
	}
	ctx := context.Background()
	for _, max := range []int64{0, -1} {
		if _, err := attachments.New(ctx, attachments.DirURL(t.TempDir()), max); err == nil {
			t.Errorf("New with limit %d: no error", max)
		}
	}
	if _, err := attachments.New(ctx, "", 10); err == nil {
		t.Error("New with empty URL: no error")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := attachments.New(ctx, attachments.DirURL(file), 10); err == nil {
		t.Error("New on a regular file: no error")
	}
	for _, url := range []string{"gs://bucket", "file:///tmp?nonsense=1", "::"} {
		if _, err := attachments.New(ctx, url, 10); err == nil {
			t.Errorf("New(%q): no error", url)
		}
	}
}

// TestNewRelativeDir checks that a relative file:// URL, and DirURL of a
// relative path, name a directory under the working directory.
func TestNewRelativeDir(t *testing.T) {
	t.Chdir(t.TempDir())
	data := []byte("relative")
	for _, url := range []string{"file://./rel/a", attachments.DirURL("rel/b")} {
		s := openStore(t, url, 100)
		b, err := s.Put(context.Background(), bytes.NewReader(data), "a.txt")
		if err != nil {
			t.Fatalf("Put into %s: %v", url, err)
		}
		dir := filepath.Join("rel", url[len(url)-1:])
		if got := files(t, dir); len(got) != 1 || filepath.Base(got[0]) != b.SHA256 {
			t.Errorf("%s: files = %v", url, got)
		}
	}
}

func TestNewRemovesStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".uploads"), 0o750); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".uploads", "123")
	fresh := filepath.Join(dir, ".uploads", "456")
	other := filepath.Join(dir, "keep-me")
	for _, p := range []string{stale, fresh, other} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-48 * time.Hour)
	for _, p := range []string{stale, other} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	openStore(t, attachments.DirURL(dir), 10)
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temp file kept: %v", err)
	}
	for _, p := range []string{fresh, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", filepath.Base(p), err)
		}
	}
}

// TestOpenReadsTheDiskLayoutOfEarlierVersions checks that a data
// directory written before stores were buckets, a plain file per content
// and no metadata beside it, is read as it is.
func TestOpenReadsTheDiskLayoutOfEarlierVersions(t *testing.T) {
	dir := t.TempDir()
	data := []byte("%PDF-1.4 stored by an earlier version")
	sum := hashOf(data)
	shard := filepath.Join(dir, sum[0:2], sum[2:4])
	if err := os.MkdirAll(shard, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shard, sum), data, 0o640); err != nil {
		t.Fatal(err)
	}
	s := dirStore{openStore(t, attachments.DirURL(dir), 1<<20), dir}
	f, err := s.Open(context.Background(), sum)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	got, err := io.ReadAll(f)
	f.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %q, %v", got, err)
	}
	// Uploading the same content again finds it stored.
	before, _ := os.Stat(filepath.Join(shard, sum))
	if _, err := s.Put(context.Background(), bytes.NewReader(data), "again.pdf"); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(filepath.Join(shard, sum)); !os.SameFile(before, after) {
		t.Error("the stored file was replaced")
	}
	if got := files(t, dir); len(got) != 1 {
		t.Errorf("files = %v, want the one stored before", got)
	}
}

func TestPutOpenRoundTrip(t *testing.T) {
	s := newStore(t, 1<<20)
	data := bytes.Repeat([]byte("Zażółć gęślą jaźń 日本語 "), 5000) // > 64 KiB: several chunks
	blob, err := s.Put(context.Background(), bytes.NewReader(data), "../raport końcowy.txt")
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	want := hashOf(data)
	if blob.SHA256 != want {
		t.Errorf("SHA256 = %s, want %s", blob.SHA256, want)
	}
	if blob.Size != int64(len(data)) {
		t.Errorf("Size = %d, want %d", blob.Size, len(data))
	}
	if blob.Name != "raport końcowy.txt" {
		t.Errorf("Name = %q", blob.Name)
	}
	if blob.ContentType != "text/plain; charset=utf-8" {
		t.Errorf("ContentType = %q", blob.ContentType)
	}
	wantPath := filepath.Join(want[0:2], want[2:4], want)
	if got := files(t, s.dir); len(got) != 1 || got[0] != wantPath {
		t.Errorf("files = %v, want [%s]", got, wantPath)
	}

	f, err := s.Open(context.Background(), blob.SHA256)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	got, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Error("content read back differs from content stored")
	}
}

func TestPutDedupes(t *testing.T) {
	s := newStore(t, 1<<20)
	data := []byte("the same bytes, twice")
	a, err := s.Put(context.Background(), bytes.NewReader(data), "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(filepath.Join(s.dir, files(t, s.dir)[0]))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Put(context.Background(), bytes.NewReader(data), "b.txt")
	if err != nil {
		t.Fatal(err)
	}
	if a.SHA256 != b.SHA256 {
		t.Errorf("hashes differ: %s, %s", a.SHA256, b.SHA256)
	}
	if a.Name != "a.txt" || b.Name != "b.txt" {
		t.Errorf("names = %q, %q; each Put keeps its own name", a.Name, b.Name)
	}
	got := files(t, s.dir)
	if len(got) != 1 {
		t.Fatalf("files = %v, want one", got)
	}
	after, err := os.Stat(filepath.Join(s.dir, got[0]))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("the stored file was replaced rather than kept")
	}
}

func TestPutRepairsTamperedFile(t *testing.T) {
	s := newStore(t, 1<<20)
	data := []byte("original content")
	b, err := s.Put(context.Background(), bytes.NewReader(data), "a.txt")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.dir, files(t, s.dir)[0])
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&^0o640 != 0 {
		t.Errorf("stored file mode %o, want at most 0640", perm)
	}
	if err := os.WriteFile(path, []byte("truncated"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(context.Background(), bytes.NewReader(data), "a.txt"); err != nil {
		t.Fatal(err)
	}
	f, err := s.Open(context.Background(), b.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, _ := io.ReadAll(f); !bytes.Equal(got, data) {
		t.Errorf("content = %q, want it restored to %q", got, data)
	}
	if got := files(t, s.dir); len(got) != 1 {
		t.Errorf("files = %v, want one", got)
	}
}

func TestPutConcurrentSameContent(t *testing.T) {
	s := newStore(t, 1<<20)
	data := bytes.Repeat([]byte{7}, 100_000)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	sums := make([]string, 16)
	for i := range errs {
		wg.Go(func() {
			b, err := s.Put(context.Background(), bytes.NewReader(data), "same.bin")
			errs[i], sums[i] = err, b.SHA256
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Put %d: %v", i, err)
		} else if sums[i] != hashOf(data) {
			t.Errorf("Put %d: hash %s", i, sums[i])
		}
	}
	if got := files(t, s.dir); len(got) != 1 {
		t.Errorf("files = %v, want one", got)
	}
}

func TestPutSizeLimit(t *testing.T) {
	const limit = 100_000 // several copy chunks
	t.Run("at limit", func(t *testing.T) {
		s := newStore(t, limit)
		b, err := s.Put(context.Background(), bytes.NewReader(make([]byte, limit)), "x.bin")
		if err != nil {
			t.Fatalf("Put of exactly the limit: %v", err)
		}
		if b.Size != limit {
			t.Errorf("Size = %d", b.Size)
		}
	})
	t.Run("over limit", func(t *testing.T) {
		s := newStore(t, limit)
		_, err := s.Put(context.Background(), bytes.NewReader(make([]byte, limit+1)), "x.bin")
		if !errors.Is(err, attachments.ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
		assertEmpty(t, s)
	})
	t.Run("message names the limit", func(t *testing.T) {
		s := newStore(t, 25<<20)
		_, err := s.Put(context.Background(), io.LimitReader(zeros{}, 25<<20+1), "big.bin")
		if !errors.Is(err, attachments.ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
		if got, want := err.Error(), "the file is larger than the 25 MiB limit"; got != want {
			t.Errorf("message = %q, want %q", got, want)
		}
		assertEmpty(t, s)
	})
	t.Run("endless reader", func(t *testing.T) {
		s := newStore(t, limit)
		_, err := s.Put(context.Background(), zeros{}, "x.bin")
		if !errors.Is(err, attachments.ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
		assertEmpty(t, s)
	})
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		1:               "1 byte",
		1000:            "1000 bytes",
		1024:            "1 KiB",
		1536:            "1.5 KiB (1536 bytes)",
		25 << 20:        "25 MiB",
		2 << 30:         "2 GiB",
		25<<20 + 100000: "25.1 MiB (26314400 bytes)",
	} {
		if got := attachments.FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// zeros is an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestPutStreams checks that memory use does not grow with the upload.
func TestPutStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MiB")
	}
	const size = 64 << 20
	s := newStore(t, size)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b, err := s.Put(context.Background(), io.LimitReader(zeros{}, size), "big.bin")
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if b.Size != size {
		t.Errorf("Size = %d", b.Size)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("Put allocated %d bytes for a %d-byte upload", alloc, size)
	}
}

func TestPutEmpty(t *testing.T) {
	s := newStore(t, 100)
	_, err := s.Put(context.Background(), strings.NewReader(""), "empty.txt")
	if !errors.Is(err, attachments.ErrEmpty) {
		t.Fatalf("err = %v, want ErrEmpty", err)
	}
	assertEmpty(t, s)
}

func TestPutBadNameReadsNothing(t *testing.T) {
	s := newStore(t, 100)
	r := strings.NewReader("content")
	_, err := s.Put(context.Background(), r, "..")
	if !errors.Is(err, attachments.ErrBadName) {
		t.Fatalf("err = %v, want ErrBadName", err)
	}
	if r.Len() != len("content") {
		t.Error("the upload was read despite a bad name")
	}
	assertEmpty(t, s)
}

// stallingReader yields one chunk, reports that on started, then blocks
// until release is closed (as a slow client would) and goes on yielding
// chunks for as long as it is read, counting the reads.
type stallingReader struct {
	n       int
	started chan struct{}
	release <-chan struct{}
}

func (r *stallingReader) Read(p []byte) (int, error) {
	r.n++
	if r.n == 2 {
		close(r.started)
		<-r.release
	}
	if r.n > 10_000 {
		return 0, io.EOF
	}
	return copy(p, bytes.Repeat([]byte("x"), 1000)), nil
}

func TestPutCancelledMidStream(t *testing.T) {
	s := newStore(t, 1<<20)
	ctx, cancel := context.WithCancel(context.Background())
	r := &stallingReader{started: make(chan struct{}), release: ctx.Done()}
	done := make(chan error, 1)
	go func() {
		_, err := s.Put(ctx, r, "slow.txt")
		done <- err
	}()
	<-r.started
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if r.n > 2 {
			t.Errorf("the reader was read %d times; reading must stop at the cancellation", r.n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Put did not return after cancellation")
	}
	assertEmpty(t, s)
}

func TestPutCancelledBeforeStart(t *testing.T) {
	s := newStore(t, 100)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Put(ctx, strings.NewReader("content"), "a.txt")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	assertEmpty(t, s)
}

// failingReader yields some bytes and then fails, as a dropped connection
// does.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	r.n++
	if r.n > 3 {
		return 0, io.ErrUnexpectedEOF
	}
	return copy(p, "partial content "), nil
}

func TestPutReadErrorLeavesNothing(t *testing.T) {
	s := newStore(t, 1<<20)
	_, err := s.Put(context.Background(), &failingReader{}, "a.txt")
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
	}
	assertEmpty(t, s)
}

func TestPutContentType(t *testing.T) {
	pad := bytes.Repeat([]byte{0}, 2000)
	for _, tc := range []struct {
		name, content, want string
	}{
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + string(pad), "image/png"},
		{"pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "application/pdf"},
		{"text", "Hello, the printer is on fire.\n", "text/plain; charset=utf-8"},
		{"html", "<!DOCTYPE html><html><script>alert(1)</script></html>", "application/octet-stream"},
		{"html no doctype", "  <html><body onload=alert(1)>", "application/octet-stream"},
		{"svg", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "application/octet-stream"},
		{"zip", "PK\x03\x04" + string(pad), "application/zip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, 1<<20)
			// The client's claim, here the name, plays no part.
			b, err := s.Put(context.Background(), strings.NewReader(tc.content), "file.txt")
			if err != nil {
				t.Fatal(err)
			}
			if b.ContentType != tc.want {
				t.Errorf("ContentType = %q, want %q", b.ContentType, tc.want)
			}
		})
	}
}

func TestOpenRefusesMalformedHashes(t *testing.T) {
	s := newStore(t, 100)
	good := hashOf([]byte("x"))
	for _, h := range []string{
		"",
		"../etc/passwd",
		"../../../../../../etc/passwd",
		"abc",
		good[:63],
		good + "0",
		strings.ToUpper(good),
		"g" + good[1:],
		good[:62] + "/a",
		good[:62] + "\x00a",
		"..",
	} {
		f, err := s.Open(context.Background(), h)
		if !errors.Is(err, attachments.ErrBadHash) {
			t.Errorf("Open(%q) = %v, want ErrBadHash", h, err)
		}
		if f != nil {
			f.Close()
		}
	}
}

func TestOpenMissing(t *testing.T) {
	s := newStore(t, 100)
	_, err := s.Open(context.Background(), hashOf([]byte("never stored")))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
}

func TestSanitizeName(t *testing.T) {
	long := strings.Repeat("a", 300)
	longPolish := strings.Repeat("ż", 150)   // 2 bytes each
	longJapanese := strings.Repeat("日", 100) // 3 bytes each
	for _, tc := range []struct {
		in, want string
	}{
		{"report.pdf", "report.pdf"},
		{"../../etc/passwd", "passwd"},
		{"/etc/passwd", "passwd"},
		{`C:\Users\Anna\Desktop\faktura.pdf`, "faktura.pdf"},
		{`..\..\windows\system32\cmd.exe`, "cmd.exe"},
		{`a/b\c/d.txt`, "d.txt"},
		{"folder/", "folder"},
		{"..∕..∕etc∕passwd", "etcpasswd"},
		{"evil／name＼x.txt", "evilnamex.txt"},
		{"a\x00b\x07c\x1b[31m.txt", "abc[31m.txt"},
		{"line\nbreak\ttab.txt", "line break tab.txt"},
		{"inv\u202Efdp.exe", "invfdp.exe"},
		{"\ufeffbom.txt", "bom.txt"},
		{"del\x7f\u0085x.txt", "del x.txt"},
		{"bad\xffutf8.txt", "badutf8.txt"},
		{"  many    spaces   .txt  ", "many spaces .txt"},
		{"...hidden", "hidden"},
		{".bashrc", "bashrc"},
		{"trailing dots...", "trailing dots"},
		{"Zażółć gęślą jaźń.docx", "Zażółć gęślą jaźń.docx"},
		{"報告書（最終版）.xlsx", "報告書（最終版）.xlsx"},
		{"👩‍💻 notes.md", "👩‍💻 notes.md"},
		{long + ".pdf", strings.Repeat("a", 196) + ".pdf"},
		{long, strings.Repeat("a", 200)},
		{longPolish + ".pdf", strings.Repeat("ż", 98) + ".pdf"},
		{longJapanese + ".txt", strings.Repeat("日", 65) + ".txt"},
		{strings.Repeat("a", 199) + " b.pdf", strings.Repeat("a", 196) + ".pdf"},
		{long + "." + strings.Repeat("e", 40), strings.Repeat("a", 200)},
	} {
		got, err := attachments.SanitizeName(tc.in)
		if err != nil {
			t.Errorf("SanitizeName(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if len(got) > attachments.MaxNameBytes || !utf8.ValidString(got) {
			t.Errorf("SanitizeName(%q) = %q: %d bytes, valid UTF-8 %v", tc.in, got, len(got), utf8.ValidString(got))
		}
	}
}

func TestSanitizeNameRefuses(t *testing.T) {
	for _, in := range []string{
		"", " ", ".", "..", "...", "/", `\`, "../..", "a/..", `C:\temp\..`,
		"\x00\x01", " . . ", "\u202E", "∕", "\xff\xfe",
	} {
		got, err := attachments.SanitizeName(in)
		if !errors.Is(err, attachments.ErrBadName) {
			t.Errorf("SanitizeName(%q) = %q, %v; want ErrBadName", in, got, err)
		}
	}
}
