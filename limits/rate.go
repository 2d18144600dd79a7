package limits

import (
	"fmt"
	"math"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/partnerdesk/partnerdesk/apperr"
)

// Buckets keeps a token bucket per key (x/time/rate): a caller's
// rate-limit points, or an address's failed sign-ins. The most recently
// used keys are kept; a key evicted after a quiet spell starts full again.
type Buckets struct {
	capacity int
	restore  rate.Limit
	now      func() time.Time

	mu   sync.Mutex // guards creating a key's bucket
	keys *lru.Cache[string, *rate.Limiter]
}

// MaxKeys is how many keys a Buckets remembers.
const MaxKeys = 10000

// Size is how many points a bucket holds and how fast they come back.
type Size struct {
	Capacity  int
	PerSecond float64
}

// The default sizes. A caller's bucket takes the costliest operation the
// default limits admit (Points(Defaults.MaxComplexity) is 251) and restores
// in ten seconds; an address may fail to sign in 20 times, then once every
// five seconds.
var (
	DefaultRate           = Size{Capacity: 300, PerSecond: 30}
	DefaultSignInFailures = Size{Capacity: 20, PerSecond: 0.2}
)

// NewBuckets returns buckets of the given size, on the clock now.
func NewBuckets(size Size, now func() time.Time) *Buckets {
	keys, err := lru.New[string, *rate.Limiter](MaxKeys)
	if err != nil {
		panic(err) // only for a non-positive size
	}
	return &Buckets{capacity: size.Capacity, restore: rate.Limit(size.PerSecond), now: now, keys: keys}
}

// Capacity is the most points a bucket holds.
func (b *Buckets) Capacity() float64 { return float64(b.capacity) }

// Status is a bucket's state after a request, as clients read it.
type Status struct {
	Maximum     float64 `json:"maximumAvailable"`
	Available   float64 `json:"currentlyAvailable"`
	RestoreRate float64 `json:"restoreRate"`
	// RetryAfter is how long until a refused request would be allowed.
	RetryAfter time.Duration `json:"-"`
}

func (b *Buckets) bucket(key string) *rate.Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	l, ok := b.keys.Get(key)
	if !ok {
		l = rate.NewLimiter(b.restore, b.capacity)
		b.keys.Add(key, l)
	}
	return l
}

// Spend takes n points from key's bucket, if it holds them.
func (b *Buckets) Spend(key string, n int64) (Status, bool) {
	l, now := b.bucket(key), b.now()
	ok := l.AllowN(now, int(n))
	return b.status(l, now, float64(n)), ok
}

// Empty reports whether key's bucket holds less than one point, and when it
// will hold one.
func (b *Buckets) Empty(key string) (Status, bool) {
	l, now := b.bucket(key), b.now()
	st := b.status(l, now, 1)
	return st, st.Available < 1
}

func (b *Buckets) status(l *rate.Limiter, now time.Time, want float64) Status {
	have := l.TokensAt(now)
	st := Status{Maximum: b.Capacity(), Available: math.Floor(max(have, 0)), RestoreRate: float64(b.restore)}
	if have < want && b.restore > 0 {
		st.RetryAfter = time.Duration((want - have) / float64(b.restore) * float64(time.Second))
	}
	return st
}

// TooManyFailures refuses a sign-in from an address whose failures emptied
// its bucket.
func TooManyFailures(st Status) *apperr.Error {
	secs := max(int64(math.Ceil(st.RetryAfter.Seconds())), 1)
	return &apperr.Error{Code: apperr.RateLimited, Reason: "SIGN_IN_FAILURES", RetryAfter: time.Duration(secs) * time.Second,
		Message: fmt.Sprintf("too many failed sign-ins from this address; try again in %d s", secs)}
}
