package helpdesk

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/contact"
	"github.com/partnerdesk/partnerdesk/ent/verificationcode"
	"github.com/partnerdesk/partnerdesk/ids"
	"github.com/partnerdesk/partnerdesk/mailer"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// A verification code is 6 digits, lives 10 minutes and allows 5 checks.
const (
	CodeLifetime = 10 * time.Minute
	MaxAttempts  = 5
)

// Result is the outcome of checking a code.
type Result string

// The outcomes of a check.
const (
	Verified  Result = "VERIFIED"
	WrongCode Result = "WRONG_CODE"
	Expired   Result = "EXPIRED"
	Locked    Result = "LOCKED"
	NoCode    Result = "NO_CODE"
)

// Check is the answer to a check; the code itself never leaves the server
// except in the email.
type Check struct {
	Contact      *ent.Contact
	Result       Result
	AttemptsLeft int
}

// inScope loads a contact the help-desk caller supports; any other contact
// is not found.
func inScope(ctx context.Context, c *ent.Client, v *access.Session, contactID string) (*ent.Contact, error) {
	levels, all, err := Scope(ctx, v)
	if err != nil {
		return nil, err
	}
	ct, err := c.Contact.Get(ctx, contactID)
	if err != nil {
		return nil, err
	}
	if _, ok := levels[ct.OrganizationID]; !all && !ok {
		return nil, apperr.ErrNotFound
	}
	if _, err := v.Require(access.VerifyContact, ct.OrganizationID); err != nil {
		return nil, err
	}
	return ct, nil
}

// MailVerificationCode is the kind of a verification code's mail.
const MailVerificationCode = "VERIFICATION_CODE"

// SendCode queues an email with a new 6-digit code to a contact, which the
// person reads back to the help desk. Only its salted hash is kept. c is
// the mutation's transaction, so the code and its mail commit together.
func SendCode(ctx context.Context, c *ent.Client, v *access.Session, contactID string) (*ent.Contact, time.Time, error) {
	ct, err := inScope(ctx, c, v, contactID)
	if err != nil {
		return nil, time.Time{}, err
	}
	if ct.Status != contact.StatusACTIVE {
		return nil, time.Time{}, apperr.Invalid("contact_id", "%s is %s: only active contacts can be verified", ct.Name, ct.Status)
	}
	suppressed, err := mailer.Suppressed(ctx, c, ct.Email)
	if err != nil {
		return nil, time.Time{}, err
	}
	if suppressed {
		return nil, time.Time{}, &apperr.Error{Code: apperr.Conflict, Reason: "SUPPRESSED",
			Message: "mail to this contact is suppressed; clear the suppression first"}
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return nil, time.Time{}, err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	id, expires := ids.New(ids.VerificationCode), v.Now.Add(CodeLifetime)
	if err := c.VerificationCode.Create().
		SetID(id).
		SetContactID(ct.ID).
		SetOrganizationID(ct.OrganizationID).
		SetRequestedByID(v.ContactID).
		SetCodeHash(hashCode(id, code)).
		SetExpiresAt(expires).
		SetCreatedAt(v.Now).
		Exec(ctx); err != nil {
		return nil, time.Time{}, err
	}
	if _, err := mailer.Enqueue(ctx, c, mailer.Message{
		To:      ct.Email,
		Subject: "Your verification code",
		Text: fmt.Sprintf("Hello %s,\n\nthe support team asked to confirm it is you. Read them this code: %s\n\n"+
			"It works for 10 minutes. If you did not call support, ignore this email.\n", ct.Name, code),
		Kind:      MailVerificationCode,
		ContactID: ct.ID,
		ObjectID:  id,
		At:        v.Now,
	}); err != nil {
		return nil, time.Time{}, err
	}
	ct, err = c.Contact.Get(ctx, ct.ID)
	return ct, expires, err
}

// hashCode salts a code with its record's ID, so that equal codes of two
// contacts do not hash alike.
func hashCode(id, code string) []byte {
	h := sha256.Sum256([]byte(id + ":" + code))
	return h[:]
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// CheckCode checks the code a person read back, spaces and dashes aside,
// against the contact's latest one. Every check counts, wrong or right, so
// a wrong guess is an answer, not an error: the attempt must be kept when
// the request succeeds.
func CheckCode(ctx context.Context, c *ent.Client, v *access.Session, contactID, code string) (*Check, error) {
	code = strings.NewReplacer(" ", "", "-", "").Replace(code) // read back in groups: "123 456"
	if !sixDigits.MatchString(code) {
		return nil, apperr.Invalid("code", "a verification code is 6 digits")
	}
	ct, err := inScope(ctx, c, v, contactID)
	if err != nil {
		return nil, err
	}
	// Codes are the server's records: no caller reads them.
	rec, err := c.VerificationCode.Query().
		Where(verificationcode.ContactID(ct.ID)).
		Order(ent.Desc(verificationcode.FieldCreatedAt), ent.Desc(verificationcode.FieldID)).
		First(rowfilter.Privileged(ctx))
	switch {
	case ent.IsNotFound(err):
		return &Check{Contact: ct, Result: NoCode}, nil
	case err != nil:
		return nil, err
	case rec.VerifiedAt != nil:
		return &Check{Contact: ct, Result: NoCode}, nil // a code works once
	case !v.Now.Before(rec.ExpiresAt):
		return &Check{Contact: ct, Result: Expired}, nil
	case rec.Attempts >= MaxAttempts:
		return &Check{Contact: ct, Result: Locked}, nil
	}
	q := c.VerificationCode.UpdateOne(rec).AddAttempts(1)
	left := MaxAttempts - rec.Attempts - 1
	result := WrongCode
	if subtle.ConstantTimeCompare(hashCode(rec.ID, code), rec.CodeHash) == 1 {
		result = Verified
		q.SetVerifiedAt(v.Now)
	} else if left == 0 {
		result = Locked
	}
	return &Check{Contact: ct, Result: result, AttemptsLeft: left}, q.Exec(ctx)
}

// ClearSuppression lets mail reach a contact again after its address was
// suppressed (for example after bounces that have since been fixed).
func ClearSuppression(ctx context.Context, c *ent.Client, v *access.Session, contactID string) (*ent.Contact, error) {
	ct, err := inScope(ctx, c, v, contactID)
	if err != nil {
		return nil, err
	}
	suppressed, err := mailer.Suppressed(ctx, c, ct.Email)
	if err != nil {
		return nil, err
	}
	if !suppressed {
		return nil, apperr.Conflictf("mail to %s is not suppressed", ct.Name)
	}
	if err := mailer.Unsuppress(ctx, c, ct.Email); err != nil {
		return nil, err
	}
	return c.Contact.UpdateOne(ct).SetLastEmailStatus(contact.LastEmailStatusNONE).Save(ctx)
}

// MarshalGQL writes the result as a GraphQL enum value.
func (r Result) MarshalGQL(w io.Writer) { io.WriteString(w, strconv.Quote(string(r))) }

// UnmarshalGQL reads a GraphQL enum value.
func (r *Result) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%v is not a verification result", v)
	}
	*r = Result(s)
	return nil
}
