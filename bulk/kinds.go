package bulk

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/partnerdesk/partnerdesk/access"
	"github.com/partnerdesk/partnerdesk/cases"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/ent/bulkjob"
	"github.com/partnerdesk/partnerdesk/grants"
)

// kind is how the items of one kind of job run: as the single mutation
// op, with its domain function, whose audit entry (the rule of op, the
// action its @action names) each item writes.
type kind struct {
	op     string
	action access.Action
	run    func(ctx context.Context, c *ent.Client, v *access.Session, raw json.RawMessage) (ran, error)
	// subject names what an item is about, from the item alone.
	subject func(raw json.RawMessage) string
}

// ran is what an item did: what it is about, the object it wrote, and the
// payload of the single mutation, which the audit rule reads.
type ran struct {
	subject, id string
	payload     any
}

var kinds = map[bulkjob.Kind]kind{
	bulkjob.KindCLOSE_CASES: {op: "closeCase", action: access.WorkCase, subject: field("id"),
		run: func(ctx context.Context, c *ent.Client, v *access.Session, raw json.RawMessage) (ran, error) {
			var it CloseItem
			if err := json.Unmarshal(raw, &it); err != nil {
				return ran{}, err
			}
			ch, err := cases.CloseCase(ctx, c, v, it.ID, it.Version)
			if err != nil {
				return ran{subject: it.ID}, err
			}
			return ran{subject: it.ID, id: ch.Case.ID, payload: struct {
				Case *ent.SupportCase `json:"case"`
			}{ch.Case}}, nil
		}},
	bulkjob.KindADD_CASE_COMMENTS: {op: "addCaseComment", action: access.WorkCase, subject: field("caseID"),
		run: func(ctx context.Context, c *ent.Client, v *access.Session, raw json.RawMessage) (ran, error) {
			var it cases.CommentInput
			if err := json.Unmarshal(raw, &it); err != nil {
				return ran{}, err
			}
			cm, _, err := cases.AddComment(ctx, c, v, it)
			if err != nil {
				return ran{subject: it.CaseID}, err
			}
			return ran{subject: it.CaseID, id: cm.ID, payload: struct {
				Comment *ent.CaseComment `json:"comment"`
			}{cm}}, nil
		}},
	// A request names its customer by an address, which is no ID: the
	// subject is the customer once the request is filed.
	bulkjob.KindREQUEST_GRANTS: {op: "requestGrant", action: access.RequestGrant, subject: func(json.RawMessage) string { return "" },
		run: func(ctx context.Context, c *ent.Client, v *access.Session, raw json.RawMessage) (ran, error) {
			var it grants.RequestInput
			if err := json.Unmarshal(raw, &it); err != nil {
				return ran{}, err
			}
			g, err := grants.Request(ctx, c, v, it)
			if err != nil {
				return ran{}, err
			}
			return ran{subject: g.CustomerID, id: g.ID, payload: struct {
				Grant *ent.Grant `json:"grant"`
			}{g}}, nil
		}},
}

// field reads a string member of an item.
func field(name string) func(json.RawMessage) string {
	return func(raw json.RawMessage) string {
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		s, _ := m[name].(string)
		return s
	}
}

// changedFields lists an item's members as the single mutation's audit
// entry lists its input's ("input.body").
func changedFields(raw json.RawMessage) []string {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	out := make([]string, 0, len(m))
	for k, v := range m {
		if string(v) != "null" {
			out = append(out, "input."+k)
		}
	}
	sort.Strings(out)
	return out
}
