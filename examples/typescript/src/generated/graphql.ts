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

/** Who may read a comment. */
export type CaseCommentVisibility =
  /** The vendor's staff only, who alone write such comments. */
  | 'INTERNAL'
  /** Whoever may read the case. */
  | 'PUBLIC';

/** What happened to a case. */
export type CaseEventKind =
  /** A file was attached. */
  | 'ATTACHMENT_ADDED'
  /** The vendor's staff removed a file. */
  | 'ATTACHMENT_REMOVED'
  /** It was closed. */
  | 'CLOSED'
  /** A collaborator was added. */
  | 'COLLABORATOR_ADDED'
  /** A collaborator was removed. */
  | 'COLLABORATOR_REMOVED'
  /** A comment was added: see comment. */
  | 'COMMENTED'
  /** The case was filed. */
  | 'CREATED'
  /** It was escalated. */
  | 'ESCALATED'
  /** Its primary contact changed. */
  | 'PRIMARY_CONTACT_CHANGED'
  /** It was reopened. */
  | 'REOPENED'
  /** Its severity changed. */
  | 'SEVERITY_CHANGED'
  /** Its public updates were shared with more email addresses. */
  | 'SHARED'
  /** Its status changed. */
  | 'STATUS_CHANGED'
  /** Other fields changed: title, description, product, category, time zone or language. */
  | 'UPDATED';

/** How urgent a case is. It sets the first-response target, counted from the case's creation; a change of severity before the first response moves the due time. */
export type CaseSeverity =
  /** The most urgent: first response within 1 hour. */
  | 'S1'
  /** First response within 2 hours. */
  | 'S2'
  /** First response within 4 hours. */
  | 'S3'
  /** The least urgent: first response within 8 hours. */
  | 'S4';

/** Where a case is in its life. */
export type CaseStatus =
  /** Closed; it may be reopened until reopenableUntil (30 days), then only followed up by a new case. */
  | 'CLOSED'
  /** Being worked. */
  | 'IN_PROGRESS'
  /** Filed, not yet worked. */
  | 'NEW'
  /** Waiting for the customer's answer. */
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