// Browser test of the GraphiQL page at /, in Debian's Chromium driven by
// playwright-core (no browser download). e2e_test.go starts the server and
// passes in:
//
//   PD_URL            http://127.0.0.1:PORT/ (the page)
//   PD_TOKEN          a customer member's token, entered in the page
//   PD_CONTACT_NAME   that member's name, which the default query returns
//   PD_CASE_ID        a case of theirs, whose comments the subscription sees
//   PD_CHROMIUM       the browser: Debian's, /usr/bin/chromium
//
// Every request to anything but the server is blocked, by the resolver and
// by the page's routes: the page must work offline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { env } from './env.mjs';

const PAGE = env('PD_URL');
const TOKEN = env('PD_TOKEN');
const CONTACT_NAME = env('PD_CONTACT_NAME');
const CASE_ID = env('PD_CASE_ID');
const CHROMIUM = env('PD_CHROMIUM');
const server = new URL(PAGE);

// setQuery replaces the text of GraphiQL's query editor (CodeMirror 5).
async function setQuery(page, text) {
  await page.locator('.graphiql-query-editor .CodeMirror').evaluate((el, t) => el.CodeMirror.setValue(t), text);
  // GraphiQL parses the editor's text a moment after it changes, and picks
  // the transport (HTTP, or the websocket for a subscription) from that.
  await sleep(500);
}

// result is the text of GraphiQL's result pane.
async function result(page) {
  return page.locator('.result-window .CodeMirror').evaluate((el) => el.CodeMirror.getValue());
}

// waitForResult waits until the result pane holds JSON that pass accepts.
async function waitForResult(page, what, pass, ms = 10_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await result(page);
    try {
      if (pass(JSON.parse(last))) return JSON.parse(last);
    } catch {
      // not JSON yet: GraphiQL is still writing
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; the result pane holds:\n${last}`);
}

// docsListQuery opens the documentation explorer and waits until it lists
// the Query root type, which it can only do once the schema loaded.
async function docsListQuery(page) {
  await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
  const explorer = page.locator('.graphiql-doc-explorer');
  await explorer.getByText('Query', { exact: true }).first().waitFor({ timeout: 10_000 });
}

test('GraphiQL works offline: token, docs, a query and a subscription', { timeout: 90_000 }, async () => {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      // No name resolves but the server's address: nothing else can be reached.
      `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${server.hostname}`],
  });
  const elsewhere = [];
  const problems = [];
  try {
    const context = await browser.newContext();
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.origin === server.origin) return route.continue();
      elsewhere.push(url.href);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });

    const res = await page.goto(PAGE);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-security-policy'] ?? '', /default-src 'none'/);

    // The page asks for the token before GraphiQL introspects.
    await page.locator('#token').fill(TOKEN);
    await page.getByRole('button', { name: 'Open GraphiQL' }).click();
    await page.locator('.graphiql-container').waitFor({ timeout: 10_000 });
    await docsListQuery(page);

    // After a reload the token is still there, and so are the docs.
    await page.reload();
    await page.locator('.graphiql-container').waitFor({ timeout: 10_000 });
    await docsListQuery(page);

    await setQuery(page, '{ viewer { contact { name } } }');
    await page.getByRole('button', { name: /^Execute query/ }).click();
    const answer = await waitForResult(page, 'the query\'s answer', (r) => r.data || r.errors);
    assert.deepEqual(answer.data, { viewer: { contact: { name: CONTACT_NAME } } }, JSON.stringify(answer));

    // A subscription over the page's websocket: a comment made from here
    // (node, not the browser) shows as an event in the result pane.
    await setQuery(page, `subscription { caseEvents(caseID: "${CASE_ID}") { kind } }`);
    await page.getByRole('button', { name: /^Execute query/ }).click();
    await sleep(300); // the protocol does not acknowledge a subscribe: let it register
    const deadline = Date.now() + 10_000;
    let event;
    for (let n = 1; !event; n++) {
      assert.ok(Date.now() < deadline, `no case event after ${n - 1} comment(s)`);
      const r = await fetch(new URL('graphql', PAGE), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({
          query: 'mutation($in: AddCaseCommentInput!) { addCaseComment(input: $in) { comment { id } } }',
          variables: { in: { caseID: CASE_ID, body: `from the browser test (${n})` } },
        }),
      });
      assert.equal(r.status, 200, await r.text());
      event = await waitForResult(page, 'a case event', (r) => r.data?.caseEvents || r.errors, 1000).catch(() => undefined);
    }
    assert.deepEqual(event.data, { caseEvents: { kind: 'COMMENTED' } }, JSON.stringify(event));

    assert.deepEqual(elsewhere, [], 'the page reached for other sites');
    assert.deepEqual(problems, [], 'the page reported errors');
    console.log('graphiql: token, docs explorer (Query), reload, query and subscription passed offline');
  } finally {
    await browser.close();
  }
});
