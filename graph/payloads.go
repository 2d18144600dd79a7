package graph

import "github.com/partnerdesk/partnerdesk/cases"

// payload is a mutation's answer: p, unless the mutation failed.
func payload[P any](err error, p *P) (*P, error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}

// casePayload is the answer of a change to a case, built from what the
// change did once it is known to have succeeded.
func casePayload[P any](err error, ch *cases.Change, build func() *P) (*P, error) {
	if err != nil || ch == nil {
		return nil, err
	}
	return build(), nil
}
