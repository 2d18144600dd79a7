// The typed TypeScript client of partnerdesk, as an example program (the
// Go example's twin): page through My Cases, follow the first case's
// events, comment on it, and wait for the COMMENTED event of the comment.
//
//   PARTNERDESK_URL=http://localhost:8080/graphql PARTNERDESK_TOKEN=pdt_… node dist/main.js
import { setTimeout as sleep } from 'node:timers/promises';

import { Client, subscribe } from './client.js';
import {
  AddCaseCommentDocument,
  CaseEventsDocument,
  MyCasesDocument,
  type MyCasesQuery,
} from './generated/graphql.js';

/** One case of My Cases, as MyCases reads it. */
type MyCase = NonNullable<NonNullable<NonNullable<MyCasesQuery['cases']['edges']>[number]>['node']>;

/**
 * myCases reads every page of My Cases, pageSize cases at a time, each page
 * after the previous one's end cursor (null on the first page, never "").
 */
export async function myCases(client: Client, pageSize: number): Promise<MyCase[]> {
  const cases: MyCase[] = [];
  let after: string | null = null;
  for (;;) {
    const page: MyCasesQuery = await client.request(MyCasesDocument, { first: pageSize, after });
    for (const edge of page.cases.edges ?? []) {
      if (edge?.node) cases.push(edge.node);
    }
    const { hasNextPage, endCursor } = page.cases.pageInfo;
    if (!hasNextPage || endCursor == null) return cases;
    after = endCursor;
  }
}

async function main(): Promise<void> {
  const token = process.env.PARTNERDESK_TOKEN;
  if (!token) throw new Error('set PARTNERDESK_TOKEN to a token (go run . --demo prints some)');
  const client = new Client(process.env.PARTNERDESK_URL ?? 'http://localhost:8080/graphql', token);

  const cases = await myCases(client, 20);
  console.log(`${cases.length} cases`);
  for (const c of cases) {
    console.log(`#${c.number} ${c.title} [${c.severity} ${c.status}] ${c.customer.name}`);
  }
  const kase = cases[0];
  if (!kase) throw new Error('no case to comment on');

  const ws = client.webSocket();
  try {
    const events = subscribe(ws, CaseEventsDocument, { caseID: kase.id });
    const first = events.next(); // subscribes
    // graphql-transport-ws does not acknowledge a subscribe: give the
    // server a moment to register it before the event it should see.
    await sleep(200);

    const { addCaseComment } = await client.request(AddCaseCommentDocument, {
      input: { caseID: kase.id, body: 'Rebooted, still down', clientMutationId: 'example-comment' },
    });
    const comment = addCaseComment.comment;
    console.log(`commented ${comment.id} on #${kase.number} at ${comment.createdAt}`);

    for (let next = await first; !next.done; next = await events.next()) {
      const event = next.value.caseEvents;
      console.log(`event ${event.kind} on #${kase.number} by ${event.actor?.name ?? 'the system'}`);
      if (event.kind === 'COMMENTED' && event.commentID === comment.id) return;
    }
    throw new Error(`the stream ended before the COMMENTED event of ${comment.id}`);
  } finally {
    await ws.dispose();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
