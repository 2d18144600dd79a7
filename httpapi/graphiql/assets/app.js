// partnerdesk's GraphiQL. It asks for an access token before it mounts
// GraphiQL, and its fetcher sends the token with every request, the
// schema's introspection included: the documentation explorer and
// autocompletion then work from the first load, and after a reload (the
// token stays in the tab's session storage). A header typed in GraphiQL's
// headers pane still wins over it.
'use strict';

(() => {
  const tokenKey = 'partnerdesk.token';
  const endpoint = new URL('graphql', location.href).href;
  const subscriptionEndpoint = endpoint.replace(/^http/, 'ws');

  const form = document.getElementById('sign-in');
  const input = document.getElementById('token');
  const problem = document.getElementById('sign-in-error');
  const bar = document.getElementById('bar');
  const mount = document.getElementById('graphiql');

  function askForToken(message) {
    sessionStorage.removeItem(tokenKey);
    problem.textContent = message || '';
    problem.hidden = !message;
    form.hidden = false;
    input.focus();
  }

  // whoIs checks the token before GraphiQL uses it, so that a mistyped
  // one is told here rather than as a schema that fails to load.
  async function whoIs(token) {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: 'Bearer ' + token },
      body: JSON.stringify({ query: '{ viewer { contact { name } organization { name } } }' }),
    });
    let body;
    try {
      body = await res.json();
    } catch {
      throw new Error(`The server answered ${res.status} ${res.statusText}.`);
    }
    if (body.errors && body.errors.length > 0) {
      const e = body.errors[0];
      const code = e.extensions && e.extensions.code;
      throw new Error(code === 'UNAUTHENTICATED' ? 'That token was refused: it is unknown, expired or revoked.' : `${e.message} (${code})`);
    }
    return body.data.viewer;
  }

  function open(token, viewer) {
    const auth = { Authorization: 'Bearer ' + token };
    const fetcher = GraphiQL.createFetcher({
      url: endpoint,
      subscriptionUrl: subscriptionEndpoint,
      headers: auth,
      wsConnectionParams: auth,
    });
    document.getElementById('who').textContent = `Signed in as ${viewer.contact.name} (${viewer.organization.name})`;
    form.hidden = true;
    bar.hidden = false;
    mount.hidden = false;
    ReactDOM.createRoot(mount).render(React.createElement(GraphiQL, {
      fetcher,
      defaultQuery: '{\n  viewer {\n    contact { name email roles }\n    organization { name kind }\n  }\n}\n',
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    }));
  }

  async function start(token) {
    let viewer;
    try {
      viewer = await whoIs(token);
    } catch (e) {
      askForToken(e.message);
      return;
    }
    sessionStorage.setItem(tokenKey, token);
    open(token, viewer);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    start(input.value.trim().replace(/^Bearer\s+/i, ''));
  });
  document.getElementById('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(tokenKey);
    location.reload();
  });

  const saved = sessionStorage.getItem(tokenKey);
  if (saved) {
    start(saved);
  } else {
    askForToken();
  }
})();
