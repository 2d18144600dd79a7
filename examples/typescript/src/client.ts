// A small typed client of partnerdesk: queries and mutations over HTTP
// (fetch), subscriptions over graphql-transport-ws (graphql-ws), each typed
// by the document graphql-codegen generated for it.
import { createClient, type Client as WebSocketClient } from 'graphql-ws';
import WebSocket from 'ws';

import type { TypedDocumentString } from './generated/graphql.js';

/** One GraphQL error, with the server's extensions.code. */
export interface GraphQLErrorEntry {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; [key: string]: unknown };
}

/** The errors of a GraphQL response, thrown as one. */
export class GraphQLResponseError extends Error {
  constructor(readonly errors: readonly GraphQLErrorEntry[], readonly status?: number) {
    super(errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
    this.name = 'GraphQLResponseError';
  }
}

/** Client sends operations to partnerdesk as one caller. */
export class Client {
  constructor(
    readonly endpoint: string,
    private readonly token: string,
  ) {}

  /**
   * request POSTs a query or mutation with Authorization: Bearer and
   * returns its data, typed by its document; GraphQL errors are thrown.
   */
  async request<TResult, TVariables>(
    document: TypedDocumentString<TResult, TVariables>,
    variables: TVariables,
  ): Promise<TResult> {
    const res = await fetch(this.endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/graphql-response+json, application/json',
        Authorization: `Bearer ${this.token}`,
      },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
    const body = (await res.json()) as { data?: TResult | null; errors?: GraphQLErrorEntry[] };
    if (body.errors && body.errors.length > 0) {
      throw new GraphQLResponseError(body.errors, res.status);
    }
    if (!res.ok || body.data == null) {
      throw new Error(`HTTP ${res.status} without data`);
    }
    return body.data;
  }

  /**
   * webSocket opens a graphql-transport-ws client that signs in with the
   * token in connection_init. It does not retry: a refused token closes it
   * with 4401.
   */
  webSocket(): WebSocketClient {
    return createClient({
      url: this.endpoint.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { Authorization: `Bearer ${this.token}` },
      retryAttempts: 0,
    });
  }
}

/**
 * subscribe follows a subscription, typed by its document: each result's
 * data, until the stream ends. The errors that end it (FORBIDDEN when the
 * caller loses access) are thrown.
 */
export async function* subscribe<TResult, TVariables extends Record<string, unknown>>(
  client: WebSocketClient,
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
): AsyncGenerator<TResult> {
  const results = client.iterate<TResult>({ query: document.toString(), variables });
  for await (const result of results) {
    if (result.errors && result.errors.length > 0) {
      throw new GraphQLResponseError(result.errors as readonly GraphQLErrorEntry[]);
    }
    if (result.data != null) {
      yield result.data;
    }
  }
}
