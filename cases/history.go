package cases

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/attachment"
	"github.com/partnerdesk/partnerdesk/ent/caseevent"
	"github.com/partnerdesk/partnerdesk/ent/schema/fieldaccess"
	"github.com/partnerdesk/partnerdesk/ent/schema/jsontype"
	"github.com/partnerdesk/partnerdesk/ent/supportcase"
	"github.com/partnerdesk/partnerdesk/ids"
)

// A case's history is derived, not written: the workflows change cases,
// comments and attachments through ent, and History, registered by the
// schema on the three types, turns what each mutation changed into the
// case's events. A rule that changes a case cannot then forget its event,
// and every event is created by a CaseEvent builder of the mutation's own
// client, so that the hooks consumers register with client.CaseEvent.Use
// (subscriptions, notifications) see each one, in its transaction.

// caseKinds maps each field of a case whose change is history to the
// event it makes. Fields missing here (updated_at, version, the instants
// the workflows keep) are bookkeeping.
var caseKinds = map[string]caseevent.Kind{
	supportcase.FieldStatus:           caseevent.KindSTATUS_CHANGED, // or CLOSED, REOPENED: statusKind
	supportcase.FieldSeverity:         caseevent.KindSEVERITY_CHANGED,
	supportcase.FieldEscalated:        caseevent.KindESCALATED,
	supportcase.FieldPrimaryContactID: caseevent.KindPRIMARY_CONTACT_CHANGED,
	supportcase.FieldSharedEmails:     caseevent.KindSHARED,
	supportcase.FieldTitle:            caseevent.KindUPDATED,
	supportcase.FieldDescription:      caseevent.KindUPDATED,
	supportcase.FieldProduct:          caseevent.KindUPDATED,
	supportcase.FieldCategory:         caseevent.KindUPDATED,
	supportcase.FieldTimezone:         caseevent.KindUPDATED,
	supportcase.FieldLanguage:         caseevent.KindUPDATED,
}

// companions are the bookkeeping fields an event shows when they change
// with the field it is about: what a reader of the event needs to know
// (the new due time, why the case was escalated) without loading the case.
var companions = map[string][]string{
	supportcase.FieldSeverity:  {supportcase.FieldFirstResponseDueAt},
	supportcase.FieldEscalated: {supportcase.FieldEscalationReason},
}

// kindOrder is the order in which one change records its events.
var kindOrder = []caseevent.Kind{
	caseevent.KindCREATED, caseevent.KindCLOSED, caseevent.KindREOPENED, caseevent.KindSTATUS_CHANGED,
	caseevent.KindSEVERITY_CHANGED, caseevent.KindESCALATED, caseevent.KindPRIMARY_CONTACT_CHANGED,
	caseevent.KindCOLLABORATOR_ADDED, caseevent.KindCOLLABORATOR_REMOVED, caseevent.KindSHARED,
	caseevent.KindCOMMENTED, caseevent.KindATTACHMENT_ADDED, caseevent.KindATTACHMENT_REMOVED, caseevent.KindUPDATED,
}

// recorder is the history of one workflow call: who acts and when, and
// the events History derived, in the order it wrote them.
type recorder struct {
	actor  string
	at     time.Time
	events []*ent.CaseEvent
}

type recorderKey struct{}

// recording returns ctx with a recorder of what v changes. Only the
// workflows, which know who acts, record: rows written otherwise
// (fixtures, the demo's ready-made history) bring their own events.
func recording(ctx context.Context, v *access.Session) (context.Context, *recorder) {
	r := &recorder{actor: v.ContactID, at: v.Now}
	return context.WithValue(ctx, recorderKey{}, r), r
}

// change is the Change of kase: the case and the events recorded.
func (r *recorder) change(kase *ent.SupportCase) *Change {
	return &Change{Case: kase, Events: r.events}
}

// save writes a case as v, with its history, and returns the change.
func save(ctx context.Context, v *access.Session, write func(context.Context) (*ent.SupportCase, error)) (*Change, error) {
	ctx, r := recording(ctx, v)
	kase, err := write(ctx)
	if err != nil {
		return nil, err
	}
	return r.change(kase), nil
}

// entry is an event History is to write.
type entry struct {
	caseID, customerID string
	kind               caseevent.Kind
	changes            []jsontype.FieldChange
	commentID          *string
	visibility         caseevent.Visibility
}

// History is the hook that writes a case's history from the mutations of
// cases, comments and attachments made in a workflow (recording).
func History(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		r, _ := ctx.Value(recorderKey{}).(*recorder)
		if r == nil {
			return next.Mutate(ctx, m)
		}
		switch m := m.(type) {
		case *ent.SupportCaseMutation:
			return r.caseMutation(ctx, m, next)
		case *ent.CaseCommentMutation:
			return r.after(ctx, m.Client(), m, next, func(v ent.Value) []entry {
				cm := v.(*ent.CaseComment)
				return []entry{{caseID: cm.CaseID, customerID: cm.CustomerID, kind: caseevent.KindCOMMENTED,
					commentID: &cm.ID, visibility: caseevent.Visibility(cm.Visibility)}}
			})
		case *ent.AttachmentMutation:
			return r.attachmentMutation(ctx, m, next)
		}
		return next.Mutate(ctx, m)
	})
}

// after runs m, then writes the events derive finds in its result. Only
// creations are history: comments are immutable.
func (r *recorder) after(ctx context.Context, c *ent.Client, m ent.Mutation, next ent.Mutator, derive func(ent.Value) []entry) (ent.Value, error) {
	v, err := next.Mutate(ctx, m)
	if err != nil || !m.Op().Is(ent.OpCreate) {
		return v, err
	}
	return v, r.write(ctx, c, derive(v))
}

func (r *recorder) caseMutation(ctx context.Context, m *ent.SupportCaseMutation, next ent.Mutator) (ent.Value, error) {
	switch {
	case m.Op().Is(ent.OpCreate):
		return r.after(ctx, m.Client(), m, next, func(v ent.Value) []entry {
			kase := v.(*ent.SupportCase)
			return []entry{{caseID: kase.ID, customerID: kase.CustomerID, kind: caseevent.KindCREATED, changes: []jsontype.FieldChange{
				change(fieldaccess.GraphQLName(supportcase.FieldStatus), "", string(kase.Status)),
				change(fieldaccess.GraphQLName(supportcase.FieldSeverity), "", string(kase.Severity)),
			}}}
		})
	case m.Op().Is(ent.OpUpdate) && historic(m):
		// A bulk update cannot say what each row was: a workflow that
		// changes history updates one case.
		return nil, fmt.Errorf("cases: %v of a case changed by a bulk update: use UpdateOne, whose old values History reads", m.Fields())
	case !m.Op().Is(ent.OpUpdateOne) || !historic(m):
		return next.Mutate(ctx, m)
	}
	entries, err := caseEntries(ctx, m)
	if err != nil {
		return nil, err
	}
	v, err := next.Mutate(ctx, m)
	if err != nil {
		return nil, err
	}
	return v, r.write(ctx, m.Client(), entries)
}

func (r *recorder) attachmentMutation(ctx context.Context, m *ent.AttachmentMutation, next ent.Mutator) (ent.Value, error) {
	if !m.Op().Is(ent.OpDelete | ent.OpDeleteOne) {
		return r.after(ctx, m.Client(), m, next, func(v ent.Value) []entry {
			a := v.(*ent.Attachment)
			return []entry{{caseID: a.CaseID, customerID: a.CustomerID, kind: caseevent.KindATTACHMENT_ADDED,
				changes: []jsontype.FieldChange{change("attachments", "", a.Name)}}}
		})
	}
	// What is gone cannot be read afterwards.
	ids, err := m.IDs(ctx)
	if err != nil {
		return nil, err
	}
	gone, err := m.Client().Attachment.Query().Where(attachment.IDIn(ids...)).
		Select(attachment.FieldCaseID, attachment.FieldCustomerID, attachment.FieldName).All(ctx)
	if err != nil {
		return nil, err
	}
	v, err := next.Mutate(ctx, m)
	if err != nil {
		return nil, err
	}
	entries := make([]entry, len(gone))
	for i, a := range gone {
		entries[i] = entry{caseID: a.CaseID, customerID: a.CustomerID, kind: caseevent.KindATTACHMENT_REMOVED,
			changes: []jsontype.FieldChange{change("attachments", a.Name, "")}}
	}
	return v, r.write(ctx, m.Client(), entries)
}

// write creates the events of entries, in one statement.
func (r *recorder) write(ctx context.Context, c *ent.Client, entries []entry) error {
	if len(entries) == 0 {
		return nil
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		return slices.Index(kindOrder, a.kind) - slices.Index(kindOrder, b.kind)
	})
	// The events of one change share their instant: their IDs, in order,
	// keep them in it.
	evIDs := make([]string, len(entries))
	for i := range evIDs {
		evIDs[i] = ids.New(ids.CaseEvent)
	}
	slices.Sort(evIDs)
	builders := make([]*ent.CaseEventCreate, len(entries))
	for i, e := range entries {
		builders[i] = c.CaseEvent.Create().
			SetID(evIDs[i]).
			SetCaseID(e.caseID).
			SetCustomerID(e.customerID).
			SetKind(e.kind).
			SetChanges(append([]jsontype.FieldChange{}, e.changes...)).
			SetNillableCommentID(e.commentID).
			SetCreatedAt(r.at)
		if r.actor != "" {
			builders[i].SetActorID(r.actor)
		}
		if e.visibility != "" {
			builders[i].SetVisibility(e.visibility)
		}
	}
	evs, err := c.CaseEvent.CreateBulk(builders...).Save(ctx)
	r.events = append(r.events, evs...)
	return err
}

// historic reports whether m changes a field or an edge of a case that
// is history.
func historic(m *ent.SupportCaseMutation) bool {
	for _, f := range append(m.Fields(), m.ClearedFields()...) {
		if _, ok := caseKinds[f]; ok {
			return true
		}
	}
	return len(m.AddedIDs(supportcase.EdgeCollaborators))+len(m.RemovedIDs(supportcase.EdgeCollaborators)) > 0
}

// differs reports whether m, an update of one case, would change anything
// that is history: an update that would not is not worth a version.
func differs(ctx context.Context, m *ent.SupportCaseMutation) (bool, error) {
	entries, err := caseEntries(ctx, m)
	return len(entries) > 0, err
}

// caseEntries derives, before m is saved, the events of its change to one
// case from its old values: one event per kind, with every field of that
// kind that changes.
func caseEntries(ctx context.Context, m *ent.SupportCaseMutation) ([]entry, error) {
	byKind := map[caseevent.Kind][]jsontype.FieldChange{}
	for _, name := range append(m.Fields(), m.ClearedFields()...) {
		kind, ok := caseKinds[name]
		if !ok {
			continue
		}
		before, after, err := values(ctx, m, name)
		if err != nil {
			return nil, err
		}
		if before == after {
			continue
		}
		if name == supportcase.FieldStatus {
			kind = statusKind(before, after)
		}
		byKind[kind] = append(byKind[kind], change(fieldaccess.GraphQLName(name), before, after))
		for _, with := range companions[name] {
			if _, set := m.Field(with); !set {
				continue
			}
			before, after, err := values(ctx, m, with)
			if err != nil {
				return nil, err
			}
			if before != after {
				byKind[kind] = append(byKind[kind], change(fieldaccess.GraphQLName(with), before, after))
			}
		}
	}
	for _, id := range sorted(m.CollaboratorsIDs()) {
		byKind[caseevent.KindCOLLABORATOR_ADDED] = append(byKind[caseevent.KindCOLLABORATOR_ADDED], change("collaborators", "", id))
	}
	for _, id := range sorted(m.RemovedCollaboratorsIDs()) {
		byKind[caseevent.KindCOLLABORATOR_REMOVED] = append(byKind[caseevent.KindCOLLABORATOR_REMOVED], change("collaborators", id, ""))
	}
	if len(byKind) == 0 {
		return nil, nil
	}
	id, _ := m.ID()
	customer, err := m.OldCustomerID(ctx)
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, k := range kindOrder {
		if chs, ok := byKind[k]; ok {
			out = append(out, entry{caseID: id, customerID: customer, kind: k, changes: chs})
		}
	}
	return out, nil
}

// statusKind is the event of a status change: closing and reopening have
// their own.
func statusKind(before, after string) caseevent.Kind {
	switch {
	case after == string(supportcase.StatusCLOSED):
		return caseevent.KindCLOSED
	case before == string(supportcase.StatusCLOSED):
		return caseevent.KindREOPENED
	}
	return caseevent.KindSTATUS_CHANGED
}

// values returns a field's value before and after m, as an event shows
// them: a list by the elements it loses and gains.
func values(ctx context.Context, m *ent.SupportCaseMutation, name string) (before, after string, err error) {
	old, err := m.OldField(ctx, name)
	if err != nil {
		return "", "", err
	}
	now, _ := m.Field(name)
	if was, ok := old.([]string); ok {
		is, _ := now.([]string)
		return strings.Join(without(was, is), ", "), strings.Join(without(is, was), ", "), nil
	}
	return text(old), text(now), nil
}

// without returns the elements of a not in b.
func without(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// text is a field value as an event shows it; a value not set is empty.
func text(v any) string {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return ""
		}
		v = rv.Elem().Interface()
	}
	switch v := v.(type) {
	case nil:
		return ""
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano) // as the graph writes a Time
	case bool:
		return strconv.FormatBool(v)
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

// sorted returns ids in order: ent keeps an edge's changes in a map.
func sorted(ids []string) []string {
	slices.Sort(ids)
	return ids
}
