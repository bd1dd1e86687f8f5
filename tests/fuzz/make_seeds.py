#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/<target>/ from the examples and the test
data, plus hand-made edge cases (truncated, invalid UTF-8, deep nesting, ...). Run it
again after changing the examples; inputs the fuzzers found are kept apart, in
corpus/<target>/found-* (never rewritten here)."""
import glob
import json
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.normpath(os.path.join(here, "..", ".."))


def read(path):
    with open(os.path.join(root, path), "rb") as f:
        return f.read()


def write(target, name, data):
    folder = os.path.join(here, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


def clean(target):
    folder = os.path.join(here, "corpus", target)
    for f in glob.glob(os.path.join(folder, "seed-*")):
        os.remove(f)


for t in ("config", "record_source", "tracos_mapping", "mapping_rules", "bson_convert", "rest_page"):
    clean(t)

customers = sorted(glob.glob(os.path.join(root, "examples/workorders/seed/customer/*.json")))
tracos = sorted(glob.glob(os.path.join(root, "examples/workorders/seed/tracos/*.json")))

# -- config: the example configs, and the shapes the tests refuse.
for path in ("examples/workorders/sync.json", "examples/workorders/sync-mongodb.json",
             "examples/workorders/seed.json", "examples/no-code/contacts.json"):
    write("config", os.path.basename(os.path.dirname(path)) + "-" + os.path.basename(path), read(path))


def pipeline_config(reader, writer, translators=None, extra=""):
    p = {"name": "p", "reader": reader, "writer": writer}
    if translators is not None:
        p["translators"] = translators
    return '{%s"pipelines": [%s]}' % (extra, json.dumps(p))


files_in = {"plugin": "files", "options": {"dir": "in", "pattern": "*.json", "format": "auto", "after": "move"}}
files_out = {"plugin": "files", "options": {"dir": "out", "file_name": "{orderNo}.json", "indent": True}}
mongo = {"uri": "${MONGO_URI}", "database": "${MONGO_DATABASE}", "collection": "${MONGO_COLLECTION}"}
write("config", "files-ndjson", pipeline_config(
    {"plugin": "files", "options": {"dir": "in", "format": "ndjson"}},
    {"plugin": "files", "options": {"dir": "out", "format": "ndjson", "file": "all.ndjson", "fsync": False}}))
write("config", "mongodb-writer", pipeline_config(
    files_in, {"plugin": "mongodb", "options": dict(mongo, upsert_key=["number"], date_fields=["createdAt"])},
    [{"plugin": "tracos", "options": {"direction": "to_tracos"}}]))
write("config", "mongodb-reader", pipeline_config(
    {"plugin": "mongodb", "options": dict(mongo, filter={"isSynced": False, "n": {"$gte": 3}},
                                           ack_set={"isSynced": True, "syncedAt": "$now"},
                                           reject_set={"syncError": "$reason"}, key_field="number")},
    files_out, [{"plugin": "tracos", "options": {"direction": "to_customer"}}]))
write("config", "mongodb-bad-uri", pipeline_config(
    files_in, {"plugin": "mongodb", "options": {"uri": "mongodb://junction:s3cr%40t@127.0.0.1:notaport",
                                                 "database": "d", "collection": "c", "upsert_key": ["number"]}}))
write("config", "docstore-refusals", pipeline_config(
    {"plugin": "docstore", "options": {"path": "t.db", "collection": "c", "filter": {"$or": []}, "key_field": "a..b"}},
    {"plugin": "docstore", "options": {"path": "t.db", "collection": "c", "upsert_key": ["_id"]}}))
write("config", "mapping-rules", pipeline_config(
    files_in, files_out,
    [{"plugin": "mapping", "options": {"required": ["a"], "rename": {"a": "x..y"}, "copy": {"b": "c.d"},
                                       "map_values": {"s": {"1": 2, "*": None}}, "to_utc": ["t"],
                                       "set": {"k": [1, {"z": 0.5}]}, "drop": ["q"], "key": "id"}}]))
write("config", "files-bad-template", pipeline_config(
    {"plugin": "files", "options": {"dir": "in", "processed_dir": "in"}},
    {"plugin": "files", "options": {"dir": "out", "file_name": "../{orderNo"}}))
write("config", "connections", '{"connections": {"crm": {"type": "oauth2", "token_url": "https://example.com/t",'
      ' "client_id": "${CLIENT_ID:-id}", "client_secret": "$${literal}"}, "k": {"type": "api_key", "key": "x"}},'
      ' "pipelines": [{"name": "a", "reader": {"plugin": "r"}, "writer": {"plugin": "w"}}]}')
write("config", "duplicates-and-comments",
      '{\n  // comments are allowed\n  "pipelines": [\n    {"name": "a", "reader": {"plugin": "r"}, '
      '"writer": {"plugin": "w", "options": {"password": "x", "password": "y"}},\n     "writer": {"plugin": "w2"},},\n'
      '  ], /* block */ "state": "${UNSET}", "state": "${EMPTY:-x}${ODD}",\n}')
write("config", "refusals", '{"pipelines": [\n'
      '{"name": "a", "reader": {"plugin": "r"}, "writer": {"plugin": "w"}, "batch_size": 0, "colour": 1,'
      ' "schedule": {"interval_ms": 5, "poll_ms": "${BATCH_SIZE}"}},\n'
      '{"name": "a", "reader": {"options": {}}, "writer": 5, "retry": {"max_attempts": "x", "max_backoff_ms": -1},'
      ' "enabled": "true", "workers": "${BATCH_SIZE}"}\n'
      '], "extra": true, "plugin_dirs": ["p", 1]}')
write("config", "substitution", '{"pipelines": [{"name": "${A:-b}", "reader": {"plugin": "files", "options":'
      ' {"dir": "${DATA_INBOUND_DIR}/${EMPTY:-x}", "pattern": "${9bad}"}}, "writer": {"plugin": "files",'
      ' "options": {"dir": "${DATA_OUTBOUND_DIR", "file_name": "{a.b}-{c}.json"}}}]}')

# -- record_source: first byte = control (bits 0-1 format: auto, object, array, ndjson;
#    bits 2-3 file name: 1001.json, orders.ndjson, orders.jsonl, batch; bits 4-7 where to resume).
AUTO, OBJECT, ARRAY, NDJSON = 0, 1, 2, 3
NAME_JSON, NAME_NDJSON, NAME_BATCH = 0, 1 << 2, 3 << 2


def source(name, control, data):
    write("record_source", name, bytes([control]) + (data.encode() if isinstance(data, str) else data))


for i, path in enumerate(customers):
    with open(path, "rb") as f:
        source(os.path.basename(path), AUTO if i % 2 == 0 else OBJECT, f.read())
records = []
for path in customers:  # some of the examples are broken on purpose (the demo's quarantine)
    try:
        records.append(json.loads(open(path, "rb").read()))
    except ValueError:
        pass
source("array", AUTO | NAME_BATCH | 0x10, json.dumps(records, indent=2))
source("array-declared", ARRAY | NAME_JSON | 0x20, json.dumps(records))
ndjson = "".join(json.dumps(r) + "\n" for r in records)
source("ndjson", AUTO | NAME_BATCH | 0x30, ndjson)
source("ndjson-by-name", AUTO | NAME_NDJSON, read("examples/no-code/input/contacts.ndjson"))
source("ndjson-declared-crlf-blank", NDJSON | 0x10, ndjson.replace("\n", "\r\n\r\n  "))
source("ndjson-bad-lines", NDJSON | NAME_NDJSON | 0x40, '{"a": 1}\n[1]\n{"b": \n"x"\n{"c": 3}')
source("truncated-object", OBJECT, json.dumps(records[0])[:-7])
source("truncated-array", ARRAY | 0x10, json.dumps(records)[:-30])
source("array-trailing-comma", ARRAY, '[{"a": 1}, {"b": [1, 2]},\n ]')
source("array-not-objects", ARRAY | 0x20, '[{"a": "]"}, 5, "s", null, {"b": "\\"},"}, [] ] x')
source("array-extra", AUTO | NAME_BATCH, '  [{"a": 1}] [{"b": 2}]')
source("bom", AUTO, b"\xef\xbb\xbf" + json.dumps(records[1]).encode())
source("invalid-utf8", OBJECT, b'{"summary": "caf\xc3\x28 \xff\xfe", "orderNo": 1}')
source("invalid-utf8-ndjson", NDJSON, b'{"a": "\xed\xa0\x80"}\n{"b": "ok"}\n{"c": "\xf4\x90\x80\x80"}\n')
source("deep-object", OBJECT, '{"a":' * 200 + "1" + "}" * 200)
source("deep-array-element", ARRAY, "[" + '{"a":[' * 100 + "]}" * 100 + "]")
source("empty", AUTO, "")
source("whitespace", ARRAY, " \n\t ")
source("not-an-object", AUTO, '"just a string"\n')
source("numbers", NDJSON, '{"i": 9223372036854775808, "d": 1e400, "n": -0.0, "e": 1E-400}\n')
# One record across the reader's 64 KiB chunk boundary.
big = json.dumps({"orderNo": 1, "summary": "x" * 70000}) + "\n"
source("ndjson-across-chunks", NDJSON | 0x10, ndjson + big + ndjson)
source("array-across-chunks", ARRAY | 0x30, "[" + json.dumps(records[0]) + "," + big + "," + json.dumps(records[1]) + "]")

# -- tracos_mapping: both sides' example documents and the shapes they refuse.
for path in customers + tracos:
    write("tracos_mapping", os.path.basename(os.path.dirname(path)) + "-" + os.path.basename(path), read(path))
write("tracos_mapping", "tracos-extended-json", json.dumps({
    "_id": {"$oid": "65e1f0000000000000000001"}, "number": {"$numberLong": "2001"}, "status": "on_hold",
    "createdAt": {"$date": {"$numberLong": "1706774400000"}}, "updatedAt": {"$date": "2025-02-01T08:00:00Z"},
    "deleted": True, "deletedAt": 1706774400000, "title": "", "description": "d"}))
write("tracos_mapping", "tracos-huge-numbers", json.dumps({
    "number": 1e300, "status": "completed", "createdAt": -62135596800000, "updatedAt": 253402300800000}))
write("tracos_mapping", "customer-wrong-types", json.dumps({
    "orderNo": "1001", "isDone": 1, "creationDate": "2025-13-40T25:61:61+99:99", "summary": 5,
    "lastUpdateDate": "0000-01-01T00:00:00Z", "deletedDate": "9999-12-31T23:59:59.999-23:59"}))
write("tracos_mapping", "customer-deleted", json.dumps({
    "orderNo": 18446744073709551615, "isDeleted": True, "isCanceled": True, "creationDate": "2025-01-10T08:00:00+14:00"}))

# -- mapping_rules: {"options": ..., "record": ...}
contacts = [json.loads(line) for line in read("examples/no-code/input/contacts.ndjson").decode().splitlines() if line]
contacts_options = None
text = read("examples/no-code/contacts.json").decode()
text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
contacts_options = json.loads(text)["pipelines"][0]["translators"][0]["options"]
for i, c in enumerate(contacts[:3]):
    write("mapping_rules", "contacts-%d" % i, json.dumps({"options": contacts_options, "record": c}))
write("mapping_rules", "every-rule", json.dumps({
    "options": {"required": ["a.b"], "rename": {"a.b": "x.y.z"}, "copy": {"x.y": "w"},
                "map_values": {"s": {"true": "yes", "0.5": "half", "12": 12, "*": None}},
                "to_utc": ["t", "u"], "set": {"m.n": {"o": [1, 2]}, "k": "v"}, "drop": ["d", "x.y.z"], "key": "id"},
    "record": {"a": {"b": 1}, "s": 0.5, "t": "2025-03-01T09:15:00-03:00", "u": None, "d": [1], "id": "k1"}}))
write("mapping_rules", "conflicts", json.dumps({
    "options": {"rename": {"a": "b.c"}, "set": {"b.c.d": 1}, "copy": {"b": "b.e"}, "key": "b"},
    "record": {"a": 5, "b": "str"}}))
write("mapping_rules", "bad-options", json.dumps({
    "options": {"rename": {"a": "x..y"}, "map_values": {"s": 5}, "to_utc": "t"}, "record": {}}))

# -- bson_convert: records the writer converts, and raw BSON documents a server sends.
for path in tracos:
    write("bson_convert", "record-" + os.path.basename(path), json.dumps({
        "record": json.loads(read(path)), "date_fields": ["createdAt", "updatedAt", "deletedAt", "syncedAt"]}))
write("bson_convert", "record-types", json.dumps({
    "record": {"i": 2147483648, "j": -5, "u": 18446744073709551615, "d": 0.25, "s": "x\u0000y", "n": None,
               "a": [1, [2, {"b": "2025-03-01T09:15:00-03:00"}]], "o": {"p": {"q": True}}, "": "empty key"},
    "date_fields": ["a.1.1.b", "o.p", "n"]}))
write("bson_convert", "extended", json.dumps({
    "extended": {"_id": {"$oid": "65e1f0000000000000000001"}, "at": "$now", "why": "$reason",
                 "n": {"$numberLong": "9007199254740993"}, "d": {"$date": "2025-01-01T00:00:00Z"},
                 "q": {"$type": "date"}, "$set": {"x": ["$now", {"y": "$reason"}]},
                 "bad": {"$binary": {"base64": "!!", "subType": "zz"}}},
    "position": "65e1f0000000000000000001"}))
write("bson_convert", "position-extended", json.dumps({"position": '{"_id": {"$numberLong": "42"}}'}))


def bson_element(kind, key, payload):
    return bytes([kind]) + key.encode() + b"\0" + payload


def bson_document(elements):
    body = b"".join(elements) + b"\0"
    return struct.pack("<i", len(body) + 4) + body


def bson_string(s):
    b = s.encode()
    return struct.pack("<i", len(b) + 1) + b + b"\0"


inner = bson_document([bson_element(0x10, "0", struct.pack("<i", 1)), bson_element(0x02, "1", bson_string("two"))])
document = bson_document([
    bson_element(0x07, "_id", bytes(range(12))),
    bson_element(0x10, "number", struct.pack("<i", 2001)),
    bson_element(0x12, "big", struct.pack("<q", 1 << 40)),
    bson_element(0x01, "d", struct.pack("<d", 0.5)),
    bson_element(0x02, "status", bson_string("pending")),
    bson_element(0x09, "createdAt", struct.pack("<q", 1706774400000)),
    bson_element(0x09, "far", struct.pack("<q", -(1 << 62))),
    bson_element(0x08, "deleted", b"\0"),
    bson_element(0x0A, "deletedAt", b""),
    bson_element(0x04, "list", inner),
    bson_element(0x03, "sub", bson_document([bson_element(0x05, "bin", struct.pack("<i", 3) + b"\0abc")])),
    bson_element(0x11, "ts", struct.pack("<q", 5)),
    bson_element(0x13, "dec", bytes(16)),
    bson_element(0x0B, "re", b"a.b\0i\0"),
    bson_element(0xFF, "min", b""),
])
write("bson_convert", "bson-document", b"B" + document)
write("bson_convert", "bson-string-id", b"B" + bson_document([bson_element(0x02, "_id", bson_string("k-1"))]))
write("bson_convert", "bson-doc-id", b"B" + bson_document([bson_element(0x03, "_id", inner)]))

# -- rest_page: a Link header line, then a body, as the rest reader receives a page.
write("rest_page", "github-link",
      '<http://api.test/repos/a/b/i?page=2>; rel="next", <http://api.test/repos/a/b/i?page=9>; rel="last"\n'
      '{"results":[{"id":1,"updated_at":"2024-05-01T10:00:00Z","state":"open"},'
      '{"id":2,"updated_at":"2024-05-01T12:00:00+02:00","pull_request":{"url":"x"}}]}')
write("rest_page", "hubspot-cursor",
      '\n{"total":3,"results":[{"id":"1","updated_at":1714557600000}],"paging":{"next":{"after":"1"}}}')
write("rest_page", "relative-links",
      '</i?page=2>;rel=next,<//other.test/x>; rel="next last"; title="a, \\"b\\""\n[1,"two",{"id":3}]')
write("rest_page", "other-origin", '<http://evil.test/steal>; rel="next"\n{"results":{"id":1},"total":"x"}')
write("rest_page", "broken", '<unclosed; rel=next\nnot json ${vars.x} ${')
