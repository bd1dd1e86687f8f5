#!/usr/bin/env node
// A scripted HTTP/1.1 server for the tests of Junction's HTTP client and credentials
// services (node's built-in http module, no dependencies). Listens on 127.0.0.1 only.
//
//   node tests/servers/http-server.mjs [--port N|0] [--port-file FILE]
//
// Writes the port to --port-file (temp name, then rename) and prints "READY <url>".
// Routes (every one counts its requests under ?key=K, read back from /hits/K):
//   /echo                 200 {method, path, query, headers, body, connection}
//   /status/C             answers C; ?retry_after=V sets Retry-After, ?location=U Location
//   /flaky?fail=N&code=C  answers C (default 503) to the first N requests of its key, then 200
//   /gzip                 a gzip-encoded JSON body
//   /redirect?to=U&code=C a redirect (default 302) to U
//   /loop                 a redirect to itself
//   /slow?ms=N            answers after N ms; counts the requests of its key in flight
//   /concurrency/K        {in_flight, max}: /slow requests of key K in flight now, and at most
//   /big?bytes=N          a body of N bytes
//   /hits/K               {hits}: how many requests named key K
//   /oauth/R/token        an OAuth2 token endpoint for realm R (client_credentials and
//                         refresh_token grants); ?expires_in=S, ?rotate=1, ?delay_ms=N,
//                         ?fail=N&code=C, ?no_expiry=1
//   /oauth/R/resource     200 with a current access token of realm R, else 401
//   /oauth/R/revoke       every access token of realm R stops working
//   /oauth/R/stats        {token_requests, grants, refresh_tokens}
// Each connection gets a number (echoed as `connection`), so tests can count reuse.
import http from 'node:http';
import zlib from 'node:zlib';
import { renameSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const port = Number(opt('port', '0'));
const portFile = opt('port-file', '');

const CLIENT_ID = 'junction-client';
const CLIENT_SECRET = 'client-s3cret-value';
const INITIAL_REFRESH_TOKEN = 'rt-initial-secret';

const hits = new Map();
const inFlight = new Map();  // key -> {now, max} of /slow requests
const realms = new Map();
let connections = 0;

const realm = (name) => {
  if (!realms.has(name)) {
    realms.set(name, {
      refreshTokens: new Set([INITIAL_REFRESH_TOKEN]),
      accessTokens: new Set(),
      tokenRequests: 0,
      grants: [],
      issued: 0,
    });
  }
  return realms.get(name);
};

const send = (res, status, body, headers = {}) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
};

const later = (req, ms, fn) => {
  const timer = setTimeout(fn, ms);
  req.socket.once('close', () => clearTimeout(timer));
};

function tokenEndpoint(req, res, url, body, name) {
  const r = realm(name);
  r.tokenRequests += 1;
  const q = url.searchParams;
  const form = new URLSearchParams(body);
  const failures = Number(q.get('fail') ?? '0');
  if (r.tokenRequests <= failures) return send(res, Number(q.get('code') ?? '503'), { error: 'temporarily_unavailable' });

  let clientId = form.get('client_id');
  let clientSecret = form.get('client_secret');
  let clientAuth = 'body';
  const auth = req.headers.authorization ?? '';
  if (auth.startsWith('Basic ')) {
    const [id, secret] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
    clientId = decodeURIComponent(id);
    clientSecret = decodeURIComponent(secret ?? '');
    clientAuth = 'header';
  }
  const grant = {
    grant_type: form.get('grant_type'),
    refresh_token: form.get('refresh_token'),
    scope: form.get('scope'),
    audience: form.get('audience'),
    client_auth: clientAuth,
    content_type: req.headers['content-type'],
  };
  r.grants.push(grant);
  if (clientId !== CLIENT_ID || clientSecret !== CLIENT_SECRET) {
    return send(res, 401, { error: 'invalid_client', error_description: 'client authentication failed' });
  }
  const response = { token_type: 'Bearer' };
  if (grant.grant_type === 'refresh_token') {
    if (!r.refreshTokens.has(grant.refresh_token)) {
      return send(res, 400, { error: 'invalid_grant', error_description: 'unknown refresh token' });
    }
    if (q.get('rotate') === '1') {
      r.refreshTokens.delete(grant.refresh_token);
      response.refresh_token = `rt-${name}-${r.issued + 1}`;
      r.refreshTokens.add(response.refresh_token);
    }
  } else if (grant.grant_type !== 'client_credentials') {
    return send(res, 400, { error: 'unsupported_grant_type' });
  }
  r.issued += 1;
  response.access_token = `at-${name}-${r.issued}`;
  if (q.get('no_expiry') !== '1') response.expires_in = Number(q.get('expires_in') ?? '3600');
  r.accessTokens.add(response.access_token);
  later(req, Number(q.get('delay_ms') ?? '0'), () => send(res, 200, response));
}

function route(req, res, body) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const q = url.searchParams;
  const key = q.get('key');
  if (key !== null) hits.set(key, (hits.get(key) ?? 0) + 1);
  const parts = url.pathname.split('/').filter(Boolean);

  if (url.pathname === '/echo') {
    return send(res, 200, {
      method: req.method,
      path: url.pathname,
      query: url.search.startsWith('?') ? url.search.slice(1) : url.search,
      headers: req.headers,
      body,
      connection: req.socket.connectionNumber,
    });
  }
  if (parts[0] === 'status') {
    const headers = {};
    if (q.has('retry_after')) headers['Retry-After'] = q.get('retry_after');
    if (q.has('location')) headers.Location = q.get('location');
    if (parts[1] === '401') headers['WWW-Authenticate'] = 'Bearer';
    return send(res, Number(parts[1]), { status: Number(parts[1]) }, headers);
  }
  if (url.pathname === '/flaky') {
    const seen = hits.get(key) ?? 0;
    if (seen <= Number(q.get('fail') ?? '0')) {
      const headers = q.has('retry_after') ? { 'Retry-After': q.get('retry_after') } : {};
      return send(res, Number(q.get('code') ?? '503'), { attempt: seen }, headers);
    }
    return send(res, 200, { attempt: seen });
  }
  if (url.pathname === '/gzip') {
    const text = JSON.stringify({ compressed: true, accept_encoding: req.headers['accept-encoding'] ?? null });
    const zipped = zlib.gzipSync(text);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': zipped.length });
    return res.end(zipped);
  }
  if (url.pathname === '/redirect') {
    return send(res, Number(q.get('code') ?? '302'), { redirect: true }, { Location: q.get('to') });
  }
  if (url.pathname === '/loop') return send(res, 302, { loop: true }, { Location: req.url });
  if (url.pathname === '/slow') {
    const c = inFlight.get(key) ?? { now: 0, max: 0 };
    inFlight.set(key, c);
    c.now += 1;
    c.max = Math.max(c.max, c.now);
    let done = false;
    const leave = () => {
      if (!done) c.now -= 1;
      done = true;
    };
    req.socket.once('close', leave);
    return later(req, Number(q.get('ms') ?? '1000'), () => {
      leave();
      send(res, 200, { slow: true });
    });
  }
  if (parts[0] === 'concurrency') {
    const c = inFlight.get(parts[1]) ?? { now: 0, max: 0 };
    return send(res, 200, { in_flight: c.now, max: c.max });
  }
  if (url.pathname === '/big') return send(res, 200, 'x'.repeat(Number(q.get('bytes') ?? '0')));
  if (parts[0] === 'hits') return send(res, 200, { hits: hits.get(parts[1]) ?? 0 });
  if (parts[0] === 'oauth' && parts.length === 3) {
    const r = realm(parts[1]);
    switch (parts[2]) {
      case 'token':
        return tokenEndpoint(req, res, url, body, parts[1]);
      case 'resource': {
        const auth = req.headers.authorization ?? '';
        const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
        if (r.accessTokens.has(token)) return send(res, 200, { ok: true, token });
        return send(res, 401, { error: 'invalid_token' }, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
      }
      case 'revoke':
        r.accessTokens.clear();
        return send(res, 200, { revoked: true });
      case 'stats':
        return send(res, 200, { token_requests: r.tokenRequests, grants: r.grants, refresh_tokens: [...r.refreshTokens] });
      default:
        break;
    }
  }
  return send(res, 404, { error: 'no such route' });
}

const sockets = new Set();
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => route(req, res, Buffer.concat(chunks).toString()));
});
server.keepAliveTimeout = 30000;
server.on('connection', (socket) => {
  connections += 1;
  socket.connectionNumber = connections;
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});
server.on('error', (e) => {
  console.error(`http-server: ${e.message}`);
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
