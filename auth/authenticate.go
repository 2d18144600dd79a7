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
	"github.com/partnerdesk/partnerdesk/grants"
	"github.com/partnerdesk/partnerdesk/viewer"
)

// lastUsedResolution bounds how often a token's last use is written: once a
// minute is precise enough to spot a stale token, and spares the single
// SQLite writer a write on every request.
const lastUsedResolution = time.Minute

// Authenticator resolves bearer tokens to viewers.
type Authenticator struct {
	Client *ent.Client
	Clock  clock.Clock
}

// Authenticate returns the viewer for an Authorization header value
// ("Bearer <token>"). Every failure, whatever its cause, is
// apperr.ErrUnauthenticated, so that a caller learns nothing about which
// tokens or contacts exist.
func (a *Authenticator) Authenticate(ctx context.Context, authorization string) (*viewer.Viewer, error) {
	token, ok := bearer(authorization)
	if !ok {
		return nil, apperr.ErrUnauthenticated
	}
	sys := viewer.SystemContext(ctx)
	now := a.Clock.Now()
	tok, err := a.Client.AccessToken.Query().
		Where(
			accesstoken.TokenHash(Hash(token)),
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
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) >= lastUsedResolution {
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
	return viewer.New(caller, now, a.partnershipLoader(caller.OrgID)), nil
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

// partnershipLoader loads, once per request, every grant the partner ever
// had approved (whether each gives access now is decided by
// access.Effective at the request's instant; past ones decide the partner
// era of cases) and which of those customers share their case history.
func (a *Authenticator) partnershipLoader(partnerID string) func(context.Context) (access.Partnership, error) {
	return func(ctx context.Context) (access.Partnership, error) {
		ctx = viewer.SystemContext(ctx)
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
}
