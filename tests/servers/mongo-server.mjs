#!/usr/bin/env node
// An in-memory MongoDB-wire server for Junction's tests: OP_MSG and legacy OP_QUERY,
// CRUD with upserts, cursors, and unique indexes that are enforced (E11000), so tests
// that depend on unique keys can fail. Listens on 127.0.0.1 only.
//
//   node tests/servers/mongo-server.mjs [--port N|0] [--port-file FILE] [--quiet] [--data FILE]
//
// --data FILE: documents and indexes are loaded from FILE at start (when it exists) and
// written to it at SIGTERM/SIGINT (not at SIGKILL), so a stop and start keeps the data:
// the soak's MongoDB outage (bench/soak.sh). Without it, everything lives in memory.
//
// Prints "READY mongodb://127.0.0.1:<port> pid=<pid>" once listening, and writes the
// port to --port-file (written to a temp name, then renamed, so readers never see a
// partial file). SIGTERM/SIGINT stop it cleanly.
import net from 'node:net';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { EJSON } from 'bson';
import { Store } from './lib/store.mjs';
import { Commands } from './lib/commands.mjs';
import { encodeReply, parseMessages } from './lib/wire.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const port = Number(opt('port', '27017'));
const portFile = opt('port-file', '');
const quiet = args.includes('--quiet');
const dataFile = opt('data', '');

const store = new Store();
if (dataFile && existsSync(dataFile)) {
  for (const line of readFileSync(dataFile, 'utf8').split('\n')) {
    if (!line) continue;
    const { db, coll, indexes, docs } = EJSON.parse(line, { relaxed: false });
    const c = store.db(db).collection(coll);
    for (const spec of indexes) if (spec.name !== '_id_') c.createIndex(spec);
    for (const doc of docs) c.insert(doc);
  }
}
const commands = new Commands(store);
const sockets = new Set();
let nextConnection = 1;

const server = net.createServer((socket) => {
  sockets.add(socket);
  const connection = { id: nextConnection++, peer: `${socket.remoteAddress}:${socket.remotePort}` };
  let pending = Buffer.alloc(0);
  socket.setNoDelay(true);
  socket.on('data', (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let parsed;
    try {
      parsed = parseMessages(pending);
    } catch (e) {
      if (!quiet) console.error(`connection ${connection.id}: ${e.message}; closing`);
      socket.destroy();
      return;
    }
    pending = parsed.rest;
    const replies = [];
    for (const msg of parsed.messages) {
      if (msg.body === null) {
        if (!quiet) console.error(`connection ${connection.id}: unsupported opcode ${msg.opCode}; closing`);
        socket.destroy();
        return;
      }
      const reply = commands.run(msg.body, connection);
      if (!msg.moreToCome) replies.push(encodeReply(msg, reply));
    }
    if (replies.length) socket.write(replies.length === 1 ? replies[0] : Buffer.concat(replies));
  });
  socket.on('error', () => {});
  socket.on('close', () => sockets.delete(socket));
});

server.on('error', (e) => {
  console.error(`mongo-server: ${e.message}`);
  process.exit(1);
});

server.listen(port, '127.0.0.1', () => {
  const actual = server.address().port;
  if (portFile) {
    writeFileSync(`${portFile}.tmp`, String(actual));
    renameSync(`${portFile}.tmp`, portFile);
  }
  console.log(`READY mongodb://127.0.0.1:${actual} pid=${process.pid}`);
});

const stop = () => {
  if (dataFile) {
    const lines = [];
    for (const [db, d] of store.dbs)
      for (const [coll, c] of d.collections)
        lines.push(EJSON.stringify({ db, coll, docs: [...c.docs.values()],
          indexes: c.indexes.map((i) => ({ key: i.key, name: i.name, unique: Boolean(i.unique) })) },
        { relaxed: false }));
    writeFileSync(`${dataFile}.tmp`, lines.join('\n') + '\n');
    renameSync(`${dataFile}.tmp`, dataFile);
  }
  server.close();
  for (const s of sockets) s.destroy();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
