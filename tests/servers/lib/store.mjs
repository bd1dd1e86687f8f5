// In-memory databases and collections with MongoDB's write semantics that tests rely on:
// unique indexes enforced (E11000), upserts, replacement and operator updates. Query and
// update operators come from mingo; equality lookups on _id or a unique index use a hash
// map so that upserts by key stay O(1) however large the collection grows.
import { EJSON, ObjectId } from 'bson';
import { Query, update as mingoUpdate } from 'mingo';

export class MongoError extends Error {
  constructor(code, codeName, message, extra = {}) {
    super(message);
    this.code = code;
    this.codeName = codeName;
    this.extra = extra;
  }
}

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v) &&
  !(v instanceof Date) && v._bsontype === undefined;

// A canonical string for a value, equal for values MongoDB's index considers equal.
export function keyOf(v) {
  if (v === undefined || v === null) return 'z';
  switch (typeof v) {
    case 'number': return `n:${v === 0 ? 0 : v}`;
    case 'bigint': return `n:${v}`;
    case 'string': return `s:${v}`;
    case 'boolean': return `b:${v}`;
    default: break;
  }
  if (v instanceof Date) return `d:${v.getTime()}`;
  if (v._bsontype === 'ObjectId') return `o:${v.toHexString()}`;
  if (v._bsontype === 'Long' || v._bsontype === 'Int32' || v._bsontype === 'Double') return `n:${Number(v)}`;
  return `j:${EJSON.stringify(v, { relaxed: false })}`;
}

export function getPath(doc, path) {
  let cur = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[part];
  }
  return cur;
}

// Deep copy that keeps BSON class instances (ObjectId, Binary, Long...) as they are.
export function clone(v) {
  if (Array.isArray(v)) return v.map(clone);
  if (v instanceof Date) return new Date(v.getTime());
  if (isPlainObject(v)) {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = clone(x);
    return out;
  }
  return v;
}

const isOperatorDoc = (u) => isPlainObject(u) && Object.keys(u).some((k) => k.startsWith('$'));

// The equality fields of a query, as an upsert would copy them into a new document.
function equalityFields(q) {
  const out = {};
  for (const [k, v] of Object.entries(q ?? {})) {
    if (k === '$and' && Array.isArray(v)) Object.assign(out, ...v.map(equalityFields));
    else if (k.startsWith('$')) continue;
    else if (isPlainObject(v) && Object.keys(v).some((x) => x.startsWith('$'))) {
      if ('$eq' in v) out[k] = v.$eq;
    } else out[k] = v;
  }
  return out;
}

function setPath(doc, path, value) {
  const parts = path.split('.');
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    if (!isPlainObject(cur[p])) cur[p] = {};
    cur = cur[p];
  }
  cur[parts[parts.length - 1]] = value;
}

// $set/$unset/$inc/$currentDate on plain dotted paths without mingo, which sets up its
// operator tables on every call (most of the time of a bulk of upserts). Returns false,
// having changed nothing, when mingo must do it (other operators, arrays on the path).
const FAST_OPS = new Set(['$set', '$unset', '$inc', '$currentDate']);
function fastUpdate(doc, modifier) {
  const steps = [];
  for (const [op, fields] of Object.entries(modifier)) {
    if (!FAST_OPS.has(op) || !isPlainObject(fields)) return false;
    for (const [path, value] of Object.entries(fields)) {
      if (path.includes('$') || path === '') return false;
      const parts = path.split('.');
      let cur = doc;
      for (const p of parts.slice(0, -1)) {
        cur = cur?.[p];
        if (cur !== undefined && !isPlainObject(cur)) return false;
      }
      const last = cur?.[parts[parts.length - 1]];
      if (op === '$inc' && (typeof value !== 'number' || (last !== undefined && typeof last !== 'number'))) return false;
      steps.push([op, parts, value, last]);
    }
  }
  for (const [op, parts, value, last] of steps) {
    let cur = doc;
    for (const p of parts.slice(0, -1)) {
      if (cur[p] === undefined) {
        if (op === '$unset') break;
        cur[p] = {};
      }
      cur = cur[p];
    }
    const key = parts[parts.length - 1];
    if (op === '$set') cur[key] = clone(value);
    else if (op === '$unset') { if (cur && typeof cur === 'object') delete cur[key]; }
    else if (op === '$inc') cur[key] = (last ?? 0) + value;
    else cur[key] = new Date();
  }
  return true;
}

class Index {
  constructor(spec) {
    this.name = spec.name;
    this.key = spec.key;
    this.fields = Object.keys(spec.key);
    this.unique = Boolean(spec.unique) || this.name === '_id_';
    this.spec = spec;
    this.map = new Map();  // key string -> _id key string (unique indexes only)
  }
  keyFor(doc) { return this.fields.map((f) => keyOf(getPath(doc, f))).join('|'); }
  // The lookup key when q pins every indexed field to one value, else null.
  keyForQuery(q) {
    const parts = [];
    for (const f of this.fields) {
      const v = q[f];
      if (v === undefined || isPlainObject(v) || Array.isArray(v)) return null;
      parts.push(keyOf(v));
    }
    return parts.join('|');
  }
  describeDup(doc) {
    const shown = this.fields.map((f) => `${f}: ${EJSON.stringify(getPath(doc, f) ?? null)}`).join(', ');
    return `index: ${this.name} dup key: { ${shown} }`;
  }
}

export class Collection {
  constructor(db, name) {
    this.db = db;
    this.name = name;
    this.docs = new Map();  // _id key -> document, in insertion order
    this.indexes = [new Index({ v: 2, key: { _id: 1 }, name: '_id_' })];
    this.validator = null;
  }
  get ns() { return `${this.db.name}.${this.name}`; }

  createIndex(spec) {
    const existing = this.indexes.find((i) => i.name === spec.name);
    if (existing) {
      if (EJSON.stringify(existing.key) !== EJSON.stringify(spec.key) || existing.unique !== Boolean(spec.unique))
        throw new MongoError(86, 'IndexKeySpecsConflict', `An existing index has the same name as the requested index: ${spec.name}`);
      return false;
    }
    const index = new Index({ v: 2, ...spec });
    if (index.unique) {
      for (const [id, doc] of this.docs) {
        const k = index.keyFor(doc);
        if (index.map.has(k))
          throw new MongoError(11000, 'DuplicateKey', `E11000 duplicate key error collection: ${this.ns} ${index.describeDup(doc)}`);
        index.map.set(k, id);
      }
    }
    this.indexes.push(index);
    return true;
  }

  dropIndex(name) {
    const at = this.indexes.findIndex((i) => i.name === name && name !== '_id_');
    if (at < 0) throw new MongoError(27, 'IndexNotFound', `index not found with name [${name}]`);
    this.indexes.splice(at, 1);
  }

  // Documents matching q, in insertion order; uses a hash index when q pins one.
  match(q) {
    q = q ?? {};
    for (const index of this.indexes) {
      if (!index.unique) continue;
      const k = index.keyForQuery(q);
      if (k === null) continue;
      const id = index.map.get(k);
      const doc = id === undefined ? undefined : this.docs.get(id);
      if (doc === undefined) return [];
      return new Query(q).test(doc) ? [doc] : [];
    }
    if (Object.keys(q).length === 0) return [...this.docs.values()];
    const query = new Query(q);
    const out = [];
    for (const doc of this.docs.values()) if (query.test(doc)) out.push(doc);
    return out;
  }

  checkValid(doc) {
    if (this.validator && !new Query(this.validator).test(doc))
      throw new MongoError(121, 'DocumentValidationFailure', 'Document failed validation');
    for (const k of Object.keys(doc))
      if (k.startsWith('$')) throw new MongoError(52, 'DollarPrefixedFieldName', `Document can't have $ prefixed field names: ${k}`);
  }

  // Throws E11000 if doc would take a unique key held by another document.
  checkUnique(doc, ownId) {
    for (const index of this.indexes) {
      if (!index.unique) continue;
      const holder = index.map.get(index.keyFor(doc));
      if (holder !== undefined && holder !== ownId)
        throw new MongoError(11000, 'DuplicateKey',
          `E11000 duplicate key error collection: ${this.ns} ${index.describeDup(doc)}`,
          { keyPattern: index.key });
    }
  }

  insert(doc) {
    if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc };
    this.checkValid(doc);
    this.checkUnique(doc, undefined);
    const id = keyOf(doc._id);
    this.docs.set(id, doc);
    for (const index of this.indexes) if (index.unique) index.map.set(index.keyFor(doc), id);
    return doc;
  }

  replaceStored(oldDoc, newDoc) {
    const id = keyOf(oldDoc._id);
    if (keyOf(newDoc._id) !== id)
      throw new MongoError(66, 'ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
    this.checkValid(newDoc);
    this.checkUnique(newDoc, id);
    for (const index of this.indexes) {
      if (!index.unique) continue;
      index.map.delete(index.keyFor(oldDoc));
      index.map.set(index.keyFor(newDoc), id);
    }
    this.docs.set(id, newDoc);
  }

  remove(doc) {
    const id = keyOf(doc._id);
    for (const index of this.indexes) if (index.unique) index.map.delete(index.keyFor(doc));
    this.docs.delete(id);
  }

  // The document u makes of doc (a replacement, an operator update or a pipeline).
  applyUpdate(doc, u, { arrayFilters, inserting = false } = {}) {
    if (Array.isArray(u) || isOperatorDoc(u)) {
      const next = clone(doc);
      let modifier = u;
      if (!Array.isArray(u)) {
        const { $setOnInsert, ...rest } = u;
        modifier = inserting && $setOnInsert ? { ...rest, $set: { ...(rest.$set ?? {}), ...$setOnInsert } } : rest;
        for (const op of Object.keys(modifier))
          if (!op.startsWith('$')) throw new MongoError(9, 'FailedToParse', `Unknown modifier: ${op}`);
        if (Object.keys(modifier).length === 0) return next;
      }
      try {
        if (Array.isArray(modifier)) {  // pipelines: $set/$addFields/$unset stages only
          for (const stage of modifier) {
            if (stage.$set || stage.$addFields) mingoUpdate(next, { $set: stage.$set ?? stage.$addFields }, arrayFilters);
            else if (stage.$unset) mingoUpdate(next, { $unset: Object.fromEntries([].concat(stage.$unset).map((f) => [f, ''])) });
            else throw new MongoError(72, 'InvalidOptions', `unsupported update pipeline stage ${Object.keys(stage)[0]}`);
          }
        } else if (arrayFilters || !fastUpdate(next, modifier)) {
          mingoUpdate(next, modifier, arrayFilters);
        }
      } catch (e) {
        if (e instanceof MongoError) throw e;
        throw new MongoError(2, 'BadValue', String(e.message ?? e));
      }
      if (next._id === undefined || keyOf(next._id) !== keyOf(doc._id)) {
        if (!inserting || doc._id !== undefined)
          throw new MongoError(66, 'ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
      }
      return next;
    }
    const replacement = clone(u ?? {});
    if (doc._id !== undefined && replacement._id === undefined) return { _id: doc._id, ...replacement };
    return replacement;
  }

  // One update statement {q, u, upsert, multi}: returns {n, nModified, upserted}.
  update({ q, u, upsert = false, multi = false, arrayFilters }) {
    const found = this.match(q);
    const targets = multi ? found : found.slice(0, 1);
    if (targets.length === 0) {
      if (!upsert) return { n: 0, nModified: 0 };
      const base = {};
      if (Array.isArray(u) || isOperatorDoc(u))
        for (const [k, v] of Object.entries(equalityFields(q))) setPath(base, k, clone(v));
      else if (equalityFields(q)._id !== undefined) base._id = equalityFields(q)._id;
      let doc = this.applyUpdate(base, u, { arrayFilters, inserting: true });
      if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc };
      this.insert(doc);
      return { n: 1, nModified: 0, upserted: doc._id, doc };
    }
    let nModified = 0;
    let last;
    for (const doc of targets) {
      const next = this.applyUpdate(doc, u, { arrayFilters });
      if (EJSON.stringify(next, { relaxed: false }) !== EJSON.stringify(doc, { relaxed: false })) {
        this.replaceStored(doc, next);
        nModified += 1;
      }
      last = { before: doc, after: next };
    }
    return { n: targets.length, nModified, last };
  }

  delete({ q, limit = 0 }) {
    const found = this.match(q);
    const targets = limit === 1 ? found.slice(0, 1) : found;
    for (const doc of targets) this.remove(doc);
    return targets.length;
  }
}

export class Database {
  constructor(name) {
    this.name = name;
    this.collections = new Map();
  }
  collection(name, create = true) {
    let c = this.collections.get(name);
    if (!c && create) {
      c = new Collection(this, name);
      this.collections.set(name, c);
    }
    return c;
  }
}

export class Store {
  constructor() { this.dbs = new Map(); }
  db(name) {
    let d = this.dbs.get(name);
    if (!d) {
      d = new Database(name);
      this.dbs.set(name, d);
    }
    return d;
  }
}
