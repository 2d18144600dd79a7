// End-to-end test of partnerdesk's subscriptions with the real graphql-ws
// client, as a JavaScript application would use it. e2e_test.go starts the
// server, builds the world and passes it in through the environment:
//
//   PD_WS_URL, PD_HTTP_URL            ws://…/graphql and http://…/graphql
//   PD_PARTNER_TOKEN                  a partner contact with LOOK on the customer
//   PD_MEMBER_TOKEN                   a customer member, who may comment
//   PD_ADMIN_TOKEN                    a customer admin, who may revoke the grant
//   PD_CUSTOMER_ID, PD_CASE_ID, PD_GRANT_ID
//
// Every wait is bounded and every client is disposed, so a broken server
// fails the test instead of hanging it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { env } from './env.mjs';

const WS_URL = env('PD_WS_URL');
const HTTP_URL = env('PD_HTTP_URL');
const PARTNER_TOKEN = env('PD_PARTNER_TOKEN');
const MEMBER_TOKEN = env('PD_MEMBER_TOKEN');
const ADMIN_TOKEN = env('PD_ADMIN_TOKEN');
const CUSTOMER_ID = env('PD_CUSTOMER_ID');
const CASE_ID = env('PD_CASE_ID');
const GRANT_ID = env('PD_GRANT_ID');

const CASE_EVENTS = 'subscription($c: ID) { caseEvents(customerID: $c) { id kind } }';
const ADD_COMMENT = 'mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }';
const REVOKE_GRANT = 'mutation($id: ID!) { revokeGrant(input: {id: $id}) { grant { id } } }';

// within resolves or rejects with p, or rejects after ms naming what it waited for.
async function within(ms, what, p) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// gql POSTs an operation over HTTP as the token's contact and returns its
// data, failing on any GraphQL error.
async function gql(token, query, variables) {
  const res = await fetch(HTTP_URL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `HTTP ${res.status}: ${text}`);
  const body = JSON.parse(text);
  assert.ok(!body.errors, `GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

// stream subscribes through client and exposes what the sink receives as
// promises: the first event, and the end (error or completion).
function stream(client, payload) {
  const events = [];
  let firstEvent, ended;
  const first = new Promise((resolve) => (firstEvent = resolve));
  const end = new Promise((resolve) => (ended = resolve));
  const unsubscribe = client.subscribe(payload, {
    next(value) {
      events.push(value);
      firstEvent(value);
    },
    error(error) {
      ended({ error });
    },
    complete() {
      ended({ complete: true });
    },
  });
  return { events, first, end, unsubscribe };
}

test('a partner follows case events until the grant is revoked', { timeout: 30_000 }, async () => {
  let connected;
  const isConnected = new Promise((resolve) => (connected = resolve));
  const client = createClient({
    url: WS_URL,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${PARTNER_TOKEN}` },
    lazy: true,
    retryAttempts: 0, // a dropped connection is a failure here, not something to hide
    on: { connected: () => connected() },
  });
  let sub;
  try {
    sub = stream(client, { query: CASE_EVENTS, variables: { c: CUSTOMER_ID } });
    await within(5000, 'the connection to be acknowledged', Promise.race([isConnected, sub.end.then((e) => {
      throw new Error(`the subscription ended before connecting: ${JSON.stringify(e.error ?? e)}`);
    })]));
    // The protocol does not acknowledge a subscribe message: give the server a
    // moment to register it, then comment until the first event arrives (a
    // slow machine may need a second comment), for at most 5 s.
    await sleep(200);
    const deadline = Date.now() + 5000;
    let event;
    for (let comments = 1; !event; comments++) {
      assert.ok(Date.now() < deadline, `no case event after ${comments - 1} comment(s) in 5 s`);
      await gql(MEMBER_TOKEN, ADD_COMMENT, { in: { caseID: CASE_ID, body: `still broken (${comments})` } });
      event = await Promise.race([sub.first, sleep(1000).then(() => undefined), sub.end.then((e) => {
        throw new Error(`the subscription ended before any event: ${JSON.stringify(e.error ?? e)}`);
      })]);
    }
    assert.ok(!event.errors, `event with errors: ${JSON.stringify(event.errors)}`);
    assert.equal(event.data.caseEvents.kind, 'COMMENTED');
    assert.ok(event.data.caseEvents.id, 'the event has an id');

    // Revoking the grant ends the partner's stream with FORBIDDEN.
    await gql(ADMIN_TOKEN, REVOKE_GRANT, { id: GRANT_ID });
    const end = await within(3000, 'the stream to end after the revocation', sub.end);
    assert.ok(end.error, `the stream completed instead of failing: ${JSON.stringify(end)}`);
    const errors = end.error;
    assert.ok(Array.isArray(errors) && errors.length > 0, `sink.error received ${JSON.stringify(errors)}`);
    for (const e of errors) {
      assert.equal(e.extensions?.code, 'FORBIDDEN', `error ${JSON.stringify(e)}`);
    }
  } finally {
    sub?.unsubscribe();
    await within(2000, 'the client to close', client.dispose()).catch(() => {});
  }
});

test('a bad token is refused with 4401 and not retried', { timeout: 30_000 }, async () => {
  let attempts = 0;
  const closes = [];
  const client = createClient({
    url: WS_URL,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: 'Bearer pdt_bad' },
    lazy: true,
    // Retry everything, quickly: only the server's close code can stop it.
    retryAttempts: 5,
    shouldRetry: () => true,
    retryWait: () => sleep(50),
    on: {
      connecting: () => attempts++,
      closed: (e) => closes.push(e.code),
    },
  });
  let sub;
  try {
    sub = stream(client, { query: CASE_EVENTS, variables: { c: CUSTOMER_ID } });
    const end = await within(5000, 'the subscription to fail', sub.end);
    assert.ok(end.error, `the subscription completed instead of failing: ${JSON.stringify(end)}`);
    // graphql-ws hands the sink the socket's close event.
    assert.equal(end.error.code, 4401, `sink.error received ${end.error?.code} ${end.error?.reason}`);
    // Give a retry loop time to show itself: retries would come every 50 ms.
    await sleep(500);
    assert.equal(attempts, 1, `connection attempts: ${attempts}`);
    assert.deepEqual(closes, [4401]);
    assert.equal(sub.events.length, 0);
    console.log(`bad token: ${attempts} attempt(s), closed with ${closes.join(', ')}, ` +
      `sink.error received code ${end.error.code} reason ${JSON.stringify(end.error.reason)}`);
  } finally {
    sub?.unsubscribe();
    await within(2000, 'the client to close', client.dispose()).catch(() => {});
  }
});
