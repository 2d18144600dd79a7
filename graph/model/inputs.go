package model

import (
	"github.com/partnerdesk/partnerdesk/cases"
	"github.com/partnerdesk/partnerdesk/directory"
	"github.com/partnerdesk/partnerdesk/ent"
	"github.com/partnerdesk/partnerdesk/grants"
)

// The inputs of the mutations whose fields the domain defines: each is the
// domain's input, with what the GraphQL contract adds around it (the
// object an update changes, and the clientMutationId its payload echoes).

type CreateOrganizationInput struct {
	ent.CreateOrganizationInput
	ClientMutationID *string
}

type UpdateOrganizationInput struct {
	ID string
	ent.UpdateOrganizationInput
	ClientMutationID *string
}

type CreateContactInput struct {
	ent.CreateContactInput
	ClientMutationID *string
}

type UpdateContactInput struct {
	ID string
	ent.UpdateContactInput
	ClientMutationID *string
}

type UpdateViewerInput struct {
	ent.UpdateContactInput
	ClientMutationID *string
}

type RegisterDeviceInput struct {
	ent.CreateDeviceInput
	ClientMutationID *string
}

type UpdateDeviceInput struct {
	ID string
	ent.UpdateDeviceInput
	ClientMutationID *string
}

type AddPhoneNumberInput struct {
	ent.CreatePhoneNumberInput
	ClientMutationID *string
}

type UpdatePhoneNumberInput struct {
	ID string
	ent.UpdatePhoneNumberInput
	ClientMutationID *string
}

type RequestGrantInput struct {
	grants.RequestInput
	// graph.Mutations reads it from the arguments, for every mutation alike.
	DryRun           *bool
	ClientMutationID *string
}

type RequestElevationInput struct {
	grants.ElevationInput
	ClientMutationID *string
}

type CreateElevationRuleInput struct {
	grants.RuleInput
	ClientMutationID *string
}

type CreateCaseInput struct {
	cases.CreateInput
	ClientMutationID *string
}

type UpdateCaseInput struct {
	ID string
	cases.UpdateInput
	ClientMutationID *string
}

type AddCaseCommentInput struct {
	cases.CommentInput
	ClientMutationID *string
}

type CreateLicenseInput struct {
	directory.LicenseChange
	ClientMutationID *string
}

type UpdateLicenseInput struct {
	directory.LicenseChange
	ClientMutationID *string
}
