/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** A comment on an open case. */
export type AddCaseCommentInput = {
  /** The text; surrounding space is trimmed. */
  body: string;
  /** The case to comment on. */
  caseID: string | number;
  /** Echoed in the payload. */
  clientMutationId?: string | null | undefined;
  /** PUBLIC by default; INTERNAL is for the vendor's staff. */
  visibility?: CaseCommentVisibility | null | undefined;
};

/** CaseCommentVisibility is enum for the field visibility */
export type CaseCommentVisibility =
  | 'INTERNAL'
  | 'PUBLIC';

/** CaseEventKind is enum for the field kind */
export type CaseEventKind =
  | 'ATTACHMENT_ADDED'
  | 'ATTACHMENT_REMOVED'
  | 'CLOSED'
  | 'COLLABORATOR_ADDED'
  | 'COLLABORATOR_REMOVED'
  | 'COMMENTED'
  | 'CREATED'
  | 'ESCALATED'
  | 'PRIMARY_CONTACT_CHANGED'
  | 'REOPENED'
  | 'SEVERITY_CHANGED'
  | 'SHARED'
  | 'STATUS_CHANGED'
  | 'UPDATED';

/** CaseSeverity is enum for the field severity */
export type CaseSeverity =
  | 'S1'
  | 'S2'
  | 'S3'
  | 'S4';

/** CaseStatus is enum for the field status */
export type CaseStatus =
  | 'CLOSED'
  | 'IN_PROGRESS'
  | 'NEW'
  | 'WAITING_ON_CUSTOMER';

export type MyCasesQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
}>;


export type MyCasesQuery = { cases: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, number: number, title: string, severity: CaseSeverity, status: CaseStatus, updatedAt: string, customer: { id: string, name: string } } | null } | null> | null } };

export type AddCaseCommentMutationVariables = Exact<{
  input: AddCaseCommentInput;
}>;


export type AddCaseCommentMutation = { addCaseComment: { clientMutationId: string | null, comment: { id: string, createdAt: string }, events: Array<{ id: string, kind: CaseEventKind }> } };

export type CaseEventsSubscriptionVariables = Exact<{
  customerID?: string | number | null | undefined;
  caseID?: string | number | null | undefined;
}>;


export type CaseEventsSubscription = { caseEvents: { id: string, kind: CaseEventKind, createdAt: string, caseID: string, commentID: string | null, actor: { name: string } | null } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const MyCasesDocument = new TypedDocumentString(`
    query MyCases($first: Int!, $after: Cursor) {
  cases(first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        number
        title
        severity
        status
        updatedAt
        customer {
          id
          name
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<MyCasesQuery, MyCasesQueryVariables>;
export const AddCaseCommentDocument = new TypedDocumentString(`
    mutation AddCaseComment($input: AddCaseCommentInput!) {
  addCaseComment(input: $input) {
    clientMutationId
    comment {
      id
      createdAt
    }
    events {
      id
      kind
    }
  }
}
    `) as unknown as TypedDocumentString<AddCaseCommentMutation, AddCaseCommentMutationVariables>;
export const CaseEventsDocument = new TypedDocumentString(`
    subscription CaseEvents($customerID: ID, $caseID: ID) {
  caseEvents(customerID: $customerID, caseID: $caseID) {
    id
    kind
    createdAt
    caseID
    commentID
    actor {
      name
    }
  }
}
    `) as unknown as TypedDocumentString<CaseEventsSubscription, CaseEventsSubscriptionVariables>;