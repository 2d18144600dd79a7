package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"entgo.io/ent/dialect/sql"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/clock"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/accesstoken"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/organization"
	"github.com/partnerdesk/partnerdesk/ent/predicate"
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// lastUsedResolution bounds how often a token's last use is written: once a
// minute is precise enough to spot a stale token, and spares the single
// SQLite writer a write on every request.
const lastUsedResolution = time.Minute

// Authenticator resolves bearer tokens to sessions.
type Authenticator struct {
	Client *ent.Client
	Clock  clock.Clock

	once         sync.Once
	partnerships *lru.Cache[string, versioned] // by partner, see partnership
}

// versioned is a partner's grants as read at one access version.
type versioned struct {
	version int64
	p       access.Partnership
}

// partnerships is how many partners' grants sign-in keeps.
const partnerships = 4096

// Authenticate returns the session of an Authorization header value
// ("Bearer <token>") as of now. Every failure, whatever its cause, is
// apperr.ErrUnauthenticated, so that a caller learns nothing about which
// tokens or contacts exist.
func (a *Authenticator) Authenticate(ctx context.Context, authorization string) (*access.Session, error) {
	token, ok := bearer(authorization)
	if !ok {
		return nil, apperr.ErrUnauthenticated
	}
	return a.session(ctx, accesstoken.TokenHash(Hash(token)), a.Clock.Now(), true)
}

// Refresh returns s's caller's session as of now, reading its token,
// contact and grants again: a mutation decides each of its root fields,
// and an open stream each change to its caller, against them as they
// stand. A token revoked or expired, or a contact no longer active, is
// apperr.ErrUnauthenticated.
func (a *Authenticator) Refresh(ctx context.Context, s *access.Session) (*access.Session, error) {
	return a.session(ctx, accesstoken.ID(s.TokenID), a.Clock.Now(), false)
}

// signIn is what signing in reads: a token with its contact and the
// contact's organisation, in one query.
type signIn struct {
	TokenID    string     `sql:"token_id"`
	ExpiresAt  *time.Time `sql:"expires_at"`
	LastUsedAt *time.Time `sql:"last_used_at"`
	ContactID  string     `sql:"contact_id"`
	OrgID      string     `sql:"organization_id"`
	OrgKind    string     `sql:"kind"`
	Roles      string     `sql:"roles"`
	Email      string     `sql:"email"`
	Status     string     `sql:"status"`
	Version    int64      `sql:"access_version"`
}

func (a *Authenticator) session(ctx context.Context, which predicate.AccessToken, now time.Time, touch bool) (*access.Session, error) {
	sys := rowfilter.Privileged(ctx)
	var rows []signIn
	err := a.Client.AccessToken.Query().
		Where(
			which,
			accesstoken.RevokedAtIsNil(),
			accesstoken.Or(accesstoken.ExpiresAtIsNil(), accesstoken.ExpiresAtGT(now)),
		).
		Modify(func(s *sql.Selector) {
			c, o := sql.Table(contact.Table), sql.Table(organization.Table)
			s.Join(c).On(s.C(accesstoken.FieldContactID), c.C(contact.FieldID)).
				Join(o).On(c.C(contact.FieldOrganizationID), o.C(organization.FieldID)).
				Select(sql.As(s.C(accesstoken.FieldID), "token_id"), s.C(accesstoken.FieldExpiresAt), s.C(accesstoken.FieldLastUsedAt),
					sql.As(c.C(contact.FieldID), "contact_id"), c.C(contact.FieldOrganizationID), o.C(organization.FieldKind),
					c.C(contact.FieldRoles), c.C(contact.FieldEmail), c.C(contact.FieldStatus), o.C(organization.FieldAccessVersion))
		}).
		Scan(sys, &rows)
	if err != nil {
		return nil, err
	}
	if len(rows) != 1 || rows[0].Status != string(contact.StatusACTIVE) {
		return nil, apperr.ErrUnauthenticated
	}
	row := rows[0]
	if touch && (row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) >= lastUsedResolution) {
		if err := a.Client.AccessToken.UpdateOneID(row.TokenID).SetLastUsedAt(now).Exec(sys); err != nil {
			return nil, err
		}
	}
	var roles []access.Role
	if err := json.Unmarshal([]byte(row.Roles), &roles); err != nil {
		return nil, fmt.Errorf("auth: the roles of contact %s: %w", row.ContactID, err)
	}
	caller := access.Caller{
		ContactID: row.ContactID,
		OrgID:     row.OrgID,
		OrgKind:   access.OrgKind(row.OrgKind),
		Roles:     roles,
		Email:     row.Email,
		Active:    true,
	}
	var p access.Partnership
	if caller.OrgKind == access.Partner {
		if p, err = a.partnership(sys, caller.OrgID, row.Version); err != nil {
			return nil, err
		}
	}
	s := access.NewSession(caller, now, p)
	s.TokenID, s.TokenExpiresAt = row.TokenID, row.ExpiresAt
	return s, nil
}

// partnership returns a partner's grants at its access version, read
// again only when the version moved since they were last read: a grant
// changed, or a customer's history sharing (package grants moves it, in
// the same transaction). Every instance reads the version with the caller,
// so none uses grants older than the request's own read.
func (a *Authenticator) partnership(ctx context.Context, partnerID string, version int64) (access.Partnership, error) {
	a.once.Do(func() { a.partnerships, _ = lru.New[string, versioned](partnerships) })
	if v, ok := a.partnerships.Get(partnerID); ok && v.version == version {
		return v.p, nil
	}
	p, err := grants.Partnership(ctx, a.Client, partnerID)
	if err == nil {
		a.partnerships.Add(partnerID, versioned{version, p})
	}
	return p, err
}

// LooksLikeBearer reports whether an Authorization header value has the
// shape of one of our tokens, which can be told without the database.
func LooksLikeBearer(authorization string) bool {
	_, ok := bearer(authorization)
	return ok
}

func bearer(authorization string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && strings.HasPrefix(token, tokenPrefix)
}
