// MongoDB wire protocol framing: OP_MSG (2013) for commands, and the legacy OP_QUERY
// (2004) / OP_REPLY (1) pair that drivers still use for the first hello/isMaster.
import { deserialize, serialize, Long } from 'bson';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;
const CHECKSUM_PRESENT = 1;

// Integers that JavaScript holds as numbers but BSON int32 cannot, go back out as int64
// (bson would write them as doubles otherwise).
function widen(v) {
  if (typeof v === 'number') {
    return Number.isInteger(v) && (v > 2147483647 || v < -2147483648) ? Long.fromNumber(v) : v;
  }
  if (Array.isArray(v)) return v.map(widen);
  if (v !== null && typeof v === 'object' && v._bsontype === undefined && !(v instanceof Date)) {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = widen(x);
    return out;
  }
  return v;
}

const bsonOptions = { promoteValues: true, promoteLongs: true };

function readCString(buf, at) {
  const end = buf.indexOf(0, at);
  return { value: buf.toString('utf8', at, end), next: end + 1 };
}

// Splits complete messages off the front of buf; returns the parsed ones and the rest.
export function parseMessages(buf) {
  const out = [];
  while (buf.length >= 16) {
    const length = buf.readInt32LE(0);
    if (length < 16 || length > 48 * 1024 * 1024) throw new Error(`bad message length ${length}`);
    if (buf.length < length) break;
    const msg = buf.subarray(0, length);
    buf = buf.subarray(length);
    out.push(parseOne(msg));
  }
  return { messages: out, rest: buf };
}

function parseOne(msg) {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  if (opCode === OP_MSG) {
    const flags = msg.readUInt32LE(16);
    const end = msg.length - (flags & CHECKSUM_PRESENT ? 4 : 0);
    let at = 20;
    let body = null;
    const sequences = {};
    while (at < end) {
      const kind = msg[at];
      at += 1;
      if (kind === 0) {
        const size = msg.readInt32LE(at);
        body = deserialize(msg.subarray(at, at + size), bsonOptions);
        at += size;
      } else if (kind === 1) {
        const size = msg.readInt32LE(at);
        const stop = at + size;
        const id = readCString(msg, at + 4);
        const docs = [];
        for (let p = id.next; p < stop;) {
          const n = msg.readInt32LE(p);
          docs.push(deserialize(msg.subarray(p, p + n), bsonOptions));
          p += n;
        }
        sequences[id.value] = docs;
        at = stop;
      } else {
        throw new Error(`unknown OP_MSG section kind ${kind}`);
      }
    }
    return { opCode, requestId, body: { ...body, ...sequences }, moreToCome: Boolean(flags & 2) };
  }
  if (opCode === OP_QUERY) {
    const ns = readCString(msg, 20);
    const size = msg.readInt32LE(ns.next + 8);
    let query = deserialize(msg.subarray(ns.next + 8, ns.next + 8 + size), bsonOptions);
    if (query.$query) query = query.$query;  // legacy wrapped form
    const db = ns.value.split('.')[0];
    return { opCode, requestId, body: { ...query, $db: db }, ns: ns.value };
  }
  return { opCode, requestId, body: null };
}

function header(length, requestId, responseTo, opCode) {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

let nextRequestId = 1;

export function encodeReply(request, doc) {
  const payload = Buffer.from(serialize(widen(doc)));
  const id = nextRequestId++;
  if (request.opCode === OP_QUERY) {
    const fixed = Buffer.alloc(20);  // responseFlags, cursorID (int64), startingFrom, numberReturned
    fixed.writeInt32LE(1, 16);
    return Buffer.concat([header(16 + 20 + payload.length, id, request.requestId, OP_REPLY), fixed, payload]);
  }
  const flags = Buffer.alloc(5);  // flagBits 0, then section kind 0
  return Buffer.concat([header(16 + 5 + payload.length, id, request.requestId, OP_MSG), flags, payload]);
}
