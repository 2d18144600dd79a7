package cases

import (
	"context"
	"errors"
	"io"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/attachments"
	"github.com/partnerdesk/partnerdesk/ent"
)

// AddAttachment stores an uploaded file and adds it to an open case. The
// content is written before the transaction commits; if it rolls back, the
// stored content is simply unreferenced (and shared by equal uploads).
func AddAttachment(ctx context.Context, c *ent.Client, v *access.Session, store *attachments.Store, caseID, name string, r io.Reader) (*ent.Attachment, *Change, error) {
	if store == nil {
		return nil, nil, apperr.Forbiddenf("this server does not accept attachments")
	}
	kase, err := open(ctx, c, v, caseID, nil)
	if err != nil {
		return nil, nil, err
	}
	blob, err := store.Put(ctx, r, name)
	switch {
	case errors.Is(err, attachments.ErrTooLarge), errors.Is(err, attachments.ErrEmpty), errors.Is(err, attachments.ErrBadName):
		return nil, nil, apperr.Invalid("file", "%v", err)
	case err != nil:
		return nil, nil, err
	}
	ctx, rec := recording(ctx, v)
	a, err := c.Attachment.Create().
		SetCaseID(kase.ID).
		SetCustomerID(kase.CustomerID).
		SetUploadedByID(v.ContactID).
		SetName(blob.Name).
		SetContentType(blob.ContentType).
		SetSize(blob.Size).
		SetSha256(blob.SHA256).
		SetCreatedAt(v.Now).
		Save(ctx)
	if err != nil {
		return nil, nil, err
	}
	if kase, err = kase.Update().SetUpdatedAt(v.Now).Save(ctx); err != nil {
		return nil, nil, err
	}
	return a, rec.change(kase), nil
}

// DeleteAttachment removes an attachment from its case; only the vendor's
// staff may. The content stays on disk, where other attachments may share
// it.
func DeleteAttachment(ctx context.Context, c *ent.Client, v *access.Session, id string) (*Change, error) {
	a, err := c.Attachment.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := v.Require(access.StaffOnly, a.CustomerID); err != nil {
		return nil, err
	}
	ctx, rec := recording(ctx, v)
	if err := c.Attachment.DeleteOne(a).Exec(ctx); err != nil {
		return nil, err
	}
	kase, err := c.SupportCase.UpdateOneID(a.CaseID).SetUpdatedAt(v.Now).Save(ctx)
	if err != nil {
		return nil, err
	}
	return rec.change(kase), nil
}
