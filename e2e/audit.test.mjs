// The GraphQL over HTTP conformance audit of graphql-http
// (https://graphql.github.io/graphql-over-http/draft/), run against the real
// partnerdesk. e2e_test.go starts the server and passes it in through the
// environment:
//
//   PD_HTTP_URL        http://…/graphql
//   PD_TOKEN           a contact's token: every request of the audit carries
//                      it, since partnerdesk answers nothing to an anonymous
//                      caller
//   PD_INTROSPECTION   "on" or "off", as the server runs
//
// Each audit is a test named by its ID and requirement. A failing MUST or
// SHOULD fails; a failing MAY is reported as TODO with its reason, since the
// specification leaves it to the server. With introspection off, an audit
// whose probe is introspection (__type) and which failed only for that
// (INTROSPECTION_DISABLED) is skipped, with that reason: it says nothing
// about the transport. Before the tests, one line tallies the audits that
// passed: "audit: MUST 13/13 SHOULD 23/23 MAY 25/25".
import { test } from 'node:test';
import { serverAudits } from 'graphql-http';
import { env } from './env.mjs';

const HTTP_URL = env('PD_HTTP_URL');
const TOKEN = env('PD_TOKEN');
const INTROSPECTION = env('PD_INTROSPECTION') === 'on';

// authorized is fetch with the bearer token added to every request; each
// request is bounded, so that a server that does not answer fails the audit
// instead of hanging it.
function authorized(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${TOKEN}`);
  return fetch(input, { ...init, headers, signal: AbortSignal.timeout(5000) });
}

// run performs one audit and says how it went: ok, failed (with why), or
// skipped (with why).
async function run(audit) {
  let result;
  try {
    result = await audit.fn();
  } catch (err) {
    // graphql-http throws what is not an assertion: the request failed.
    return { failed: `the audit could not run: ${err?.stack ?? err}` };
  }
  if (result.status === 'ok') return { ok: true };
  let body;
  try {
    body = await result.response.clone().text();
  } catch {
    body = '(the audit read the body)';
  }
  const why = `${result.reason}: HTTP ${result.response.status} ${result.response.headers.get('content-type')} ${body}`;
  if (!INTROSPECTION && introspectionRefused(body)) {
    return { skipped: `its probe is introspection, which this server refuses (introspection off): ${why}` };
  }
  return { failed: why };
}

// introspectionRefused reports whether body is an answer whose every error
// is INTROSPECTION_DISABLED.
function introspectionRefused(body) {
  try {
    const { errors } = JSON.parse(body);
    return Array.isArray(errors) && errors.length > 0 &&
      errors.every((e) => e?.extensions?.code === 'INTROSPECTION_DISABLED');
  } catch {
    return false;
  }
}

// One after the other, as a client would send them.
const outcomes = [];
for (const audit of serverAudits({ url: HTTP_URL, fetchFn: authorized })) {
  outcomes.push({ audit, level: audit.name.split(' ')[0], ...(await run(audit)) });
}

const tally = { MUST: [0, 0], SHOULD: [0, 0], MAY: [0, 0] };
for (const { level, ok } of outcomes) {
  tally[level] ??= [0, 0];
  tally[level][1]++;
  if (ok) tally[level][0]++;
}
console.log(`audit: ${Object.entries(tally).map(([level, [ok, all]]) => `${level} ${ok}/${all}`).join(' ')}`);

for (const { audit, level, failed, skipped } of outcomes) {
  test(`${audit.id} ${audit.name}`, (t) => {
    if (skipped) {
      t.skip(skipped);
    } else if (failed && level === 'MAY') {
      t.todo(failed);
    } else if (failed) {
      throw new Error(failed);
    }
  });
}
