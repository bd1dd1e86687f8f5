#!/usr/bin/env python3
"""The peer of bench/submissions.sh: SPEC job 4's intake written the way a candidate would
in Python, with Flask and SQLite, served by gunicorn. The same checks and the same
durability as Junction's docstore intake: the formula schema (python3-jsonschema, draft
2020-12), the exact sum of concentrations (Decimal from the request's text), the identity
in substance (the set of materials, names stripped, NFC, case-folded; concentrations as
normalized Decimals) as a SHA-256, the Idempotency-Key (same key and body: the first
answer; another body: 422), and one BEGIN IMMEDIATE transaction per submission writing
the submission (identity UNIQUE), its outbox row and the key, in WAL mode with
synchronous=FULL. No relay, no queue: only the intake is compared.

  gunicorn -w 4 -b 127.0.0.1:PORT --chdir bench 'submissions_peer:make_app("peer.db", "formula.schema.json")'
"""
import decimal
import fcntl
import hashlib
import json
import sqlite3
import threading
import time
import unicodedata
import uuid

from flask import Flask, request, jsonify
from jsonschema import Draft202012Validator


def canonical_decimal(d):
    d = d.normalize()
    return "0" if d.is_zero() else format(d, "f") if -40 < d.adjusted() < 40 else str(d)


def identity(payload):
    materials = sorted({(unicodedata.normalize("NFC", m["name"].strip()).casefold(),
                         canonical_decimal(m["concentration"])) for m in payload["materials"]})
    text = json.dumps({"materials": [{"concentration": c, "name": n} for n, c in materials]},
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def fingerprint(body):
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str, separators=(",", ":")).encode()).hexdigest()


def make_app(db_path, schema_path):
    with open(schema_path) as f:
        text = "\n".join(line for line in f if not line.lstrip().startswith("//"))
    validator = Draft202012Validator(json.loads(text))
    local = threading.local()
    # The schema and WAL once, under a file lock: gunicorn's workers start together.
    with open(db_path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        c = sqlite3.connect(db_path, isolation_level=None, timeout=30)
        c.execute("PRAGMA journal_mode=WAL")
        c.executescript("""
              CREATE TABLE IF NOT EXISTS submissions(id TEXT PRIMARY KEY, identity TEXT NOT NULL UNIQUE,
                received_at REAL NOT NULL, payload TEXT NOT NULL);
              CREATE TABLE IF NOT EXISTS outbox(seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL);
              CREATE TABLE IF NOT EXISTS keys(key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, id TEXT NOT NULL,
                duplicate INTEGER NOT NULL, created REAL NOT NULL);""")
        c.close()

    def db():
        if not hasattr(local, "conn"):
            c = sqlite3.connect(db_path, isolation_level=None, timeout=30)
            c.execute("PRAGMA synchronous=FULL")
            local.conn = c
        return local.conn

    app = Flask(__name__)

    @app.post("/api/v1/submissions/formulas")
    def submit():
        if not request.is_json:
            return jsonify(error={"code": "unsupported_media_type"}), 415
        try:
            body = json.loads(request.get_data(), parse_float=decimal.Decimal, parse_int=decimal.Decimal)
        except ValueError as e:
            return jsonify(error={"code": "invalid", "problems": [{"path": "", "message": str(e)}]}), 400
        problems = [{"path": "/" + "/".join(map(str, e.absolute_path)), "message": e.message}
                    for e in validator.iter_errors(body)]
        if not problems and sum(m["concentration"] for m in body["materials"]) > 100:
            problems.append({"path": "/materials", "message": "the concentrations add up to more than 100"})
        if problems:
            return jsonify(error={"code": "invalid", "problems": problems}), 400
        key = request.headers.get("Idempotency-Key", "").strip('"')
        ident, fp = identity(body), fingerprint(body)
        c = db()
        c.execute("BEGIN IMMEDIATE")
        try:
            if key:
                row = c.execute("SELECT fingerprint, id, duplicate FROM keys WHERE key = ?", (key,)).fetchone()
                if row:
                    c.execute("COMMIT")
                    if row[0] != fp:
                        return jsonify(error={"code": "idempotency_key_reused"}), 422
                    return jsonify(id=row[1], duplicate=bool(row[2])), 200 if row[2] else 202
            row = c.execute("SELECT id FROM submissions WHERE identity = ?", (ident,)).fetchone()
            duplicate = row is not None
            sid = row[0] if row else uuid.uuid4().hex
            if not duplicate:
                c.execute("INSERT INTO submissions VALUES(?, ?, ?, ?)",
                          (sid, ident, time.time(), json.dumps(body, default=str)))
                c.execute("INSERT INTO outbox(id) VALUES(?)", (sid,))
            if key:
                c.execute("INSERT INTO keys VALUES(?, ?, ?, ?, ?)", (key, fp, sid, int(duplicate), time.time()))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return jsonify(id=sid, duplicate=duplicate), 200 if duplicate else 202

    return app
