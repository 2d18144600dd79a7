// Package operator implements the commands an operator runs beside the
// server: minting tokens and creating the first vendor admin. They act as
// the system, not as a contact, and leave an audit entry like any mutation.
package operator

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/apperr/enterr"
	"github.com/partnerdesk/partnerdesk/auth"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/rowfilter"
	"github.com/partnerdesk/partnerdesk/validate"
)

// CreateToken issues a token for the contact with the given email. A zero
// ttl means the token never expires.
func CreateToken(ctx context.Context, client *ent.Client, email string, ttl time.Duration, now time.Time) (string, error) {
	ctx = rowfilter.Privileged(ctx)
	email, err := validate.Email(email)
	if err != nil {
		return "", err
	}
	c, err := client.Contact.Query().Where(contact.Email(email)).Only(ctx)
	if ent.IsNotFound(err) {
		return "", fmt.Errorf("no contact has the email %s", email)
	}
	if err != nil {
		return "", err
	}
	if c.Status != contact.StatusACTIVE {
		return "", fmt.Errorf("%s is %s: only active contacts can sign in", email, c.Status)
	}
	var expires *time.Time
	if ttl > 0 {
		t := now.Add(ttl)
		expires = &t
	}
	return inTx(ctx, client, func(tx *ent.Client) (string, error) {
		token, rec, err := auth.Issue(ctx, tx, c.ID, "operator", expires)
		if err != nil {
			return "", err
		}
		return token, record(ctx, tx, "token create", c.OrganizationID, "AccessToken", rec.ID, now)
	})
}

// Bootstrap creates the vendor organisation and its first admin in an empty
// database and returns the admin's token.
func Bootstrap(ctx context.Context, client *ent.Client, vendor, email string, now time.Time) (string, error) {
	ctx = rowfilter.Privileged(ctx)
	n, err := client.Organization.Query().Count(ctx)
	if err != nil {
		return "", err
	}
	if n > 0 {
		return "", errors.New("the database is not empty: bootstrap only sets up a new deployment")
	}
	return inTx(ctx, client, func(tx *ent.Client) (string, error) {
		org, err := tx.Organization.Create().SetKind(access.Vendor).SetName(strings.TrimSpace(vendor)).Save(ctx)
		if err != nil {
			return "", err
		}
		name, _, _ := strings.Cut(email, "@")
		admin, err := tx.Contact.Create().
			SetOrganizationID(org.ID).
			SetName(name).
			SetEmail(email).
			SetRoles([]access.Role{access.RoleAdmin, access.RoleAgent}).
			Save(ctx)
		if err != nil {
			return "", err
		}
		token, _, err := auth.Issue(ctx, tx, admin.ID, "bootstrap", nil)
		if err != nil {
			return "", err
		}
		return token, record(ctx, tx, "bootstrap", org.ID, "Contact", admin.ID, now)
	})
}

func record(ctx context.Context, tx *ent.Client, op, orgID, objType, objID string, now time.Time) error {
	return tx.AuditEntry.Create().
		SetOperation(op).
		SetActorOrganizationID(orgID).
		SetObjectType(objType).
		SetObjectID(objID).
		SetCreatedAt(now).
		Exec(ctx)
}

func inTx(ctx context.Context, client *ent.Client, fn func(*ent.Client) (string, error)) (string, error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return "", err
	}
	out, err := fn(tx.Client())
	if err != nil {
		tx.Rollback()
		return "", describe(err)
	}
	return out, tx.Commit()
}

// describe turns validation failures into the sentence an operator needs.
func describe(err error) error {
	if e, ok := apperr.As(enterr.Convert(err)); ok && e.Field != "" {
		return fmt.Errorf("%s: %s", e.Field, e.Message)
	}
	return err
}

// ParseTTL reads a lifetime such as "90d", "12h" or "30m".
func ParseTTL(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%q is not a number of days such as 90d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a lifetime such as 90d or 12h", s)
	}
	return d, nil
}
