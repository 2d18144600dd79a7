package auth

import (
	"context"
	"strings"
	"time"

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
}

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

func (a *Authenticator) session(ctx context.Context, which predicate.AccessToken, now time.Time, touch bool) (*access.Session, error) {
	sys := rowfilter.Privileged(ctx)
	tok, err := a.Client.AccessToken.Query().
		Where(
			which,
			accesstoken.RevokedAtIsNil(),
			accesstoken.Or(accesstoken.ExpiresAtIsNil(), accesstoken.ExpiresAtGT(now)),
		).
		WithContact(func(q *ent.ContactQuery) { q.WithOrganization() }).
		Only(sys)
	if ent.IsNotFound(err) {
		return nil, apperr.ErrUnauthenticated
	}
	if err != nil {
		return nil, err
	}
	c := tok.Edges.Contact
	if c.Status != contact.StatusACTIVE {
		return nil, apperr.ErrUnauthenticated
	}
	if touch && (tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) >= lastUsedResolution) {
		if err := a.Client.AccessToken.UpdateOne(tok).SetLastUsedAt(now).Exec(sys); err != nil {
			return nil, err
		}
	}
	caller := access.Caller{
		ContactID: c.ID,
		OrgID:     c.OrganizationID,
		OrgKind:   c.Edges.Organization.Kind,
		Roles:     c.Roles,
		Email:     c.Email,
		Active:    true,
	}
	var p access.Partnership
	if caller.OrgKind == access.Partner {
		if p, err = a.partnership(sys, caller.OrgID); err != nil {
			return nil, err
		}
	}
	s := access.NewSession(caller, now, p)
	s.TokenID, s.TokenExpiresAt = tok.ID, tok.ExpiresAt
	return s, nil
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

// partnership reads every grant a partner ever had approved (whether each
// gives access now is access.Effective's to decide at the session's
// instant; past ones decide the partner era of cases) and which of those
// customers share their case history.
func (a *Authenticator) partnership(ctx context.Context, partnerID string) (access.Partnership, error) {
	gs, err := grants.OfPartner(ctx, a.Client, partnerID)
	if err != nil {
		return access.Partnership{}, err
	}
	p := access.Partnership{Grants: gs, SharesHistory: map[string]bool{}}
	customers := make([]string, len(gs))
	for i, g := range gs {
		customers[i] = g.CustomerID
	}
	sharing, err := a.Client.Organization.Query().
		Where(organization.IDIn(customers...), organization.ShareCaseHistoryWithPartners(true)).
		IDs(ctx)
	if err != nil {
		return access.Partnership{}, err
	}
	for _, id := range sharing {
		p.SharesHistory[id] = true
	}
	return p, nil
}
