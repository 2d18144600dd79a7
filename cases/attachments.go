package cases

import (
	"context"
	"errors"
	"io"
	"net/url"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/apperr"
	"github.com/partnerdesk/partnerdesk/attachments"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/rowfilter"
)

// LinkedAttachment reads the attachment a signed download link names,
// once links has checked the link (its query). The link is the access: its
// maker could see the case when it was made (downloadURL needs CC), so the
// read goes around the row filter, for that one attachment.
func LinkedAttachment(ctx context.Context, c *ent.Client, links *attachments.Links, id string, query url.Values) (*ent.Attachment, error) {
	if err := links.Check(id, query); err != nil {
		return nil, err
	}
	return c.Attachment.Get(rowfilter.Privileged(ctx), id)
}

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
// staff may. The content stays in the store, where other attachments
// may share it.
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
