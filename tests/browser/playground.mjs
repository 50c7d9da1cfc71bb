#!/usr/bin/env node
// The playground in a real browser: starts the hub (target/debug/lienthong,
// demo data, SQLite in a temporary folder, a free loopback port), drives
// Debian's headless Chromium through it with playwright-core, and fails on
// the first thing that is not as it should be. Loopback only: every request
// the page makes elsewhere is blocked, and one is enough to fail. Every
// wait is bounded. Screenshots go to target/browser/.
//
//   cd tests/browser && npm ci && node playground.mjs
//
// LIENTHONG_BIN and CHROMIUM name other binaries than
// target/debug/lienthong and /usr/bin/chromium.

import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const binary = process.env.LIENTHONG_BIN || path.join(root, 'target', 'debug', 'lienthong');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = path.join(root, 'target', 'browser');

const PURPOSE = 'Đăng ký thường trú';
const CASE_REF = 'HS-68-0001';
const WAIT = 20_000; // the longest wait for one thing on the page
const WHOLE_RUN = 240_000; // the longest the whole test may take

let hub = null;
let browser = null;
let work = null;
const problems = [];

function log(message) {
  console.log(`[playground] ${message}`);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/// Two other web origins on loopback, as a province's browser app would
/// be: the hub allows the first (cors_origins) and not the second.
const apps = [];

/// Serves an empty page on 127.0.0.1, on a port of its own.
async function appOrigin() {
  const server = http.createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>a province app</title><p>app</p>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  apps.push(server);
  return `http://127.0.0.1:${server.address().port}`;
}

async function cleanup() {
  for (const server of apps.splice(0)) server.close();
  if (browser) await browser.close().catch(() => {});
  browser = null;
  if (hub && hub.exitCode === null) {
    hub.kill('SIGTERM');
    await Promise.race([
      new Promise((resolve) => hub.once('exit', resolve)),
      new Promise((resolve) => setTimeout(resolve, 5_000)),
    ]);
    if (hub.exitCode === null) hub.kill('SIGKILL');
  }
  if (work) fs.rmSync(work, { recursive: true, force: true });
}

const watchdog = setTimeout(async () => {
  console.error(`[playground] FAILED: the test did not finish within ${WHOLE_RUN / 1000} s`);
  await cleanup();
  process.exit(1);
}, WHOLE_RUN);

// ---- the hub ---------------------------------------------------------------

/// Starts the hub and reads its banner: URL, demo tokens, client secrets.
async function startHub(allowedOrigin) {
  check(fs.existsSync(binary), `${binary} is missing: run cargo build first`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lienthong-browser-'));
  const args = [
    'serve',
    '--database-url', `sqlite://${path.join(work, 'hub.db')}?mode=rwc`,
    '--listen', '127.0.0.1:0',
    '--demo', 'true',
    '--demo-citizens', '1500',
    '--demo-enterprises', '260',
    '--demo-parcels', '800',
    '--node-id', 'browser-test',
    '--cors-origins', allowedOrigin,
  ];
  hub = spawn(binary, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = [];
  hub.stderr.on('data', (chunk) => {
    stderr.push(chunk);
    if (stderr.length > 200) stderr.shift();
  });
  const banner = { url: null, tokens: {}, secrets: {} };
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the hub printed no banner within 120 s:\n${output}\n${Buffer.concat(stderr)}`)),
      120_000,
    );
    hub.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the hub stopped (exit ${code}):\n${output}\n${Buffer.concat(stderr)}`));
    });
    hub.stdout.on('data', (chunk) => {
      output += chunk;
      // Complete lines only: the last piece may be half a line.
      const lines = output.split('\n').slice(0, -1);
      let section = null;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        const serving = line.match(/serving on (http:\/\/\S+)/);
        if (serving) banner.url = serving[1];
        if (line.startsWith('Demo tokens')) section = 'tokens';
        if (line.startsWith('Client secrets')) section = 'secrets';
        const name = line.match(/^ {2}([A-Z0-9-]+):$/);
        if (section === 'tokens' && name && /^ {2}eyJ\S+$/.test(lines[i + 1] || '')) {
          banner.tokens[name[1]] = lines[i + 1].trim();
        }
        const secret = line.match(/^ {2}([A-Z0-9-]+): (\S+)$/);
        if (section === 'secrets' && secret) banner.secrets[secret[1]] = secret[2];
        // The banner ends with a blank line after the secrets.
        if (section === 'secrets' && line === '' && i > 0 && lines[i - 1].match(/^ {2}[A-Z0-9-]+: \S+$/)) {
          clearTimeout(timer);
          hub.removeAllListeners('exit');
          resolve();
        }
      }
    });
  });
  check(banner.url, 'the banner names no URL');
  const url = new URL(banner.url);
  check(url.hostname === '127.0.0.1', `the hub is not on loopback: ${banner.url}`);
  check(banner.tokens['UBND-68'], 'the banner has no token for UBND-68');
  check(banner.secrets.BCA, 'the banner has no client secret for BCA');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${banner.url}/readyz`).then((r) => r.ok, () => false);
    if (ready) break;
    check(Date.now() < deadline, 'the hub was not ready within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  log(`hub on ${banner.url}`);
  return banner;
}

// ---- the page --------------------------------------------------------------

function loopback(url) {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/// The text of a GraphiQL editor (`query`, `variables` or `response`).
async function editorValue(page, which) {
  const selector = {
    query: '.graphiql-query-editor .CodeMirror',
    variables: '.graphiql-editor-tool .CodeMirror',
    response: '.graphiql-response .CodeMirror',
  }[which];
  return page.evaluate((s) => {
    const element = document.querySelector(s);
    return element && element.CodeMirror ? element.CodeMirror.getValue() : null;
  }, selector);
}

async function setEditor(page, which, text) {
  const selector = {
    query: '.graphiql-query-editor .CodeMirror',
    variables: '.graphiql-editor-tool .CodeMirror',
    response: '.graphiql-response .CodeMirror',
  }[which];
  await page.evaluate(
    ([s, t]) => document.querySelector(s).CodeMirror.setValue(t),
    [selector, text],
  );
}

async function statusText(page) {
  return page.locator('#status').innerText();
}

async function waitForStatus(page, pattern, what) {
  const deadline = Date.now() + WAIT;
  let text = '';
  while (Date.now() < deadline) {
    text = await statusText(page);
    if (pattern.test(text)) return text;
    await page.waitForTimeout(100);
  }
  throw new Error(`${what}: the status line says "${text}", not ${pattern}`);
}

/// Runs what the editors hold and returns the result pane's JSON.
async function run(page, what) {
  await setEditor(page, 'response', '');
  await page.locator('.graphiql-execute-button').click({ timeout: WAIT });
  const deadline = Date.now() + WAIT;
  while (Date.now() < deadline) {
    const text = await editorValue(page, 'response');
    if (text && text.trim()) {
      try {
        return JSON.parse(text);
      } catch {
        // still being written
      }
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`${what}: no result within ${WAIT / 1000} s`);
}

/// Data without errors, and every root field found something.
function assertData(result, what) {
  check(!result.errors, `${what}: errors: ${JSON.stringify(result.errors)}`);
  check(result.data && Object.keys(result.data).length > 0, `${what}: no data: ${JSON.stringify(result)}`);
  for (const [field, value] of Object.entries(result.data)) {
    const found =
      value !== null &&
      (!Array.isArray(value) || value.length > 0) &&
      (typeof value !== 'object' || !('edges' in value) || value.edges.length > 0);
    check(found, `${what}: ${field} found nothing: ${JSON.stringify(result)}`);
  }
}

async function shot(page, name) {
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${path.relative(root, file)}`);
}

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const allowed = await appOrigin();
  const other = await appOrigin();
  const banner = await startHub(allowed);
  const base = banner.url;
  const examples = await (await fetch(`${base}/playground/examples.json`)).json();
  check(examples.length >= 4, `only ${examples.length} examples`);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      // Nothing but loopback resolves, whatever asks.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
      '--no-proxy-server',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-domain-reliability',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    serviceWorkers: 'block',
    locale: 'vi-VN',
  });
  context.setDefaultTimeout(WAIT);
  const outside = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (loopback(url)) return route.continue();
    outside.push(url.href);
    return route.abort('blockedbyclient');
  });
  await context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('websocket', (socket) => {
    if (!loopback(new URL(socket.url()))) outside.push(socket.url());
  });
  const requests = [];
  page.on('request', (request) => requests.push(request.url()));

  // 1. The page loads from the hub alone, and asks the hub nothing yet.
  await page.goto(`${base}/graphql`, { waitUntil: 'load', timeout: WAIT });
  await page.locator('.graphiql-container').waitFor({ timeout: WAIT });
  await page.locator('.graphiql-query-editor .CodeMirror').waitFor({ timeout: WAIT });
  check(/No token yet/.test(await statusText(page)), 'the status line does not ask for a token');
  const options = await page.locator('#example option').allInnerTexts();
  check(
    JSON.stringify(options) === JSON.stringify(examples.map((e) => e.title)),
    `the example list is ${JSON.stringify(options)}`,
  );
  check((await editorValue(page, 'query')) === examples[0].document, 'the first example is not the default query');
  check(!requests.some((u) => u.endsWith('/graphql') && u !== `${base}/graphql`), 'a request before a token');
  await shot(page, '01-loaded');
  log(`page loaded: ${requests.length} requests, ${examples.length} examples offered`);

  // 2. A token the hub refuses says so.
  await page.fill('#token', 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJVQk5ELTY4In0.bm90LWEtc2lnbmF0dXJl');
  await page.click('#use-token');
  await waitForStatus(page, /invalid, expired or revoked/, 'a forged token');
  await shot(page, '02-refused-token');
  log('a forged token is refused with a clear message');

  // 3. A pasted demo token: signed in, and the schema is fetched at once.
  await page.fill('#token', banner.tokens['UBND-68']);
  await page.click('#use-token');
  await waitForStatus(page, /Signed in as UBND-68/, 'the UBND-68 token');
  check((await page.inputValue('#token')) === '', 'the token is still shown in the box');
  await page.click('[aria-label="Show Documentation Explorer"]');
  const explorer = page.locator('.graphiql-doc-explorer');
  await explorer.locator('a.graphiql-doc-explorer-type-name', { hasText: 'QueryRoot' }).first().click();
  for (const field of ['me', 'citizen', 'enterprises', 'landParcels', 'accessLog']) {
    await explorer
      .locator('.graphiql-doc-explorer-field-name', { hasText: new RegExp(`^${field}$`) })
      .first()
      .waitFor({ timeout: WAIT });
  }
  await shot(page, '03-docs-explorer');
  await page.click('[aria-label="Hide Documentation Explorer"]');
  log('the docs explorer lists the query fields');
  // GraphiQL's dialogs work under the page's Content-Security-Policy.
  await page.click('[aria-label="Open settings dialog"]');
  await page.locator('[role="dialog"]').waitFor({ timeout: WAIT });
  await shot(page, '03-settings-dialog');
  await page.keyboard.press('Escape');
  await page.locator('[role="dialog"]').waitFor({ state: 'detached', timeout: WAIT });

  // 4. Every example runs and shows data without errors.
  for (const [index, example] of examples.entries()) {
    if (index > 0) await page.selectOption('#example', String(index));
    const deadline = Date.now() + WAIT;
    while ((await editorValue(page, 'query')) !== example.document) {
      check(Date.now() < deadline, `${example.name}: the editor did not show the example`);
      await page.waitForTimeout(50);
    }
    await page.waitForTimeout(300); // as a person would: GraphiQL reads the new document
    const variables = (await editorValue(page, 'variables')) || '';
    check(
      JSON.stringify(variables.trim() ? JSON.parse(variables) : null) === JSON.stringify(example.variables),
      `${example.name}: the variables editor holds ${variables}`,
    );
    const result = await run(page, example.name);
    assertData(result, example.name);
    await shot(page, `04-example-${index + 1}-${example.name}`);
    log(`example ${example.name}: data, no errors`);
  }

  // An example chosen over a document of one's own opens in a new tab.
  const tabs = page.locator('.graphiql-tab');
  const before = await tabs.count();
  await setEditor(page, 'query', '# mine\nquery Mine { me { agencyCode } }\n');
  await page.selectOption('#example', '0');
  const deadline = Date.now() + WAIT;
  while ((await editorValue(page, 'query')) !== examples[0].document) {
    check(Date.now() < deadline, 'the example did not open over a document of ones own');
    await page.waitForTimeout(50);
  }
  check((await tabs.count()) === Math.max(before, 1) + 1, 'the example did not open in a new tab');
  log('an example opens in a new tab over a document of ones own');

  // 5. A Vietnamese purpose and a case reference, declared on the bar,
  // reach the access log with a lookup of personal data.
  const lookup = examples.findIndex((e) => e.name === 'CitizenById');
  check(lookup >= 0, 'no CitizenById example');
  await page.fill('#purpose', PURPOSE);
  await page.fill('#case-ref', CASE_REF);
  await page.selectOption('#example', String(lookup));
  await page.waitForTimeout(300);
  assertData(await run(page, 'CitizenById with a purpose'), 'CitizenById with a purpose');
  log('a lookup with a purpose ran');

  // 6. A token from the client id and secret: a wrong secret is refused
  // with the OAuth error, the right one signs in (and is not kept).
  await page.fill('#client-id', 'BCA');
  await page.fill('#client-secret', 'not-the-secret');
  await page.click('#get-token');
  await waitForStatus(page, /No token for BCA: invalid_client/, 'a wrong secret');
  await shot(page, '05-wrong-secret');
  await page.fill('#client-secret', banner.secrets.BCA);
  await page.click('#get-token');
  await waitForStatus(page, /Signed in as BCA \(client credentials\)/, 'the BCA client credentials');
  check((await page.inputValue('#client-secret')) === '', 'the secret is still in the box');
  log('client credentials: a wrong secret is refused, the right one signs in');

  // 7. As the population's owner, the access log shows the lookup with its
  // purpose and case, as the hub recorded them.
  await setEditor(
    page,
    'query',
    `query WhoLookedUp {
  accessLog(filter: { dataset: POPULATION, agency: "UBND-68" }, first: 20) {
    edges { node { agency operation purpose caseRef fields subjects } }
  }
}
`,
  );
  await setEditor(page, 'variables', '');
  await page.waitForTimeout(300);
  const log7 = await run(page, 'the access log');
  assertData(log7, 'the access log');
  const rows = log7.data.accessLog.edges.map((e) => e.node);
  const recorded = rows.find((row) => row.purpose === PURPOSE && row.caseRef === CASE_REF);
  check(
    recorded && recorded.operation === 'CitizenById',
    `no access-log row of CitizenById with the purpose: ${JSON.stringify(rows)}`,
  );
  check(
    recorded.subjects.includes(examples[lookup].variables.personalId),
    `the row names other subjects: ${JSON.stringify(recorded)}`,
  );
  await shot(page, '06-access-log');
  log(`the hub recorded the purpose "${recorded.purpose}" and case ${recorded.caseRef}`);

  // 8. Nothing kept beyond the tab: no cookie, no localStorage, no token or
  // secret in sessionStorage; a reload forgets the token.
  const stored = await page.evaluate(() => ({
    cookie: document.cookie,
    local: localStorage.length,
    session: JSON.stringify(Object.entries(sessionStorage)),
    csp: window.__csp,
  }));
  check(stored.cookie === '', `a cookie: ${stored.cookie}`);
  check(stored.local === 0, 'something is in localStorage');
  for (const secret of [banner.tokens['UBND-68'], banner.secrets.BCA]) {
    check(!stored.session.includes(secret), 'a token or secret is in sessionStorage');
  }
  check(!/authorization/i.test(stored.session), 'headers are in sessionStorage');
  check(stored.csp.length === 0, `Content-Security-Policy violations: ${stored.csp.join('; ')}`);
  await page.reload({ waitUntil: 'load', timeout: WAIT });
  await page.locator('.graphiql-container').waitFor({ timeout: WAIT });
  check(/No token yet/.test(await statusText(page)), 'the token outlived a reload');
  log('nothing kept: no cookie, no localStorage, the token gone after a reload');

  // 10. A browser app on an allowed origin calls the hub; one on another
  // origin is refused by the browser (no CORS headers for it).
  const callHub = ({ hub, token }) =>
    fetch(`${hub}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ me { agencyCode } }' }),
    })
      .then((r) => r.json())
      .then((body) => `ok ${body.data?.me?.agencyCode}`, (error) => `refused ${error.name}`);
  const app = await context.newPage();
  await app.goto(`${allowed}/`, { waitUntil: 'load' });
  const fromAllowed = await app.evaluate(callHub, { hub: base, token: banner.tokens['UBND-68'] });
  check(fromAllowed === 'ok UBND-68', `the allowed origin's app: ${fromAllowed}`);
  await app.goto(`${other}/`, { waitUntil: 'load' });
  const fromOther = await app.evaluate(callHub, { hub: base, token: banner.tokens['UBND-68'] });
  check(fromOther.startsWith('refused'), `another origin's app was served: ${fromOther}`);
  await app.close();
  log(`an app on ${allowed} calls the hub; one on ${other} is refused by the browser`);

  // 9. No request left loopback; the page reported no errors but the
  // refusals this test caused on purpose.
  check(outside.length === 0, `requests that would have left the hub: ${outside.join(', ')}`);
  check(
    requests.every((u) => /^(data:|blob:)/.test(u) || loopback(new URL(u))),
    'a request off loopback',
  );
  // The forged token's refusals are the only errors expected.
  const unexpected = problems.filter((p) => !/status of 401 /.test(p));
  check(unexpected.length === 0, `the page reported:\n  ${unexpected.join('\n  ')}`);
  log(`${requests.length} requests, all to ${base}`);
}

try {
  await main();
  log('PASSED');
  await cleanup();
  clearTimeout(watchdog);
  process.exit(0);
} catch (error) {
  console.error(`[playground] FAILED: ${error.stack || error}`);
  if (problems.length) console.error(`[playground] the page reported:\n  ${problems.join('\n  ')}`);
  await cleanup();
  clearTimeout(watchdog);
  process.exit(1);
}
