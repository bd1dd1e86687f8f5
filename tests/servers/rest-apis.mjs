#!/usr/bin/env node
// Fake REST APIs for the rest reader's end-to-end tests (node's http module, no
// dependencies), shaped as their documentation says. Listens on 127.0.0.1 only.
//
//   node tests/servers/rest-apis.mjs [--port N|0] [--port-file FILE] [--demo] [--open-data-records N]
//
// --open-data-records N sizes the open data set (default 237; the real portal refuses
// offset + limit > 10000, this one only beyond N, for benchmarks).
// --demo seeds what the examples of examples/rest/ read: repositories acme/widgets and
// acme/gears (issues, pull requests, commits) and 25 HubSpot contacts (with company,
// phone and lifecyclestage; one e-mail in mixed case with spaces, one contact without).
// GitHub (https://docs.github.com/en/rest/issues/issues#list-repository-issues,
// .../commits/commits#list-commits, .../repos/repos#list-organization-repositories):
//   GET /repos/{o}/{r}/issues?state=open|closed|all&since=&sort=created|updated&direction=asc|desc&per_page=&page=
//   GET /repos/{o}/{r}/commits?since=&per_page=&page=      GET /orgs/{org}/repos?per_page=&page=
//   Link: <...page=2>; rel="next", <...page=N>; rel="last" (and prev/first); per_page at most 100.
//   Authorization: Bearer|token <GITHUB_TOKEN>, else 401. A deleted repository: 404.
// HubSpot (https://developers.hubspot.com/docs/api/crm/contacts, .../crm/search):
//   GET  /crm/v3/objects/contacts?limit=&after=      paging.next.after, limit at most 100
//   POST /crm/v3/objects/contacts/search             filterGroups (lastmodifieddate GTE/GT/LTE/LT/EQ),
//                                                    sorts, limit (at most 200), after
//   Authorization: Bearer <access token of /oauth/v1/token, unexpired>, else 401.
//   POST /oauth/v1/token   grant_type=refresh_token|client_credentials, client_id, client_secret;
//                          tokens expire after `expires_in` s; refresh tokens rotate when set.
// Open data (Opendatasoft Explore v2.1, https://help.opendatasoft.com/apis/ods-explore-v2/):
//   GET /api/explore/v2.1/catalog/datasets/{id}/records?limit=&offset=  {total_count, results}, no auth
// Control (tests only), every one answers JSON:
//   POST /_control/github/repo?name=o/r&issues=N&prs=M&commits=K   create a repository
//   POST /_control/github/issue?repo=o/r[&number=N]                update issue N (or add one): updated_at moves on
//   POST /_control/github/set?repo=o/r&number=N&field=F&json=V      issue N's field F becomes the JSON
//                                                                  value V (a wrong type on demand); updated_at moves on
//   POST /_control/github/delete?name=o/r                          the repository is gone (404)
//   POST /_control/hubspot/contacts?count=N                        add N contacts
//   POST /_control/hubspot/update?id=I                             update contact I: lastmodifieddate moves on
//   POST /_control/hubspot/set?id=I&property=P&json=V              contact I's property P becomes the JSON value V
//                                                                  (null: unset); lastmodifieddate moves on
//   POST /_control/oauth?expires_in=S&rotate=0|1                   token settings
//   POST /_control/oauth/revoke                                    every refresh and access token revoked
//   POST /_control/fail?count=N&status=429&retry_after=1&prefix=/repos   the next N API requests fail
//   POST /_control/delay?ms=N&count=M&prefix=/crm                  the next M API requests wait N ms first
//   GET  /_control/stats                                           counts, tokens, refresh tokens, and
//                                                                  since: [{path, since}] of every GitHub list request
import http from 'node:http';
import { renameSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const port = Number(opt('port', '0'));
const portFile = opt('port-file', '');

export const GITHUB_TOKEN = 'ghp_FakeGitHubToken0123456789';
export const CLIENT_ID = 'hubspot-client';
export const CLIENT_SECRET = 'hubspot-client-s3cret';
export const INITIAL_REFRESH_TOKEN = 'hs-rt-initial-s3cret';

const base = Date.parse('2024-01-01T00:00:00Z');
const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');
const stats = { requests: 0, paths: {}, unauthorized: 0, failures: 0, token_requests: 0, grants: [], since: [] };
const github = { repos: new Map(), clock: base, nextId: 1000 };
const hubspot = { contacts: [], clock: base };
const oauth = { expiresIn: 3600, rotate: true, refreshTokens: new Set([INITIAL_REFRESH_TOKEN]), access: new Map(), issued: 0 };
const fail = { count: 0, status: 429, retryAfter: '1', prefix: '/' };
const delay = { count: 0, ms: 0, prefix: '/' };

const send = (res, status, body, headers = {}) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

// ---- GitHub ------------------------------------------------------------------------
function newIssue(repo, pr) {
  github.clock += 3600 * 1000;
  const number = repo.issues.length + 1;
  const issue = {
    id: github.nextId++, number, title: `Issue ${number} of ${repo.name}`, state: number % 3 === 0 ? 'closed' : 'open',
    created_at: iso(github.clock), updated_at: iso(github.clock), user: { login: 'octocat' },
    labels: number % 2 === 0 ? [{ id: 1, name: 'bug' }] : [],
  };
  if (pr) issue.pull_request = { url: `https://api.github.com/repos/${repo.name}/pulls/${number}` };
  repo.issues.push(issue);
  return issue;
}

function createRepo(name, issues, prs, commits) {
  const repo = { name, issues: [], commits: [], deleted: false, id: github.nextId++ };
  github.repos.set(name, repo);
  let madePrs = 0;
  for (let i = 0; i < issues + prs; i++) {
    const pr = madePrs < prs && (i % 2 === 1 || i - madePrs >= issues);
    if (pr) madePrs += 1;
    newIssue(repo, pr);
  }
  for (let i = 0; i < commits; i++) {
    github.clock += 60 * 1000;
    repo.commits.push({ sha: `${name.replace('/', '-')}-${i + 1}`, commit: { message: `commit ${i + 1}`, author: { name: 'Octo', date: iso(github.clock) } }, author: { login: 'octocat' } });
  }
  return repo;
}

function linkHeader(req, url, page, last) {
  const origin = `http://${req.headers.host}`;
  const at = (p) => {
    const u = new URL(url.pathname + url.search, origin);
    u.searchParams.set('page', String(p));
    return `<${u.toString()}>`;
  };
  const links = [];
  if (page < last) links.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`);
  if (page > 1) links.push(`${at(1)}; rel="first"`, `${at(page - 1)}; rel="prev"`);
  return links.length ? { Link: links.join(', ') } : {};
}

function paged(req, res, url, items) {
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? '30')));
  const page = Math.max(1, Number(url.searchParams.get('page') ?? '1'));
  const last = Math.max(1, Math.ceil(items.length / perPage));
  send(res, 200, items.slice((page - 1) * perPage, page * perPage), linkHeader(req, url, page, last));
}

function githubAuthorized(req) {
  const auth = req.headers.authorization ?? '';
  const m = /^(Bearer|token) (.+)$/.exec(auth);
  return m !== null && m[2] === GITHUB_TOKEN;
}

function githubRoute(req, res, url, parts) {
  if (!githubAuthorized(req)) {
    stats.unauthorized += 1;
    return send(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
  }
  if (parts[0] === 'orgs' && parts[2] === 'repos') {
    const repos = [...github.repos.values()].filter((r) => r.name.startsWith(`${parts[1]}/`) && !r.deleted)
      .map((r) => ({ id: r.id, name: r.name.split('/')[1], full_name: r.name, archived: false }));
    return paged(req, res, url, repos);
  }
  const repo = github.repos.get(`${parts[1]}/${parts[2]}`);
  if (!repo || repo.deleted) return send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  const q = url.searchParams;
  stats.since.push({ path: url.pathname, since: q.get('since') });
  const since = q.has('since') ? Date.parse(q.get('since')) : null;
  if (q.has('since') && Number.isNaN(since)) return send(res, 422, { message: 'Validation Failed' });
  if (parts[3] === 'issues') {
    const state = q.get('state') ?? 'open';
    const sort = q.get('sort') ?? 'created';
    const direction = q.get('direction') ?? 'desc';
    // The listing of the last query is kept until the repository changes (a fingerprint
    // of its issues' count and latest update), so paging through 100,000 issues does not
    // filter and sort them again for every page (bench/rest_databox.sh).
    const memoKey = JSON.stringify([state, sort, direction, since, repo.issues.length, github.clock]);
    if (repo.memo?.key !== memoKey) {
      let items = repo.issues.filter((i) => state === 'all' || i.state === state)
        .filter((i) => since === null || Date.parse(i.updated_at) > since);
      const key = sort === 'updated' ? 'updated_at' : 'created_at';
      items = items.sort((a, b) => (Date.parse(a[key]) - Date.parse(b[key])) * (direction === 'asc' ? 1 : -1) || a.id - b.id);
      repo.memo = { key: memoKey, items };
    }
    return paged(req, res, url, repo.memo.items);
  }
  if (parts[3] === 'commits') {
    const items = repo.commits.filter((c) => since === null || Date.parse(c.commit.author.date) >= since)
      .sort((a, b) => Date.parse(b.commit.author.date) - Date.parse(a.commit.author.date));
    return paged(req, res, url, items);
  }
  return send(res, 404, { message: 'Not Found' });
}

// ---- HubSpot -----------------------------------------------------------------------
const STAGES = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer'];
const COMPANIES = ['Acme Corp', 'Globex', 'Initech', 'Umbrella', null];

function addContacts(n) {
  for (let i = 0; i < n; i++) {
    hubspot.clock += 60 * 1000;
    const k = hubspot.contacts.length;
    const id = String(k + 101);
    const t = new Date(hubspot.clock).toISOString();
    hubspot.contacts.push({
      id, properties: { createdate: t, email: `contact${id}@example.com`, firstname: `First${id}`, lastname: `Last${id}`,
        company: COMPANIES[k % COMPANIES.length], phone: k % 3 === 2 ? null : `+1 555 01${String(k % 100).padStart(2, '0')}`,
        lifecyclestage: STAGES[k % STAGES.length], hs_object_id: id, lastmodifieddate: t },
      createdAt: t, updatedAt: t, archived: false,
    });
  }
}

// What HubSpot returns of a contact: the properties asked for (each, null when unset),
// plus the three it always adds; every property without `properties`.
function contactView(c, wanted) {
  if (!Array.isArray(wanted) || wanted.length === 0) return c;
  const properties = {};
  for (const p of [...wanted, 'hs_object_id', 'createdate', 'lastmodifieddate']) properties[p] = c.properties[p] ?? null;
  return { ...c, properties };
}

function hubspotAuthorized(req) {
  const auth = req.headers.authorization ?? '';
  if (!auth.startsWith('Bearer ')) return false;
  const expires = oauth.access.get(auth.slice(7));
  return expires !== undefined && Date.now() < expires;
}

const filterValue = (v) => (/^\d+$/.test(String(v)) ? Number(v) : Date.parse(v));

function hubspotRoute(req, res, url, body) {
  if (!hubspotAuthorized(req)) {
    stats.unauthorized += 1;
    return send(res, 401, { status: 'error', message: 'Authentication credentials not found.', category: 'INVALID_AUTHENTICATION' });
  }
  if (req.method === 'GET' && url.pathname === '/crm/v3/objects/contacts') {
    const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? '10')));
    const after = Number(url.searchParams.get('after') ?? '0');
    const results = hubspot.contacts.filter((c) => Number(c.id) > after).slice(0, limit);
    const out = { results };
    const lastId = results.length ? Number(results[results.length - 1].id) : after;
    if (hubspot.contacts.some((c) => Number(c.id) > lastId)) {
      out.paging = { next: { after: String(lastId), link: `http://${req.headers.host}/crm/v3/objects/contacts?after=${lastId}` } };
    }
    return send(res, 200, out);
  }
  if (req.method === 'POST' && url.pathname === '/crm/v3/objects/contacts/search') {
    let q;
    try { q = JSON.parse(body || '{}'); } catch { return send(res, 400, { status: 'error', message: 'Invalid input JSON' }); }
    const limit = Math.min(200, Math.max(1, Number(q.limit ?? 10)));
    const after = Number(q.after ?? 0);
    const groups = q.filterGroups ?? [];
    const matches = (c, f) => {
      const prop = f.propertyName === 'hs_lastmodifieddate' ? 'lastmodifieddate' : f.propertyName;
      const have = Date.parse(c.properties[prop]);
      const want = filterValue(f.value);
      switch (f.operator) {
        case 'GTE': return have >= want;
        case 'GT': return have > want;
        case 'LTE': return have <= want;
        case 'LT': return have < want;
        case 'EQ': return have === want;
        default: return true;
      }
    };
    let items = hubspot.contacts.filter((c) => groups.length === 0 || groups.some((g) => (g.filters ?? []).every((f) => matches(c, f))));
    const sort = (q.sorts ?? [])[0];
    if (sort) {
      const prop = sort.propertyName === 'hs_lastmodifieddate' ? 'lastmodifieddate' : sort.propertyName;
      items = items.sort((a, b) => (Date.parse(a.properties[prop]) - Date.parse(b.properties[prop])) * (sort.direction === 'DESCENDING' ? -1 : 1));
    }
    const results = items.slice(after, after + limit).map((c) => contactView(c, q.properties));
    const out = { total: items.length, results };
    if (after + limit < items.length) out.paging = { next: { after: String(after + limit) } };
    return send(res, 200, out);
  }
  return send(res, 404, { status: 'error', message: 'Not found' });
}

function tokenEndpoint(req, res, body) {
  stats.token_requests += 1;
  const form = new URLSearchParams(body);
  let clientId = form.get('client_id');
  let clientSecret = form.get('client_secret');
  const auth = req.headers.authorization ?? '';
  if (auth.startsWith('Basic ')) [clientId, clientSecret] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
  const grant = form.get('grant_type');
  stats.grants.push(grant);
  if (clientId !== CLIENT_ID || clientSecret !== CLIENT_SECRET) return send(res, 401, { error: 'invalid_client' });
  const out = { token_type: 'bearer', expires_in: oauth.expiresIn };
  if (grant === 'refresh_token') {
    const rt = form.get('refresh_token');
    if (!oauth.refreshTokens.has(rt)) return send(res, 400, { error: 'invalid_grant', error_description: 'refresh token is invalid, expired or revoked' });
    if (oauth.rotate) {
      oauth.refreshTokens.delete(rt);
      out.refresh_token = `hs-rt-rotated-s3cret-${oauth.issued + 1}`;
      oauth.refreshTokens.add(out.refresh_token);
    } else {
      out.refresh_token = rt;
    }
  } else if (grant !== 'client_credentials') {
    return send(res, 400, { error: 'unsupported_grant_type' });
  }
  oauth.issued += 1;
  out.access_token = `hs-at-s3cret-${oauth.issued}`;
  oauth.access.set(out.access_token, Date.now() + oauth.expiresIn * 1000);
  return send(res, 200, out);
}

// ---- open data ---------------------------------------------------------------------
// Shaped as Paris's Velib' stations dataset (velib-disponibilite-en-temps-reel).
const openData = Array.from({ length: Number(opt('open-data-records', '237')) }, (_, i) => ({
  stationcode: String(10000 + i), name: `Station ${i + 1}`, capacity: 10 + (i % 25), numbikesavailable: i % 11,
  coordonnees_geo: { lon: 2.3 + i / 1000, lat: 48.8 + i / 1000 }, duedate: new Date(base + i * 60000).toISOString(),
}));

function openDataRoute(req, res, url) {
  const limit = Number(url.searchParams.get('limit') ?? '10');
  const offset = Number(url.searchParams.get('offset') ?? '0');
  if (limit > 100 || limit < -1) return send(res, 400, { error_code: 'InvalidRESTParameterError', message: 'Invalid value for limit API parameter' });
  if (offset + limit > Math.max(10000, openData.length)) return send(res, 400, { error_code: 'InvalidRESTParameterError', message: 'offset + limit must be at most 10000' });
  return send(res, 200, { total_count: openData.length, results: openData.slice(offset, offset + limit) });
}

// ---- control -----------------------------------------------------------------------
function control(req, res, url, parts) {
  const q = url.searchParams;
  const path = parts.slice(1).join('/');
  switch (path) {
    case 'github/repo':
      createRepo(q.get('name'), Number(q.get('issues') ?? '0'), Number(q.get('prs') ?? '0'), Number(q.get('commits') ?? '0'));
      return send(res, 200, { ok: true });
    case 'github/issue': {
      const repo = github.repos.get(q.get('repo'));
      if (!repo) return send(res, 404, { error: 'no such repo' });
      if (q.has('number')) {
        const issue = repo.issues[Number(q.get('number')) - 1];
        github.clock += 3600 * 1000;
        issue.updated_at = iso(github.clock);
        issue.title += ' (edited)';
        return send(res, 200, issue);
      }
      return send(res, 200, newIssue(repo, false));
    }
    case 'github/set': {
      const repo = github.repos.get(q.get('repo'));
      const issue = repo?.issues[Number(q.get('number')) - 1];
      if (!issue) return send(res, 404, { error: 'no such issue' });
      let value;
      try { value = JSON.parse(q.get('json') ?? 'null'); } catch { return send(res, 400, { error: 'json is not JSON' }); }
      issue[q.get('field')] = value;
      github.clock += 3600 * 1000;
      issue.updated_at = iso(github.clock);
      return send(res, 200, issue);
    }
    case 'github/delete':
      github.repos.get(q.get('name')).deleted = true;
      return send(res, 200, { ok: true });
    case 'hubspot/contacts':
      addContacts(Number(q.get('count') ?? '1'));
      return send(res, 200, { total: hubspot.contacts.length });
    case 'hubspot/update': {
      const c = hubspot.contacts.find((x) => x.id === q.get('id'));
      hubspot.clock += 3600 * 1000;
      const t = new Date(hubspot.clock).toISOString();
      c.properties.lastmodifieddate = t;
      c.updatedAt = t;
      c.properties.firstname += ' (edited)';
      return send(res, 200, c);
    }
    case 'hubspot/set': {
      const c = hubspot.contacts.find((x) => x.id === q.get('id'));
      if (!c) return send(res, 404, { error: 'no such contact' });
      let value;
      try { value = JSON.parse(q.get('json') ?? 'null'); } catch { return send(res, 400, { error: 'json is not JSON' }); }
      c.properties[q.get('property')] = value;
      hubspot.clock += 3600 * 1000;
      const t = new Date(hubspot.clock).toISOString();
      c.properties.lastmodifieddate = t;
      c.updatedAt = t;
      return send(res, 200, c);
    }
    case 'oauth':
      if (q.has('expires_in')) oauth.expiresIn = Number(q.get('expires_in'));
      if (q.has('rotate')) oauth.rotate = q.get('rotate') === '1';
      return send(res, 200, { ok: true });
    case 'oauth/revoke':
      oauth.refreshTokens.clear();
      oauth.access.clear();
      return send(res, 200, { ok: true });
    case 'fail':
      Object.assign(fail, { count: Number(q.get('count') ?? '1'), status: Number(q.get('status') ?? '429'),
        retryAfter: q.get('retry_after') ?? '1', prefix: q.get('prefix') ?? '/' });
      return send(res, 200, { ok: true });
    case 'delay':
      Object.assign(delay, { count: Number(q.get('count') ?? '1'), ms: Number(q.get('ms') ?? '1000'), prefix: q.get('prefix') ?? '/' });
      return send(res, 200, { ok: true });
    case 'stats':
      return send(res, 200, { ...stats, refresh_tokens: [...oauth.refreshTokens], access_tokens_issued: oauth.issued });
    default:
      return send(res, 404, { error: 'no such control' });
  }
}

function route(req, res, body) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const parts = url.pathname.split('/').filter(Boolean);
  if (parts[0] === '_control') {
    for (const repo of github.repos.values()) repo.memo = undefined;  // a control call may change anything
    return control(req, res, url, parts);
  }
  stats.requests += 1;
  stats.paths[url.pathname] = (stats.paths[url.pathname] ?? 0) + 1;
  if (url.pathname === '/oauth/v1/token' && req.method === 'POST') return tokenEndpoint(req, res, body);
  const answer = () => {
    if (fail.count > 0 && url.pathname.startsWith(fail.prefix)) {
      fail.count -= 1;
      stats.failures += 1;
      const headers = fail.retryAfter === '' ? {} : { 'Retry-After': fail.retryAfter };
      return send(res, fail.status, { message: 'API rate limit exceeded' }, headers);
    }
    if (parts[0] === 'repos' || parts[0] === 'orgs') return githubRoute(req, res, url, parts);
    if (parts[0] === 'crm') return hubspotRoute(req, res, url, body);
    if (parts[0] === 'api') return openDataRoute(req, res, url);
    return send(res, 404, { error: 'no such route' });
  };
  if (delay.count > 0 && url.pathname.startsWith(delay.prefix)) {
    delay.count -= 1;
    const timer = setTimeout(answer, delay.ms);
    req.socket.once('close', () => clearTimeout(timer));
    return undefined;
  }
  return answer();
}

if (args.includes('--demo')) {
  createRepo('acme/widgets', 12, 3, 8);
  createRepo('acme/gears', 5, 0, 4);
  addContacts(25);
  // what a CRM holds in practice: an address typed by hand, a contact without one
  hubspot.contacts[2].properties.email = '  Contact103@Example.COM ';
  hubspot.contacts[6].properties.email = null;
}

const sockets = new Set();
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => route(req, res, Buffer.concat(chunks).toString()));
});
server.keepAliveTimeout = 30000;
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});
server.on('error', (e) => {
  console.error(`rest-apis: ${e.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  const actual = server.address().port;
  if (portFile) {
    writeFileSync(`${portFile}.tmp`, String(actual));
    renameSync(`${portFile}.tmp`, portFile);
  }
  console.log(`READY http://127.0.0.1:${actual} pid=${process.pid}`);
});

const stop = () => {
  server.close();
  for (const s of sockets) s.destroy();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
