package attachments

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob"
)

// TestBucketContract runs what Put and Open promise on each kind of
// bucket, looking into the bucket itself: the in-memory driver stands for
// the object stores, which keep no files to look at.
func TestBucketContract(t *testing.T) {
	for name, url := range map[string]func(t *testing.T) string{
		"mem":  func(*testing.T) string { return "mem://" },
		"file": func(t *testing.T) string { return DirURL(t.TempDir()) },
	} {
		t.Run(name, func(t *testing.T) {
			open := func(t *testing.T, maxBytes int64) *Store {
				s, err := New(context.Background(), url(t), maxBytes)
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
