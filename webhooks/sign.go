package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The headers of a delivery.
const (
	// SignatureHeader carries t=<unix seconds>,v1=<hex HMAC-SHA256 of
	// "<t>.<body>" keyed by the webhook's secret> (Stripe's scheme).
	SignatureHeader = "Partnerdesk-Signature"
	// DeliveryHeader carries the delivery's ID, the same on every attempt:
	// a receiver deduplicates on it.
	DeliveryHeader = "Partnerdesk-Delivery"
	// EventHeader carries the event's type.
	EventHeader = "Partnerdesk-Event"
)

// Tolerance is how far from a receiver's clock a signature's timestamp
// may be before Verify refuses it as a replay.
const Tolerance = 5 * time.Minute

// Sign returns the signature header of body, signed with secret at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// ErrSignature is returned (wrapped) by Verify for a delivery it refuses.
var ErrSignature = errors.New("webhooks: bad signature")

// Verify checks a delivery as a receiver should: header is the signature
// header, body the raw body; a timestamp more than tolerance from now is
// refused, so that a recorded delivery cannot be replayed later.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: no timestamp", ErrSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp %s from now", ErrSignature, d)
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("%w: no v1 signature matches", ErrSignature)
}
