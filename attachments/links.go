package attachments

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/clock"
)

// MinKeyBytes is the shortest key Links accepts: an HMAC-SHA256 key
// shorter than its output gives less than its strength.
const MinKeyBytes = 32

// DefaultLinkTTL is how long a download link works: long enough to click,
// short enough that a link copied into a chat or a log soon stops working.
const DefaultLinkTTL = 5 * time.Minute

// Links signs download links: a link names an attachment and an expiry,
// and carries their HMAC under the server's key, so that a browser can
// download with a plain link or an <img> (which send no Authorization
// header) while nobody can make or stretch a link without the key. The
// caller's access is checked when the link is made (the downloadURL
// field); the link grants that access, for that file, until it expires.
type Links struct {
	key   []byte
	ttl   time.Duration
	clock clock.Clock
}

// NewLinks returns links signed with key that work for ttl (DefaultLinkTTL
// when zero). A nil key is a random one, which links from another process
// do not match: instances behind one address need the same key.
func NewLinks(key []byte, ttl time.Duration, c clock.Clock) (*Links, error) {
	if key == nil {
		key = make([]byte, MinKeyBytes)
		rand.Read(key)
	}
	if len(key) < MinKeyBytes {
		return nil, errors.New("the download link key must be at least 32 bytes")
	}
	if ttl == 0 {
		ttl = DefaultLinkTTL
	}
	return &Links{key: key, ttl: ttl, clock: c}, nil
}

// Errors of a download link.
var (
	ErrLinkExpired = &apperr.Error{Code: apperr.Forbidden, Reason: "LINK_EXPIRED",
		Message: "this download link has expired: read the attachment's downloadURL again"}
	ErrLinkInvalid = &apperr.Error{Code: apperr.Forbidden, Reason: "LINK_INVALID",
		Message: "this download link is not one the server made"}
)

// URL returns the path and query that download attachment id.
func (l *Links) URL(id string) string {
	expires := strconv.FormatInt(l.clock.Now().Add(l.ttl).Unix(), 10)
	q := url.Values{"expires": {expires}, "signature": {l.sign(id, expires)}}
	return "/attachments/" + url.PathEscape(id) + "?" + q.Encode()
}

// Signed reports whether query carries a signature, which Check then
// judges; without one the download needs a bearer token.
func Signed(query url.Values) bool { return query.Has("signature") }

// Check verifies that query signs a link to attachment id that has not
// expired.
func (l *Links) Check(id string, query url.Values) error {
	expires := query.Get("expires")
	at, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || !hmac.Equal([]byte(query.Get("signature")), []byte(l.sign(id, expires))) {
		return ErrLinkInvalid
	}
	if !l.clock.Now().Before(time.Unix(at, 0)) {
		return ErrLinkExpired
	}
	return nil
}

// sign is the signature of a link to id that expires at expires (Unix
// seconds); the separator keeps one (id, expires) from reading as another.
func (l *Links) sign(id, expires string) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte("download\x00" + id + "\x00" + expires))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
