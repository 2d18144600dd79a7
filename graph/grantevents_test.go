package graph_test

import (
	"testing"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/ent/grantevent"
)

// TestGrantEventsAreKeptAndReadLikeTheirGrant: each change to a grant is
// kept as an event, with who made it, that whoever may read the grant
// reads (node), and nobody else.
func TestGrantEventsAreKeptAndReadLikeTheirGrant(t *testing.T) {
	w := newGrantWorld(t)
	stranger := w.Token(w.Contact(w.Org(access.Partner, "Other"), "Ola", access.RoleAdmin))
	id := w.request(t, map[string]any{"level": "LOOK", "expiresInDays": 30})
	w.Query(w.managerT, `mutation($id: ID!) { approveGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": id}).Decode(t, &struct{}{})
	w.Query(w.managerT, `mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { id } } }`, map[string]any{"id": id}).Decode(t, &struct{}{})

	kept := w.Client.GrantEvent.Query().Where(grantevent.GrantID(id)).Order(grantevent.BySeq()).AllX(w.System())
	want := []struct{ kind, actor string }{{"REQUESTED", w.admin.ID}, {"APPROVED", w.manager.ID}, {"REVOKED", w.manager.ID}}
	if len(kept) != len(want) {
		t.Fatalf("%d events kept, want %d", len(kept), len(want))
	}
	const read = `query($id: ID!) { node(id: $id) { ... on GrantEvent { id kind at actor { id } grant { id } } } }`
	for i, ev := range kept {
		for name, token := range map[string]string{"the partner's admin": w.adminT, "the partner's member": w.partnerT, "the customer's manager": w.managerT} {
			var got struct {
				Node *struct {
					ID, Kind string
					Actor    struct{ ID string }
					Grant    struct{ ID string }
				}
			}
			w.Query(token, read, map[string]any{"id": ev.ID}).Decode(t, &got)
			if got.Node == nil || got.Node.Kind != want[i].kind || got.Node.Actor.ID != want[i].actor || got.Node.Grant.ID != id {
				t.Errorf("%s reads event %d as %+v, want %+v", name, i, got.Node, want[i])
			}
		}
		for name, token := range map[string]string{"another partner": stranger, "the customer's plain member": w.memberT} {
			if res := w.Query(token, read, map[string]any{"id": ev.ID}); res.Code() != "NOT_FOUND" {
				t.Errorf("%s reads event %d: %s %s", name, i, res.Data, res.Code())
			}
		}
	}
}
