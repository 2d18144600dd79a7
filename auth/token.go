// Package auth turns bearer tokens into callers. Tokens are random, shown
// once and stored only as SHA-256 hashes: a stolen database holds nothing
// that signs in.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
)

// tokenPrefix makes a leaked token recognisable to secret scanners.
const tokenPrefix = "pdt_"

// NewToken returns a fresh random token and the hash to store.
func NewToken() (token string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b) // never fails: crypto/rand panics rather than return short
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, Hash(token)
}

// Hash is the stored form of a token.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Issue creates a token for a contact and returns it with its record; the
// token itself is not kept anywhere. expiresAt nil means it never expires.
// client may be a transaction's client.
func Issue(ctx context.Context, client *ent.Client, contactID, name string, expiresAt *time.Time) (string, *ent.AccessToken, error) {
	token, hash := NewToken()
	rec, err := client.AccessToken.Create().
		SetContactID(contactID).
		SetName(strings.TrimSpace(name)).
		SetTokenHash(hash).
		SetNillableExpiresAt(expiresAt).
		Save(ctx)
	if err != nil {
		return "", nil, err
	}
	return token, rec, nil
}

// Create issues a token for the caller itself, expiring in days when given
// (1 to 730). client may be a transaction's client.
func Create(ctx context.Context, client *ent.Client, s *access.Session, name string, days *int) (string, *ent.AccessToken, error) {
	if _, err := s.Require(access.OwnTokens, s.ContactID); err != nil {
		return "", nil, err
	}
	var expires *time.Time
	if days != nil {
		if *days < 1 || *days > 730 {
			return "", nil, apperr.Invalid("expiresInDays", "expiresInDays must be between 1 and 730")
		}
		t := s.Now.AddDate(0, 0, *days)
		expires = &t
	}
	return Issue(ctx, client, s.ContactID, name, expires)
}

// Revoke ends one of the caller's own tokens at once; the streams it
// opened end with it. Revoking a revoked token changes nothing.
func Revoke(ctx context.Context, client *ent.Client, s *access.Session, id string) (*ent.AccessToken, error) {
	tok, err := client.AccessToken.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.Require(access.OwnTokens, tok.ContactID); err != nil {
		return nil, err
	}
	if tok.RevokedAt != nil {
		return tok, nil
	}
	return tok.Update().SetRevokedAt(s.Now).Save(ctx)
}
