#!/usr/bin/env node
// The status page (GET /) in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core from tests/servers/node_modules), against a real `junction run` daemon:
// files reader -> mapping (rejects a contact without an email) -> files writer.
//
//   node tests/browser/status_page.test.mjs      (ctest: label `browser`)
//
// Environment: JUNCTION_BIN (the host binary), JUNCTION_ARTIFACTS_DIR (where the
// screenshots go; default: a temp folder), JUNCTION_CHROMIUM (default /usr/bin/chromium).
//
// What it proves: the page loads without console errors or failed requests, takes a key
// (kept in sessionStorage, never in the URL), shows the pipeline's state, schedule, last
// run counts, next run and open dead letters; says so when the host is down and recovers
// when it is back; replays a dead letter from its button (the POST is made, the page shows
// the replay's counts, the dead-letter count drops and the record reaches the writer);
// starts a run with "Run now" (202); shows record text as text (no markup from data);
// explains 403 (a read-only key) and 401 (a wrong key); fits a narrow screen.
// Every wait is for a condition (a locator, a response, a file), never a fixed sleep.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const serversDir = path.resolve(here, '../servers');
const require = createRequire(path.join(serversDir, 'package.json'));

function fail(message) {
  console.error('FAIL: ' + message);
  process.exit(1);
}

// playwright-core is pinned to 1.61, the last release for Node.js 18 (Debian 12's nodejs).
if (Number(process.versions.node.split('.')[0]) < 18)
  fail(`playwright-core 1.61 needs Node.js 18 or later, this is ${process.versions.node}`);
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch {
  fail('playwright-core is not installed in tests/servers: run scripts/install-test-servers.sh');
}
const junctionBin = process.env.JUNCTION_BIN;
if (!junctionBin || !existsSync(junctionBin)) fail('JUNCTION_BIN does not name the built junction binary');
const chromiumBin = process.env.JUNCTION_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(chromiumBin)) fail(`no Chromium at ${chromiumBin}: run scripts/setup.sh (Debian package chromium)`);

const work = mkdtempSync(path.join(tmpdir(), 'junction-status-page-'));
const artifacts = process.env.JUNCTION_ARTIFACTS_DIR || path.join(tmpdir(), 'junction-status-page-artifacts');
mkdirSync(artifacts, { recursive: true });
rmSync(path.join(artifacts, 'status-page-failure.png'), { force: true });  // from an earlier failed run

// Keys are long enough for the host's minimum; they reach junction through its environment.
const OPS_KEY = 'ops-key-' + 'a1b2c3d4e5f6a7b8c9d0';
const VIEW_KEY = 'viewer-key-' + '0f1e2d3c4b5a69788796';
const XSS = '<img src=x onerror="window.__xss=1">';

const contact = (id, first, email) =>
  JSON.stringify({ id, properties: { firstname: first, lastname: 'Test', ...(email ? { email } : {}) } });
mkdirSync(path.join(work, 'input'));
mkdirSync(path.join(work, 'out'));
writeFileSync(path.join(work, 'input', 'contacts.ndjson'),
              [contact('1', 'Ada', 'ada@example.com'), contact('2', XSS, null), contact('3', 'Alan', 'alan@example.com')]
                .join('\n') + '\n');

// The same pipeline twice: at first the mapping requires an email (contact 2 has none, so
// it is dead-lettered); then the operator relaxes the mapping, restarts the host on the
// same port and replays the dead letter from the page.
function writeConfig(file, port, required) {
  writeFileSync(path.join(work, file), JSON.stringify({
    state: 'state.db',
    http: {
      listen: `127.0.0.1:${port}`, port_file: 'port',
      api_keys: [{ id: 'ops', key_env: 'STATUS_TEST_OPS_KEY', scopes: ['operate'] },
                 { id: 'viewer', key_env: 'STATUS_TEST_VIEW_KEY', scopes: ['read'] }],
    },
    pipelines: [{
      name: 'contacts',
      description: 'CRM contacts to files',
      schedule: { interval_ms: 3600000 },
      reader: { plugin: 'files', options: { dir: 'input', pattern: '*.ndjson' } },
      translators: [{ plugin: 'mapping', options: {
        required, rename: { 'properties.email': 'email', 'properties.firstname': 'first_name' },
        drop: ['properties'], key: 'id' } }],
      writer: { plugin: 'files', options: { dir: 'out', file_name: 'contact-{id}.json' } },
    }],
  }, null, 2));
}

// ---- the host ----
let host = null;
let hostLog = '';
function startHost(config) {
  rmSync(path.join(work, 'port'), { force: true });
  const child = spawn(junctionBin, ['run', config], {
    cwd: work,
    env: { ...process.env, STATUS_TEST_OPS_KEY: OPS_KEY, STATUS_TEST_VIEW_KEY: VIEW_KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => { hostLog += d; });
  child.stderr.on('data', (d) => { hostLog += d; });
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  host = child;
  return child;
}
// The host never outlives the test, whichever way it ends (Ctrl-C, a ctest timeout's SIGTERM).
process.on('exit', () => {
  if (host && host.exitCode === null) host.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(1));
async function stopHost() {
  if (!host) return;
  const child = host;
  host = null;
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const { code, signal } = await child.exited;
  return { code, signal };
}
// Polls a condition (files, the API) until it holds or the deadline passes.
async function until(what, check, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    if (host && host.exitCode !== null) throw new Error(`junction exited (${host.exitCode}) while waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
async function hostPort() {
  return until('the port file', () => {
    try {
      const p = Number(readFileSync(path.join(work, 'port'), 'utf8').trim());
      return p > 0 ? p : 0;
    } catch { return 0; }
  });
}
async function apiGet(port, p) {
  const r = await fetch(`http://127.0.0.1:${port}${p}`, { headers: { 'X-API-Key': OPS_KEY } });
  return r.json();
}

// ---- the browser: every console error, uncaught error and failed request is kept, with
// the phase it came in; only the phases that provoke errors on purpose may have any ----
const events = [];
let phase = 'load';
function watch(page) {
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') events.push({ phase, kind: 'console ' + m.type(), text: m.text() }); });
  page.on('pageerror', (e) => events.push({ phase, kind: 'pageerror', text: String(e) }));
  page.on('requestfailed', (r) => events.push({ phase, kind: 'requestfailed', text: `${r.method()} ${r.url()}: ${r.failure()?.errorText}` }));
  page.on('dialog', (d) => { events.push({ phase, kind: 'dialog', text: d.message() }); d.dismiss().catch(() => {}); });
}
function eventsOf(p) { return events.filter((e) => e.phase === p); }

let browser = null;
let page = null;
let ok = false;
try {
  writeConfig('strict.json', 0, ['id', 'properties.email']);
  startHost('strict.json');
  const port = await hostPort();
  const base = `http://127.0.0.1:${port}/`;
  // The daemon's first run starts at once: wait for it in the run history.
  await until('the first run to finish', async () => {
    const j = await apiGet(port, '/api/v1/pipelines');
    return j.pipelines?.[0]?.last_run?.outcome === 'ok';
  });

  browser = await chromium.launch({
    executablePath: chromiumBin,
    headless: true,
    // Chromium will not run its sandbox as root ("Running as root without --no-sandbox is
    // not supported"), and CI runs the tests as root: only then is the sandbox off
    // (playwright passes --no-sandbox). JUNCTION_CHROMIUM_NO_SANDBOX=1 turns it off for a
    // non-root user in a container without user namespaces.
    chromiumSandbox: process.getuid() !== 0 && process.env.JUNCTION_CHROMIUM_NO_SANDBOX !== '1',
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.setDefaultTimeout(15000);
  watch(page);

  // 1. The page asks for a key; the key goes to sessionStorage, not the URL.
  await page.goto(base);
  await page.getByText('Enter an API key').waitFor();
  await page.getByLabel('API key').fill(OPS_KEY);
  await page.getByRole('button', { name: 'Use key' }).click();
  const table = page.getByRole('table', { name: 'Pipelines' });
  const row = table.locator('tr[data-pipeline="contacts"]');
  await row.waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('junction.api_key')), OPS_KEY);
  assert.ok(!page.url().includes(OPS_KEY), 'the key is in the URL');
  assert.equal(await page.getByLabel('API key').inputValue(), '', 'the key stays in the input field');

  // 2. The table: state, schedule, the first run's counts (3 read, 2 written, 1 rejected),
  // the next run and one open dead letter.
  phase = 'table';
  const cell = (label) => row.locator(`[data-label="${label}"]`);
  await cell('State').getByText('scheduled', { exact: true }).waitFor();
  assert.equal(await cell('Schedule').textContent(), 'every 1 h');
  assert.match(await cell('Last run').textContent(), /^ok (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d UTC/);
  assert.equal(await cell('Read').textContent(), '3');
  assert.equal(await cell('Written').textContent(), '2');
  assert.equal(await cell('Rejected').textContent(), '1');
  assert.match(await cell('Next run').textContent(), /UTC\s*in (59 min|1 h)/);
  assert.equal(await cell('Dead letters').textContent(), '1');
  await page.getByText(/^Updated at (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d UTC/).waitFor();
  // The state's colour comes from its class (the text says it too).
  assert.match(await cell('State').locator('.badge').getAttribute('class'), /tone-good/);
  // A refresh rebuilds the table; a keyboard user's focus stays on their button.
  await row.getByRole('button', { name: 'Run contacts now' }).focus();
  await row.evaluate((r) => { r.dataset.old = '1'; });
  await page.evaluate(() => document.getElementById('refresh').click());  // click() moves no focus
  await page.waitForFunction(() => {
    const r = document.querySelector('tr[data-pipeline="contacts"]');
    return r && !r.dataset.old;
  });
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Run contacts now');

  // 3. The dead letters: the rejected contact, its reason, its record as text.
  phase = 'dead-letters';
  await page.getByRole('button', { name: 'Dead letters of contacts' }).click();
  const panel = page.getByRole('region', { name: 'Dead letters of contacts' });
  const letter = panel.locator('tr[data-dead-letter]');
  await letter.first().waitFor();
  assert.equal(await letter.count(), 1);
  const letterId = Number(await letter.getAttribute('data-dead-letter'));
  assert.ok(letterId > 0);
  assert.match(await letter.locator('[data-label="Reason"]').textContent(), /required: missing properties\.email/);
  await letter.locator('summary').click();
  assert.ok((await letter.locator('pre').textContent()).includes(JSON.stringify(XSS)), 'the record is not shown as text');
  assert.equal(await page.locator('img').count(), 0, 'markup from a record reached the DOM');
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.deepEqual(events, [], 'console errors or failed requests on a healthy host');

  // 4. The host goes down: the page says so (no uncaught error), keeps the last figures,
  // and recovers when the host is back. The operator relaxes the mapping meanwhile.
  phase = 'host-down';
  const stopped = await stopHost();
  assert.equal(stopped.code, 0, 'junction did not exit 0 on SIGTERM');
  await page.getByRole('button', { name: 'Refresh now' }).click();
  await page.getByText('Cannot reach the Junction host').waitFor();
  assert.equal(await cell('Dead letters').textContent(), '1', 'the last figures are gone while the host is down');
  writeConfig('fixed.json', port, ['id']);
  startHost('fixed.json');
  assert.equal(await hostPort(), port);
  await until('the restarted host to run', async () =>
    (await apiGet(port, '/api/v1/pipelines')).pipelines?.[0]?.state === 'scheduled');
  await page.getByRole('button', { name: 'Refresh now' }).click();
  await page.getByText('Cannot reach the Junction host').waitFor({ state: 'detached' });
  const downEvents = eventsOf('host-down');
  assert.ok(downEvents.length > 0, 'no failed request while the host was down');
  for (const e of downEvents)
    assert.ok(e.kind === 'requestfailed' ? /ERR_CONNECTION_REFUSED/.test(e.text)
                                         : e.kind === 'console error' && /Failed to load resource.*ERR_CONNECTION_REFUSED/.test(e.text),
              `unexpected while the host was down: ${e.kind}: ${e.text}`);

  // 5. Replay the dead letter from its button: the page makes the POST with its id, shows
  // the replay's counts, the open count drops to 0, and the contact reaches the writer.
  phase = 'replay';
  const replayButton = panel.getByRole('button', { name: `Replay dead letter ${letterId}` });
  const [request, response] = await Promise.all([
    page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/v1/dead-letters/contacts/replay')),
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/replay')),
    replayButton.click(),
  ]);
  assert.deepEqual(request.postDataJSON(), { ids: [letterId] });
  assert.equal(request.headers()['x-api-key'], OPS_KEY);
  assert.equal(response.status(), 200);
  const answer = await response.json();
  assert.equal(answer.written, 1);
  await panel.locator('[data-role="replay-result"]')
    .getByText(`Replay of dead letter ${letterId}: 1 replayed, 1 written, 0 rejected again, 0 failed (outcome ok).`)
    .waitFor();
  await panel.getByText('No open dead letters.').waitFor();
  await cell('Dead letters').getByText('0', { exact: true }).waitFor();
  const replayed = JSON.parse(readFileSync(path.join(work, 'out', 'contact-2.json'), 'utf8'));
  assert.equal(replayed.first_name, XSS);

  // 6. Run now: a new file is read by the run the button starts (202), and the table shows
  // that run's counts when it is done.
  phase = 'run-now';
  writeFileSync(path.join(work, 'input', 'more.ndjson'), contact('4', 'Grace', 'grace@example.com') + '\n');
  const [runResponse] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/pipelines/contacts/runs')),
    row.getByRole('button', { name: 'Run contacts now' }).click(),
  ]);
  assert.equal(runResponse.status(), 202);
  const runId = (await runResponse.json()).run_id;
  await page.getByText(`Run ${runId} of contacts started (202).`).waitFor();
  await until('contact 4 to be written', () => existsSync(path.join(work, 'out', 'contact-4.json')));
  // The page refreshes by itself every 5 s: wait for it to show the run done (no click).
  await until(`the page to show run ${runId} done`, async () =>
    new RegExp(`^ok .*· run ${runId}$`).test(await cell('Last run').textContent()), 20000);
  await cell('State').getByText('scheduled', { exact: true }).waitFor();
  assert.equal(await cell('Read').textContent(), '1');
  assert.equal(await cell('Written').textContent(), '1');
  assert.deepEqual(events.filter((e) => e.phase !== 'host-down'), [],
                   'console errors or failed requests on a healthy host');

  // 1280x800: the table fits (no sideways scrolling).
  const tableOverflow = await page.evaluate(() => {
    const s = document.querySelector('.scroll');
    return s.scrollWidth - s.clientWidth;
  });
  assert.ok(tableOverflow <= 0, `the pipelines table is ${tableOverflow} px wider than a 1280 px window`);
  await page.screenshot({ path: path.join(artifacts, 'status-page.png'), fullPage: true });

  // 7. A narrow screen: rows become cards, nothing wider than the screen.
  phase = 'narrow';
  await page.setViewportSize({ width: 390, height: 844 });
  await row.getByRole('button', { name: 'Run contacts now' }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than a 390 px screen`);
  await page.screenshot({ path: path.join(artifacts, 'status-page-narrow.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  assert.deepEqual(eventsOf('narrow'), []);

  // 8. A read-only key: the table shows, Run now is refused with a word about the scope.
  phase = 'forbidden';
  await page.getByLabel('API key').fill(VIEW_KEY);
  await page.getByRole('button', { name: 'Use key' }).click();
  await row.waitFor();
  const [forbidden] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/v1/pipelines/contacts/runs')),
    row.getByRole('button', { name: 'Run contacts now' }).click(),
  ]);
  assert.equal(forbidden.status(), 403);
  await page.getByText(/lacks the scope for Run now of contacts \(403\).*Run now and Replay one with "operate"/).waitFor();

  // 9. A wrong key: the page says the key was not accepted and shows no pipeline.
  phase = 'unauthorized';
  await page.getByLabel('API key').fill('not-a-valid-key-0000000000');
  await page.getByRole('button', { name: 'Use key' }).click();
  await page.getByText('The API key was not accepted (401)').waitFor();
  await row.waitFor({ state: 'detached' });
  await page.screenshot({ path: path.join(artifacts, 'status-page-401.png') });
  // A refused request is logged by Chromium itself ("Failed to load resource: ... 401/403");
  // nothing else may be, and no request may fail at the network level.
  for (const p of ['forbidden', 'unauthorized'])
    for (const e of eventsOf(p))
      assert.ok(e.kind === 'console error' && /Failed to load resource: the server responded with a status of 40[13]/.test(e.text),
                `unexpected in phase ${p}: ${e.kind}: ${e.text}`);
  assert.ok(!events.some((e) => e.kind === 'pageerror' || e.kind === 'dialog'), 'an uncaught error or a dialog');

  // The host logged no key.
  assert.ok(!hostLog.includes(OPS_KEY) && !hostLog.includes(VIEW_KEY), 'a key in the host log');
  ok = true;
  console.log(`ok: status page tested in ${path.basename(chromiumBin)} ${browser.version()}; ` +
              `screenshots in ${artifacts}`);
} catch (e) {
  console.error('FAIL: ' + (e && e.stack ? e.stack : e));
  if (events.length) console.error('---- browser events:\n' + events.map((x) => `[${x.phase}] ${x.kind}: ${x.text}`).join('\n'));
  console.error('---- junction output:\n' + hostLog);
  if (page) {
    const shot = path.join(artifacts, 'status-page-failure.png');
    await page.screenshot({ path: shot, fullPage: true }).then(() => console.error('the page as it was: ' + shot), () => {});
  }
} finally {
  if (browser) await browser.close().catch(() => {});
  await stopHost().catch(() => {});
  rmSync(work, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
