#!/usr/bin/env python3
"""Deterministic work-order generator for the benchmarks (SPEC.md section 1 formats).

  gen_workorders.py --count N [--seed S] [--format customer|tracos] (--out FILE.ndjson | --dir DIR)

customer: the customer's work orders, one JSON object per line (--out) or one
  {orderNo}.json file each (--dir). Statuses cycle through all six cases (pending,
  done, on hold, canceled, none of them -> in_progress, deleted); dates carry the
  offsets -03:00, +05:30, Z and +01:00, with 0 to 6 fractional digits.
tracos: TracOS documents as the docstore holds them (isSynced false), to seed the
  outbound benchmark.
Same seed, same bytes: the figures of different runs compare like with like.
"""
import argparse
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

OFFSETS = [(-180, "-03:00"), (330, "+05:30"), (0, "Z"), (60, "+01:00")]
STATUSES = ["pending", "done", "on_hold", "canceled", "none", "deleted"]
WORDS = ("pump valve motor belt filter bearing seal compressor boiler chiller conveyor "
         "gearbox hydraulic inspection lubrication calibration replacement leak noise "
         "vibration overheating alarm sensor panel line north south east west building "
         "floor unit quarterly monthly weekly urgent routine preventive corrective").split()
EPOCH = datetime(2023, 1, 1, tzinfo=timezone.utc)


def iso(rng, instant):
    minutes, suffix = OFFSETS[rng.randrange(len(OFFSETS))]
    local = instant + timedelta(minutes=minutes)
    digits = rng.randrange(7)  # 0..6 fractional digits
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{local.microsecond:06d}"[:digits]
    return text + suffix


def summary(rng, n):
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 12)))
    return f"WO-{n}: {words}"


def customer(rng, n):
    status = STATUSES[n % len(STATUSES)]
    created = EPOCH + timedelta(seconds=rng.randrange(0, 3 * 365 * 86400), microseconds=rng.randrange(1_000_000))
    updated = created + timedelta(seconds=rng.randrange(0, 90 * 86400), microseconds=rng.randrange(1_000_000))
    deleted = status == "deleted"
    return {
        "orderNo": n,
        "isActive": not deleted,
        "isCanceled": status == "canceled",
        "isDeleted": deleted,
        "isDone": status == "done",
        "isOnHold": status == "on_hold",
        "isPending": status == "pending",
        "isSynced": False,
        "summary": summary(rng, n),
        "creationDate": iso(rng, created),
        "lastUpdateDate": iso(rng, updated),
        "deletedDate": iso(rng, updated + timedelta(hours=1)) if deleted else None,
    }


def zulu(instant):
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def tracos(rng, n):
    mapped = {"pending": "pending", "done": "completed", "on_hold": "on_hold", "canceled": "cancelled",
              "none": "in_progress", "deleted": "in_progress"}
    status = STATUSES[n % len(STATUSES)]
    created = EPOCH + timedelta(seconds=rng.randrange(0, 3 * 365 * 86400), microseconds=rng.randrange(1_000_000))
    updated = created + timedelta(seconds=rng.randrange(0, 90 * 86400))
    text = summary(rng, n)
    deleted = status == "deleted"
    return {
        "number": n,
        "status": mapped[status],
        "title": text,
        "description": text,
        "createdAt": zulu(created),
        "updatedAt": zulu(updated),
        "deleted": deleted,
        "deletedAt": zulu(updated) if deleted else None,
        "isSynced": False,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--format", choices=["customer", "tracos"], default="customer")
    ap.add_argument("--first", type=int, default=1, help="first order number")
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", help="one NDJSON file")
    where.add_argument("--dir", help="one {orderNo}.json file per work order")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    make = customer if args.format == "customer" else tracos
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    if args.out:
        with open(args.out, "w", encoding="utf-8", buffering=1 << 20) as f:
            for n in range(args.first, args.first + args.count):
                f.write(dumps(make(rng, n)))
                f.write("\n")
    else:
        os.makedirs(args.dir, exist_ok=True)
        for n in range(args.first, args.first + args.count):
            with open(os.path.join(args.dir, f"{n}.json"), "w", encoding="utf-8") as f:
                f.write(dumps(make(rng, n)))
                f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
