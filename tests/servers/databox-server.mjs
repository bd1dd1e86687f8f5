#!/usr/bin/env node
// A fake Databox ingestion API (v1, https://developers.databox.com/api/) for the tests of
// the databox writer: node's built-in http module, no dependencies, 127.0.0.1 only, state
// in memory.
//
//   node tests/servers/databox-server.mjs [--port N|0] [--port-file FILE]
//
// Writes the port to --port-file (temp name, then rename) and prints "READY <url>".
// The API, with the real shapes: every answer carries requestId and status ("success" or
// "error" with errors: [{code, message, field, type}]); every /v1 call needs the header
// x-api-key: dbx-test-key-s3cret (else 401 UNAUTHORIZED).
//   GET    /v1/auth/validate-key
//   GET    /v1/accounts                              {accounts: [{id, name, accountType}]}
//   GET    /v1/accounts/{accountId}/data-sources     {dataSources: [{id, title, created, timezone, key}]}
//   POST   /v1/data-sources {accountId, title, timezone}        {id, title, created, timezone}
//   DELETE /v1/data-sources/{id}
//   GET    /v1/data-sources/{id}/datasets            {datasets: [{id, title, created}]}
//   POST   /v1/datasets {title, dataSourceId, primaryKeys}      {id, title, created}
//   POST   /v1/datasets/{id}/data {records: [...]}   at most 100 records; rows with the same
//                                                    primary key replace each other; {ingestionId, message}
//   GET    /v1/datasets/{id}/ingestions[/{ingestionId}]
//   POST   /v1/datasets/{id}/purge    DELETE /v1/datasets/{id}
// Control, for the tests (no key needed):
//   POST /_control/fail {count, status, mode: "fail"|"store_then_fail", retry_after}
//        the next `count` ingestions answer `status` (default 503); store_then_fail stores
//        the rows first (an answer lost after the work was done)
//   POST /_control/down {down: true|false, after}   while down, every /v1 connection is reset;
//                                            with `after`: down once `after` more ingestions succeeded
//   GET  /_control/datasets                  every dataset with primaryKeys, rows, ingestions
//   GET  /_control/requests                  {method, path, status, records} of every /v1 call
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const port = Number(opt('port', '0'));
const portFile = opt('port-file', '');

const API_KEY = 'dbx-test-key-s3cret';
const MAX_RECORDS = 100;
const accounts = [{ id: 123456, name: 'Acme Corp', accountType: 'standard' }];
const dataSources = new Map(); // id -> {id, accountId, title, timezone, created}
const datasets = new Map(); // id -> {id, dataSourceId, title, primaryKeys, created, rows: Map, ingestions: []}
const requests = [];
let nextDataSourceId = 4754489;
let failures = { count: 0, status: 503, mode: 'fail', retryAfter: null };
let down = false;
let downAfter = null; // ingestions still to store before going down

const now = () => new Date().toISOString();
const send = (res, status, body, headers = {}) => {
  const text = JSON.stringify({ requestId: randomUUID(), ...body });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
};
const ok = (res, body = {}, status = 200) => send(res, status, { status: 'success', ...body });
const error = (res, status, code, message, field = null, type = 'validation', headers = {}) =>
  send(res, status, { status: 'error', errors: [{ code, message, field, type }] }, headers);

const readBody = (req) =>
  new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

const rowKey = (dataset, row) =>
  dataset.primaryKeys && dataset.primaryKeys.length
    ? JSON.stringify(dataset.primaryKeys.map((k) => row[k]))
    : `#${dataset.rows.size}`;

const ingest = (res, dataset, body) => {
  if (!body || !Array.isArray(body.records))
    return error(res, 400, 'invalid_input', 'records must be an array of objects', 'records');
  if (body.records.length === 0) return error(res, 400, 'invalid_input', 'records must not be empty', 'records');
  if (body.records.length > MAX_RECORDS)
    return error(res, 400, 'invalid_input', `at most ${MAX_RECORDS} records per ingestion`, 'records');
  for (const [i, r] of body.records.entries()) {
    if (r === null || typeof r !== 'object' || Array.isArray(r))
      return error(res, 400, 'invalid_input', `records[${i}] is not an object`, `records[${i}]`);
    for (const k of dataset.primaryKeys || [])
      if (r[k] === undefined || r[k] === null)
        return error(res, 400, 'invalid_input', `records[${i}] has no value for primary key ${k}`, k);
  }
  const store = () => {
    for (const r of body.records) dataset.rows.set(rowKey(dataset, r), r);
    const ingestion = { ingestionId: randomUUID(), timestamp: now(), status: 'completed', records: body.records.length };
    dataset.ingestions.push(ingestion);
    return ingestion;
  };
  if (failures.count > 0) {
    failures.count -= 1;
    if (failures.mode === 'store_then_fail') store();
    const headers = failures.retryAfter != null ? { 'Retry-After': String(failures.retryAfter) } : {};
    return error(res, failures.status, 'server_error', `simulated failure (${failures.status})`, null, 'server', headers);
  }
  const ingestion = store();
  if (downAfter !== null && --downAfter <= 0) {
    down = true;
    downAfter = null;
  }
  return ok(res, { ingestionId: ingestion.ingestionId, message: 'Data ingestion request accepted' });
};

const api = async (req, res, path, body) => {
  let m;
  if (req.method === 'GET' && path === '/v1/auth/validate-key') return ok(res);
  if (req.method === 'GET' && path === '/v1/accounts') return ok(res, { accounts });
  if (req.method === 'GET' && (m = path.match(/^\/v1\/accounts\/([^/]+)\/data-sources$/))) {
    const id = Number(m[1]);
    if (!accounts.some((a) => a.id === id)) return error(res, 404, 'not_found', 'Account not found', 'accountId');
    const list = [...dataSources.values()].filter((d) => d.accountId === id);
    return ok(res, {
      dataSources: list.map(({ id, title, created, timezone }) => ({ id, title, created, timezone, key: 'ingestion' })),
    });
  }
  if (req.method === 'POST' && path === '/v1/data-sources') {
    if (!body || !accounts.some((a) => a.id === Number(body.accountId)))
      return error(res, 400, 'invalid_input', 'accountId is not an account of this key', 'accountId');
    if (typeof body.title !== 'string') return error(res, 400, 'invalid_input', 'title is required', 'title');
    const ds = { id: nextDataSourceId++, accountId: Number(body.accountId), title: body.title,
                 timezone: body.timezone || 'UTC', created: now() };
    dataSources.set(ds.id, ds);
    return ok(res, { id: ds.id, title: ds.title, created: ds.created, timezone: ds.timezone });
  }
  if (req.method === 'DELETE' && (m = path.match(/^\/v1\/data-sources\/([^/]+)$/))) {
    if (!dataSources.delete(Number(m[1]))) return error(res, 404, 'not_found', 'Data source not found', 'dataSourceId');
    return ok(res, { message: 'Data source deleted successfully' });
  }
  if (req.method === 'GET' && (m = path.match(/^\/v1\/data-sources\/([^/]+)\/datasets$/))) {
    const id = Number(m[1]);
    if (!dataSources.has(id)) return error(res, 404, 'not_found', 'Data source not found', 'dataSourceId');
    const list = [...datasets.values()].filter((d) => d.dataSourceId === id);
    return ok(res, { datasets: list.map(({ id, title, created }) => ({ id, title, created })) });
  }
  if (req.method === 'POST' && path === '/v1/datasets') {
    if (!body || !dataSources.has(Number(body.dataSourceId)))
      return error(res, 400, 'invalid_input', 'dataSourceId is not a data source', 'dataSourceId');
    if (typeof body.title !== 'string') return error(res, 400, 'invalid_input', 'title is required', 'title');
    const pk = body.primaryKeys ?? null;
    if (pk !== null && (!Array.isArray(pk) || pk.some((k) => typeof k !== 'string')))
      return error(res, 400, 'invalid_input', 'primaryKeys must be an array of strings', 'primaryKeys');
    const d = { id: randomUUID(), dataSourceId: Number(body.dataSourceId), title: body.title, primaryKeys: pk,
                created: now(), rows: new Map(), ingestions: [] };
    datasets.set(d.id, d);
    return ok(res, { id: d.id, title: d.title, created: d.created });
  }
  if ((m = path.match(/^\/v1\/datasets\/([^/]+)(\/.*)?$/))) {
    const d = datasets.get(m[1]);
    if (!d) return error(res, 404, 'not_found', 'Dataset not found', 'datasetId');
    const rest = m[2] || '';
    if (req.method === 'POST' && rest === '/data') return ingest(res, d, body);
    if (req.method === 'GET' && rest === '/ingestions')
      return ok(res, {
        pagination: { page: 1, pageSize: d.ingestions.length, totalItems: d.ingestions.length },
        ingestions: d.ingestions.map(({ ingestionId, timestamp, status }) => ({ ingestionId, timestamp, status })),
      });
    if (req.method === 'GET' && (m = rest.match(/^\/ingestions\/([^/]+)$/))) {
      const ing = d.ingestions.find((i) => i.ingestionId === m[1]);
      if (!ing) return error(res, 404, 'not_found', 'Ingestion not found', 'ingestionId');
      return ok(res, ing);
    }
    if (req.method === 'POST' && rest === '/purge') {
      d.rows.clear();
      return ok(res, { message: 'Dataset purged successfully' });
    }
    if (req.method === 'DELETE' && rest === '') {
      datasets.delete(d.id);
      return ok(res, { message: 'Dataset deleted successfully' });
    }
  }
  return error(res, 404, 'not_found', `no route ${req.method} ${path}`, null, 'request');
};

const control = (req, res, path, body) => {
  if (req.method === 'POST' && path === '/_control/fail') {
    failures = { count: Number(body?.count ?? 1), status: Number(body?.status ?? 503), mode: body?.mode ?? 'fail',
                 retryAfter: body?.retry_after ?? null };
    return ok(res, { failures });
  }
  if (req.method === 'POST' && path === '/_control/down') {
    const after = Number(body?.after ?? 0);
    down = Boolean(body?.down) && after <= 0;
    downAfter = Boolean(body?.down) && after > 0 ? after : null;
    return ok(res, { down, after: downAfter });
  }
  if (req.method === 'GET' && path === '/_control/datasets')
    return ok(res, {
      datasets: [...datasets.values()].map((d) => ({
        id: d.id, title: d.title, dataSourceId: d.dataSourceId, primaryKeys: d.primaryKeys,
        rows: [...d.rows.values()], ingestions: d.ingestions.length,
      })),
    });
  if (req.method === 'GET' && path === '/_control/requests') return ok(res, { requests });
  return error(res, 404, 'not_found', `no route ${req.method} ${path}`, null, 'request');
};

const server = http.createServer(async (req, res) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  const text = await readBody(req);
  let body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      return error(res, 400, 'invalid_json', 'the body is not valid JSON', null);
    }
  }
  if (path.startsWith('/_control/')) return control(req, res, path, body);
  if (down) {
    requests.push({ method: req.method, path, status: 0, records: body?.records?.length ?? 0 });
    return req.socket.destroy();
  }
  const origEnd = res.end.bind(res);
  res.end = (...a) => {
    requests.push({ method: req.method, path, status: res.statusCode, records: body?.records?.length ?? 0 });
    return origEnd(...a);
  };
  if (req.headers['x-api-key'] !== API_KEY)
    return error(res, 401, 'UNAUTHORIZED', 'API key is missing or invalid.', null, 'permission');
  return api(req, res, path, body);
});
const sockets = new Set();
server.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});
server.on('error', (e) => {
  console.error(`databox-server: ${e.message}`);
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
