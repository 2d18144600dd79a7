package attachments

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"
)

// TestBucketContract runs what Put and Open promise on each kind of
// bucket, looking into the bucket itself: a directory, gocloud's in-memory
// bucket, and S3's protocol (a fake S3 server, reached as MinIO would be).
func TestBucketContract(t *testing.T) {
	for name, bucketURL := range map[string]func(t *testing.T) string{
		"mem":  func(*testing.T) string { return "mem://" },
		"file": func(t *testing.T) string { return DirURL(t.TempDir()) },
		"s3":   fakeS3,
	} {
		t.Run(name, func(t *testing.T) {
			open := func(t *testing.T, maxBytes int64) *Store {
				s, err := New(context.Background(), bucketURL(t), maxBytes)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
			ctx := context.Background()
			data := bytes.Repeat([]byte("Zażółć gęślą jaźń "), 5000) // several chunks
			sum := sha256.Sum256(data)
			want := hex.EncodeToString(sum[:])

			t.Run("round trip and dedupe", func(t *testing.T) {
				s := open(t, 1<<20)
				for _, name := range []string{"a.txt", "b.txt"} {
					b, err := s.Put(ctx, bytes.NewReader(data), name)
					if err != nil {
						t.Fatal(err)
					}
					if b.SHA256 != want || b.Size != int64(len(data)) || b.Name != name || b.ContentType != "text/plain; charset=utf-8" {
						t.Fatalf("Put = %+v", b)
					}
				}
				assertKeys(t, s, want[0:2]+"/"+want[2:4]+"/"+want)
				if got := read(t, s, want, 0); !bytes.Equal(got, data) {
					t.Error("content read back differs from content stored")
				}
				// What http.ServeContent does for a range request.
				if got := read(t, s, want, 1000); !bytes.Equal(got, data[1000:]) {
					t.Error("content read from an offset differs")
				}
			})
			t.Run("larger than an S3 part", func(t *testing.T) {
				s := open(t, 3*s3PartBytes)
				big := bytes.Repeat([]byte{'x'}, 2*s3PartBytes+1)
				b, err := s.Put(ctx, bytes.NewReader(big), "big.txt")
				if err != nil {
					t.Fatal(err)
				}
				if got := read(t, s, b.SHA256, 2*s3PartBytes-1); string(got) != "xx" {
					t.Errorf("the end of the content reads %q", got)
				}
				assertKeys(t, s, keyOf(b.SHA256))
			})
			t.Run("tampered content is replaced", func(t *testing.T) {
				s := open(t, 1<<20)
				if err := s.bucket.WriteAll(ctx, keyOf(want), []byte("truncated"), nil); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Put(ctx, bytes.NewReader(data), "a.txt"); err != nil {
					t.Fatal(err)
				}
				if got := read(t, s, want, 0); !bytes.Equal(got, data) {
					t.Errorf("content = %.20q…, want it restored", got)
				}
				assertKeys(t, s, keyOf(want))
			})
			t.Run("refused uploads leave nothing", func(t *testing.T) {
				s := open(t, 1000)
				cancelled, cancel := context.WithCancel(ctx)
				cancel()
				for _, tc := range []struct {
					ctx  context.Context
					r    io.Reader
					want error
				}{
					{ctx, bytes.NewReader(make([]byte, 1001)), ErrTooLarge},
					{ctx, strings.NewReader(""), ErrEmpty},
					{ctx, io.MultiReader(strings.NewReader("partial"), errReader{}), io.ErrUnexpectedEOF},
					{cancelled, strings.NewReader("content"), context.Canceled},
				} {
					if _, err := s.Put(tc.ctx, tc.r, "a.txt"); !errors.Is(err, tc.want) {
						t.Errorf("err = %v, want %v", err, tc.want)
					}
				}
				assertKeys(t, s)
			})
			t.Run("open", func(t *testing.T) {
				s := open(t, 100)
				if _, err := s.Open(ctx, want); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("Open of a missing hash: %v, want fs.ErrNotExist", err)
				}
				if _, err := s.Open(ctx, "../"+want[3:]); !errors.Is(err, ErrBadHash) {
					t.Errorf("Open of a path: %v, want ErrBadHash", err)
				}
			})
		})
	}
}

// TestNewRefusesABucketItCannotList checks that a store whose bucket is
// missing, or whose credentials are refused, fails at start and not at
// the first upload.
func TestNewRefusesABucketItCannotList(t *testing.T) {
	good := fakeS3(t)
	for name, url := range map[string]string{
		"missing bucket": strings.Replace(good, "s3://attachments?", "s3://elsewhere?", 1),
		"no such host":   "s3://attachments?region=us-east-1&use_path_style=true&endpoint=http%3A%2F%2F127.0.0.1%3A1",
	} {
		if s, err := New(context.Background(), url, 100); err == nil {
			s.Close()
			t.Errorf("%s: no error", name)
		}
	}
}

// fakeS3 starts an S3 server with an empty bucket and returns its URL,
// with the parameters an S3 compatible needs.
func fakeS3(t *testing.T) string {
	backend := s3mem.New()
	if err := backend.CreateBucket("attachments"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	return "s3://attachments?region=us-east-1&use_path_style=true&endpoint=" + url.QueryEscape(srv.URL)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// read returns the content stored under sum from offset on.
func read(t *testing.T, s *Store, sum string, offset int64) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), sum)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Seek(offset, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertKeys checks that the bucket holds exactly the keys given.
func assertKeys(t *testing.T, s *Store, want ...string) {
	t.Helper()
	var got []string
	it := s.bucket.List(&blob.ListOptions{})
	for {
		obj, err := it.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, obj.Key)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("keys = %q, want %q", got, want)
	}
}
