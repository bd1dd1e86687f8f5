// The commands libmongoc sends for CRUD, indexes, cursors and handshakes, run on a Store.
import { Long } from 'bson';
import { Aggregator, find as mingoFind } from 'mingo';
import { MongoError } from './store.mjs';

const WIRE_VERSION = 17;  // MongoDB 6.0
const DEFAULT_BATCH = 101;

export class Commands {
  constructor(store) {
    this.store = store;
    this.cursors = new Map();  // id (string) -> {ns, docs}
    this.nextCursor = 1n;
    this.startedAt = Date.now();
  }

  // Runs one command document; always returns a reply document (ok: 0 on error).
  run(cmd, connection) {
    const name = Object.keys(cmd)[0];
    const handler = HANDLERS[name] ?? HANDLERS[name?.toLowerCase()];
    if (!handler) return error(59, 'CommandNotFound', `no such command: '${name}'`);
    try {
      return { ...handler.call(this, cmd, cmd.$db ?? 'test', connection), ok: 1 };
    } catch (e) {
      if (e instanceof MongoError) return error(e.code, e.codeName, e.message);
      return error(1, 'InternalError', String(e?.stack ?? e));
    }
  }

  collection(db, name, create = true) {
    if (typeof name !== 'string' || name === '')
      throw new MongoError(73, 'InvalidNamespace', `Invalid collection name: ${name}`);
    return this.store.db(db).collection(name, create);
  }

  // First batch of a result set, keeping the rest in a cursor for getMore.
  cursorReply(ns, docs, batchSize, single = false) {
    const size = batchSize > 0 ? batchSize : DEFAULT_BATCH;
    const first = docs.slice(0, size);
    let id = 0n;
    if (!single && docs.length > size) {
      id = this.nextCursor++;
      this.cursors.set(String(id), { ns, docs: docs.slice(size) });
    }
    return { cursor: { id: Long.fromBigInt(id), ns, firstBatch: first } };
  }

  query(coll, { filter, sort, projection, skip, limit }) {
    const docs = coll.match(filter ?? {});
    let cursor = mingoFind(docs, {}, projection && Object.keys(projection).length ? projection : undefined);
    if (sort && Object.keys(sort).length) cursor = cursor.sort(sort);
    if (skip) cursor = cursor.skip(Number(skip));
    if (limit) cursor = cursor.limit(Math.abs(Number(limit)));
    return cursor.all();
  }
}

function error(code, codeName, errmsg) {
  return { ok: 0, errmsg, code, codeName };
}

function hello(cmd, db, connection) {
  return {
    helloOk: true, isWritablePrimary: true, ismaster: true,
    maxBsonObjectSize: 16 * 1024 * 1024, maxMessageSizeBytes: 48000000, maxWriteBatchSize: 100000,
    localTime: new Date(), logicalSessionTimeoutMinutes: 30, connectionId: connection.id,
    minWireVersion: 0, maxWireVersion: WIRE_VERSION, readOnly: false,
  };
}

function writeErrorOf(e, index) {
  if (!(e instanceof MongoError)) return { index, code: 1, errmsg: String(e?.message ?? e) };
  return { index, code: e.code, codeName: e.codeName, errmsg: e.message, ...e.extra };
}

// Runs statements in order; ordered writes stop at the first error (as MongoDB does).
function eachStatement(cmd, list, fn) {
  const writeErrors = [];
  const ordered = cmd.ordered !== false;
  list.forEach((stmt, index) => {
    if (ordered && writeErrors.length) return;
    try {
      fn(stmt, index);
    } catch (e) {
      writeErrors.push(writeErrorOf(e, index));
    }
  });
  return writeErrors.length ? { writeErrors } : {};
}

const HANDLERS = {
  hello, ismaster: hello, isMaster: hello,
  ping: () => ({}),
  buildInfo: () => ({ version: '6.0.0', versionArray: [6, 0, 0, 0], gitVersion: 'junction-test', bits: 64, maxBsonObjectSize: 16 * 1024 * 1024 }),
  buildinfo: () => HANDLERS.buildInfo(),
  getParameter: (cmd) => ({ featureCompatibilityVersion: { version: '6.0' }, ...(cmd.authenticationMechanisms ? { authenticationMechanisms: [] } : {}) }),
  getLastError: () => ({ n: 0, err: null }),
  serverStatus(cmd) { return { host: 'localhost', version: '6.0.0', uptime: (Date.now() - this.startedAt) / 1000 }; },
  hostInfo: () => ({ system: {}, os: {}, extra: {} }),
  whatsmyuri: (cmd, db, connection) => ({ you: connection.peer }),
  getCmdLineOpts: () => ({ argv: [], parsed: {} }),
  getLog: () => ({ totalLinesWritten: 0, log: [] }),
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] } }),
  endSessions: () => ({}),
  startSession: () => ({}),
  refreshSessions: () => ({}),
  killAllSessions: () => ({}),
  abortTransaction: () => ({}),
  commitTransaction: () => ({}),
  saslStart: () => { throw new MongoError(18, 'AuthenticationFailed', 'Authentication failed: this test server has no users'); },
  saslContinue: () => { throw new MongoError(18, 'AuthenticationFailed', 'Authentication failed: this test server has no users'); },

  insert(cmd, db) {
    const coll = this.collection(db, cmd.insert);
    let n = 0;
    const errs = eachStatement(cmd, cmd.documents ?? [], (doc) => { coll.insert(doc); n += 1; });
    return { n, ...errs };
  },

  update(cmd, db) {
    const coll = this.collection(db, cmd.update);
    let n = 0;
    let nModified = 0;
    const upserted = [];
    const errs = eachStatement(cmd, cmd.updates ?? [], (stmt, index) => {
      const r = coll.update(stmt);
      n += r.n;
      nModified += r.nModified;
      if (r.upserted !== undefined) upserted.push({ index, _id: r.upserted });
    });
    return { n, nModified, ...(upserted.length ? { upserted } : {}), ...errs };
  },

  delete(cmd, db) {
    const coll = this.collection(db, cmd.delete);
    let n = 0;
    const errs = eachStatement(cmd, cmd.deletes ?? [], (stmt) => { n += coll.delete(stmt); });
    return { n, ...errs };
  },

  find(cmd, db) {
    const coll = this.collection(db, cmd.find);
    const docs = this.query(coll, cmd);
    return this.cursorReply(coll.ns, docs, Number(cmd.batchSize ?? 0), cmd.singleBatch || Number(cmd.limit) < 0);
  },

  getMore(cmd, db) {
    const id = String(cmd.getMore);
    const cursor = this.cursors.get(id);
    if (!cursor) throw new MongoError(43, 'CursorNotFound', `cursor id ${id} not found`);
    const size = Number(cmd.batchSize ?? 0) > 0 ? Number(cmd.batchSize) : cursor.docs.length;
    const batch = cursor.docs.splice(0, size);
    const done = cursor.docs.length === 0;
    if (done) this.cursors.delete(id);
    return { cursor: { id: done ? Long.ZERO : Long.fromString(id), ns: cursor.ns, nextBatch: batch } };
  },

  killCursors(cmd) {
    const killed = [];
    const notFound = [];
    for (const id of cmd.cursors ?? []) (this.cursors.delete(String(id)) ? killed : notFound).push(id);
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [] };
  },

  count(cmd, db) {
    const coll = this.collection(db, cmd.count);
    let n = coll.match(cmd.query ?? {}).length;
    if (cmd.skip) n = Math.max(0, n - Number(cmd.skip));
    if (cmd.limit) n = Math.min(n, Math.abs(Number(cmd.limit)));
    return { n };
  },

  aggregate(cmd, db) {
    const coll = this.collection(db, cmd.aggregate);
    const pipeline = cmd.pipeline ?? [];
    let input = [...coll.docs.values()];
    // A leading $match may use the hash indexes.
    let rest = pipeline;
    if (pipeline[0]?.$match) {
      input = coll.match(pipeline[0].$match);
      rest = pipeline.slice(1);
    }
    const out = new Aggregator(rest).run(input);
    return this.cursorReply(coll.ns, out, Number(cmd.cursor?.batchSize ?? 0));
  },

  distinct(cmd, db) {
    const coll = this.collection(db, cmd.distinct);
    const seen = new Map();
    for (const d of coll.match(cmd.query ?? {})) seen.set(JSON.stringify(d[cmd.key]), d[cmd.key]);
    return { values: [...seen.values()].filter((v) => v !== undefined) };
  },

  findAndModify(cmd, db) {
    const coll = this.collection(db, cmd.findAndModify ?? cmd.findandmodify);
    let docs = coll.match(cmd.query ?? {});
    if (cmd.sort && Object.keys(cmd.sort).length) docs = mingoFind(docs, {}).sort(cmd.sort).all();
    const target = docs[0];
    const project = (d) => (d && cmd.fields && Object.keys(cmd.fields).length ? mingoFind([d], {}, cmd.fields).all()[0] : d) ?? null;
    if (cmd.remove) {
      if (target) coll.remove(target);
      return { lastErrorObject: { n: target ? 1 : 0 }, value: project(target) };
    }
    if (!target) {
      if (!cmd.upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null };
      const r = coll.update({ q: cmd.query ?? {}, u: cmd.update, upsert: true, arrayFilters: cmd.arrayFilters });
      return { lastErrorObject: { n: 1, updatedExisting: false, upserted: r.upserted }, value: cmd.new ? project(r.doc) : null };
    }
    const after = coll.applyUpdate(target, cmd.update, { arrayFilters: cmd.arrayFilters });
    coll.replaceStored(target, after);
    return { lastErrorObject: { n: 1, updatedExisting: true }, value: project(cmd.new ? after : target) };
  },

  createIndexes(cmd, db) {
    const existed = this.store.db(db).collection(cmd.createIndexes, false) !== undefined;
    const coll = this.collection(db, cmd.createIndexes);
    const before = coll.indexes.length;
    for (const spec of cmd.indexes ?? []) {
      if (!spec.key || !spec.name) throw new MongoError(9, 'FailedToParse', 'index specification needs key and name');
      coll.createIndex(spec);
    }
    return { createdCollectionAutomatically: !existed, numIndexesBefore: before, numIndexesAfter: coll.indexes.length };
  },

  listIndexes(cmd, db) {
    const coll = this.collection(db, cmd.listIndexes, false);
    if (!coll) throw new MongoError(26, 'NamespaceNotFound', `ns does not exist: ${db}.${cmd.listIndexes}`);
    const specs = coll.indexes.map((i) => ({ v: 2, ...i.spec, key: i.key, name: i.name }));
    return this.cursorReply(coll.ns, specs, Number(cmd.cursor?.batchSize ?? 0));
  },

  dropIndexes(cmd, db) {
    const coll = this.collection(db, cmd.dropIndexes, false);
    if (!coll) throw new MongoError(26, 'NamespaceNotFound', `ns not found ${db}.${cmd.dropIndexes}`);
    const names = cmd.index === '*' ? coll.indexes.filter((i) => i.name !== '_id_').map((i) => i.name) : [].concat(cmd.index);
    for (const name of names) coll.dropIndex(name);
    return { nIndexesWas: coll.indexes.length + names.length };
  },

  create(cmd, db) {
    const d = this.store.db(db);
    if (d.collection(cmd.create, false)) throw new MongoError(48, 'NamespaceExists', `Collection ${db}.${cmd.create} already exists.`);
    const coll = this.collection(db, cmd.create);
    coll.validator = cmd.validator && Object.keys(cmd.validator).length ? cmd.validator : null;
    return {};
  },

  collMod(cmd, db) {
    const coll = this.collection(db, cmd.collMod, false);
    if (!coll) throw new MongoError(26, 'NamespaceNotFound', `ns does not exist: ${db}.${cmd.collMod}`);
    if (cmd.validator !== undefined) coll.validator = Object.keys(cmd.validator).length ? cmd.validator : null;
    return {};
  },

  drop(cmd, db) {
    const d = this.store.db(db);
    if (!d.collections.delete(cmd.drop)) throw new MongoError(26, 'NamespaceNotFound', 'ns not found');
    return { ns: `${db}.${cmd.drop}` };
  },

  dropDatabase(cmd, db) {
    this.store.dbs.delete(db);
    return { dropped: db };
  },

  listCollections(cmd, db) {
    const names = [...this.store.db(db).collections.keys()];
    const docs = names.map((name) => ({ name, type: 'collection', options: {}, info: { readOnly: false } }));
    const filtered = cmd.filter && Object.keys(cmd.filter).length ? mingoFind(docs, cmd.filter).all() : docs;
    return this.cursorReply(`${db}.$cmd.listCollections`, filtered, Number(cmd.cursor?.batchSize ?? 0));
  },

  listDatabases() {
    return { databases: [...this.store.dbs.keys()].map((name) => ({ name, sizeOnDisk: 0, empty: false })), totalSize: 0 };
  },
};
