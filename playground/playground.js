// The Lienthong playground: GraphiQL under a bar that holds the token, the
// declared purpose and case reference, and the hub's examples. Plain
// JavaScript, no build step; it calls only the hub that served it.
//
// Nothing outlives the browser tab: the token is kept in this script's
// memory only (never in a header GraphiQL would store), GraphiQL's own
// storage is this tab's sessionStorage, and it never keeps headers.
(function () {
  'use strict';

  const h = React.createElement;
  const $ = (id) => document.getElementById(id);

  const state = {
    token: null, // the bearer token, in memory only
    agency: null,
    examples: [],
    editors: null, // GraphiQL's editor context, once it is mounted
  };

  // ---- the status line ----------------------------------------------------

  function setStatus(kind, text) {
    const status = $('status');
    status.className = 'status ' + kind;
    status.textContent = text;
  }

  // ---- GraphiQL's storage: this tab only, never headers -------------------

  const PREFIX = 'lienthong-playground:';
  const tabStorage = {
    getItem(key) {
      try {
        return sessionStorage.getItem(PREFIX + key);
      } catch (e) {
        return null;
      }
    },
    setItem(key, value) {
      if (/headers/i.test(key)) return; // headers are never kept
      try {
        sessionStorage.setItem(PREFIX + key, value);
      } catch (e) {
        /* full or refused: keep nothing */
      }
    },
    removeItem(key) {
      try {
        sessionStorage.removeItem(PREFIX + key);
      } catch (e) {
        /* nothing to remove */
      }
    },
    clear() {
      try {
        Object.keys(sessionStorage)
          .filter((k) => k.startsWith(PREFIX))
          .forEach((k) => sessionStorage.removeItem(k));
      } catch (e) {
        /* nothing to clear */
      }
    },
    get length() {
      try {
        return Object.keys(sessionStorage).filter((k) => k.startsWith(PREFIX)).length;
      } catch (e) {
        return 0;
      }
    },
  };

  // ---- talking to the hub -------------------------------------------------

  const TOKEN_REFUSED =
    'The hub refused the token (HTTP 401): it is invalid, expired or revoked. ' +
    'Paste a new one, or get one with the client id and secret.';

  // The purpose and case reference go in the request body, where any text
  // may be written (a browser sends only ISO-8859-1 in a header).
  function declared() {
    const purpose = $('purpose').value.trim();
    const caseRef = $('case-ref').value.trim();
    const extensions = {};
    if (purpose) extensions.purpose = purpose;
    if (caseRef) extensions.caseRef = caseRef;
    return Object.keys(extensions).length ? extensions : null;
  }

  function failure(message, code) {
    return { errors: [{ message, extensions: { code } }] };
  }

  // POSTs one GraphQL request with `token`; answers the response body, or
  // an error body saying what went wrong.
  async function post(token, request, extraHeaders) {
    const headers = {
      Accept: 'application/graphql-response+json, application/json',
    };
    for (const [name, value] of Object.entries(extraHeaders || {})) {
      if (name.toLowerCase() !== 'authorization' || !token) headers[name] = String(value);
    }
    headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    let response;
    try {
      response = await fetch('/graphql', {
        method: 'POST',
        headers,
        body: JSON.stringify(request),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      if (error instanceof TypeError && /header/i.test(error.message)) {
        return failure(
          'A header holds a character a browser cannot send (' + error.message + '). ' +
            'Give the purpose and case reference in the fields above instead.',
          'BAD_USER_INPUT',
        );
      }
      return failure('The hub could not be reached: ' + error.message, 'NETWORK');
    }
    if (response.status === 401) {
      setStatus('error', TOKEN_REFUSED);
      return failure(TOKEN_REFUSED, 'UNAUTHENTICATED');
    }
    let body;
    try {
      body = await response.json();
    } catch (error) {
      return failure('The hub answered HTTP ' + response.status + ' without a GraphQL response.', 'INTERNAL');
    }
    if (response.status === 429) {
      const retry = response.headers.get('Retry-After');
      setStatus('error', 'Too many requests: try again' + (retry ? ' in ' + retry + ' s.' : ' shortly.'));
    }
    return body;
  }

  // GraphiQL's fetcher for a token: the token and the declared purpose and
  // case go with every operation (introspection needs neither purpose nor
  // case).
  function fetcherFor(token) {
    return function fetcher(params, options) {
      if (!token) {
        return Promise.resolve(
          failure('No token yet: paste one above, or get one with a client id and secret.', 'UNAUTHENTICATED'),
        );
      }
      const request = { query: params.query };
      if (params.operationName) request.operationName = params.operationName;
      if (params.variables) request.variables = params.variables;
      const extensions = params.operationName === 'IntrospectionQuery' ? null : declared();
      if (extensions) request.extensions = extensions;
      return post(token, request, options && options.headers);
    };
  }

  // ---- the token ----------------------------------------------------------

  async function useToken(raw, how) {
    const token = String(raw || '')
      .trim()
      .replace(/^Bearer\s+/i, '');
    if (!token) {
      setStatus('error', 'Paste a token first (the hub prints demo tokens when it starts).');
      return;
    }
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
      setStatus('error', 'That is not a token: a token is three parts separated by dots (eyJ….eyJ….…).');
      return;
    }
    setStatus('busy', 'Checking the token…');
    const answer = await post(token, { query: 'query Me { me { agencyCode tokenExpiresAt } }' });
    const me = answer && answer.data && answer.data.me;
    if (!me) {
      const message = (answer && answer.errors && answer.errors[0] && answer.errors[0].message) || 'no answer';
      setStatus('error', message === TOKEN_REFUSED ? TOKEN_REFUSED : 'The token was not accepted: ' + message);
      return;
    }
    state.token = token;
    state.agency = me.agencyCode;
    $('token').value = '';
    $('forget-token').hidden = false;
    const expires = new Date(me.tokenExpiresAt * 1000);
    setStatus(
      'ok',
      'Signed in as ' + me.agencyCode + ' (' + how + '), until ' + expires.toLocaleString() +
        '. The token is kept in this page only.',
    );
    render();
  }

  async function fetchToken() {
    const clientId = $('client-id').value.trim();
    const secret = $('client-secret').value;
    if (!clientId || !secret) {
      setStatus('error', 'Give both the client id (e.g. UBND-68) and its client secret.');
      return;
    }
    const button = $('get-token');
    button.disabled = true;
    setStatus('busy', 'Asking the hub for a token for ' + clientId + '…');
    try {
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
      });
      let response;
      try {
        response = await fetch('/oauth/token', {
          method: 'POST',
          body: form,
          credentials: 'omit',
          cache: 'no-store',
        });
      } catch (error) {
        setStatus('error', 'The hub could not be reached: ' + error.message);
        return;
      }
      let answer = null;
      try {
        answer = await response.json();
      } catch (error) {
        answer = null;
      }
      if (!response.ok || !answer || !answer.access_token) {
        const why =
          answer && answer.error
            ? answer.error + (answer.error_description ? ': ' + answer.error_description : '')
            : 'HTTP ' + response.status;
        const retry = response.headers.get('Retry-After');
        setStatus(
          'error',
          'No token for ' + clientId + ': ' + why + (retry ? ' (try again in ' + retry + ' s)' : '') + '.',
        );
        return;
      }
      $('client-secret').value = '';
      await useToken(answer.access_token, 'client credentials');
    } finally {
      button.disabled = false;
    }
  }

  function forgetToken() {
    state.token = null;
    state.agency = null;
    $('forget-token').hidden = true;
    setStatus('busy', 'No token: paste one, or get one with a client id and secret.');
    render();
  }

  // ---- examples -----------------------------------------------------------

  function variablesText(example) {
    return example.variables ? JSON.stringify(example.variables, null, 2) : '';
  }

  // Shows an example in the editors: in the current tab if it holds
  // nothing of the user's (empty or an example as it was), else in a new
  // tab.
  function openExample(example) {
    const editors = state.editors;
    if (!editors || !editors.queryEditor) return;
    const current = editors.queryEditor.getValue().trim();
    const pristine = current === '' || state.examples.some((e) => e.document.trim() === current);
    const show = () => {
      editors.queryEditor.setValue(example.document);
      if (editors.variableEditor) editors.variableEditor.setValue(variablesText(example));
      // At once, not when GraphiQL next reads the document.
      if (editors.setOperationName) editors.setOperationName(example.name);
    };
    if (pristine) {
      show();
    } else {
      editors.addTab();
      setTimeout(show, 50);
    }
  }

  function fillExamples() {
    const select = $('example');
    select.textContent = '';
    state.examples.forEach((example, index) => {
      const option = document.createElement('option');
      option.value = String(index);
      option.textContent = example.title;
      option.title = example.description;
      select.appendChild(option);
    });
    select.addEventListener('change', () => {
      const example = state.examples[Number(select.value)];
      if (example) openExample(example);
    });
  }

  // Inside GraphiQL: hands its editors to the bar, shows the hub's name.
  function Logo() {
    const editors = GraphiQL.React.useEditorContext();
    React.useEffect(() => {
      state.editors = editors;
    });
    return 'Lienthong';
  }

  // ---- GraphiQL -----------------------------------------------------------

  let root = null;
  let fetcher = fetcherFor(null);
  let fetcherToken = null;

  function render() {
    if (fetcherToken !== state.token) {
      // A new fetcher makes GraphiQL fetch the schema again at once.
      fetcher = fetcherFor(state.token);
      fetcherToken = state.token;
    }
    const first = state.examples[0];
    root.render(
      h(
        GraphiQL,
        {
          fetcher,
          // No token, no schema: nothing is asked of the hub until there is one.
          schema: state.token ? undefined : null,
          defaultTabs: first ? [{ query: first.document, variables: variablesText(first) }] : undefined,
          defaultQuery: first ? first.document : undefined,
          defaultHeaders: '',
          shouldPersistHeaders: false,
          storage: tabStorage,
          defaultEditorToolsVisibility: 'variables',
        },
        h(GraphiQL.Logo, null, h(Logo)),
      ),
    );
  }

  async function loadExamples() {
    const url = $('graphiql').dataset.examples;
    try {
      const response = await fetch(url, { credentials: 'omit' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return await response.json();
    } catch (error) {
      setStatus('error', 'The examples could not be loaded (' + error.message + ').');
      return [];
    }
  }

  async function start() {
    $('use-token').addEventListener('click', () => {
      if (!$('token').value.trim() && state.token) {
        setStatus('ok', 'Already signed in as ' + state.agency + '; paste another token to change.');
        return;
      }
      useToken($('token').value, 'pasted token');
    });
    $('token').addEventListener('keydown', (event) => {
      if (event.key === 'Enter') useToken($('token').value, 'pasted token');
    });
    $('token').addEventListener('paste', () => {
      setTimeout(() => useToken($('token').value, 'pasted token'), 0);
    });
    $('get-token').addEventListener('click', fetchToken);
    $('client-secret').addEventListener('keydown', (event) => {
      if (event.key === 'Enter') fetchToken();
    });
    $('forget-token').addEventListener('click', forgetToken);
    state.examples = await loadExamples();
    fillExamples();
    root = ReactDOM.createRoot($('graphiql'));
    render();
  }

  start();
})();
