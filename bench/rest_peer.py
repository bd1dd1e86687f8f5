#!/usr/bin/env python3
"""The peer of bench/rest_databox.sh: what a candidate would write in Python with
`requests` for SPEC job 2. It follows GitHub's Link pagination from the local fake
GitHub, maps each issue to the github_issues.v2 dataset's row (the same fields and the
same type checks as Junction's schema check), and pushes batches of 100 rows to the
local fake Databox. One process, one thread, a requests.Session (keep-alive): the
ordinary way, not a tuned one.

  rest_peer.py GITHUB_URL REPO TOKEN DATABOX_URL API_KEY
"""
import datetime
import sys
import time

import requests


def get(session, url, headers):
    for _ in range(10):
        r = session.get(url, headers=headers, timeout=30)
        if r.status_code == 429 or r.status_code >= 500:
            time.sleep(float(r.headers.get("Retry-After", "1")))
            continue
        r.raise_for_status()
        return r
    raise RuntimeError(f"giving up on {url}")


def iso(value):
    datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))  # raises when it is not a date-time
    return value


def row_of(issue):
    return {
        "id": int(issue["id"]),
        "number": int(issue["number"]),
        "title": str(issue["title"]),
        "state": str(issue["state"]),
        "author": str(issue["user"]["login"]),
        "labels_count": len(issue["labels"]),
        "labels": ",".join(label["name"] for label in issue["labels"]),
        "created_at": iso(issue["created_at"]),
        "updated_at": iso(issue["updated_at"]),
        "closed_at": iso(issue["closed_at"]) if issue.get("closed_at") else None,
        "milestone": (issue.get("milestone") or {}).get("title"),
    }


def main():
    github, repo, token, databox, key = sys.argv[1:6]
    session = requests.Session()
    dbx = {"x-api-key": key}
    account = session.get(f"{databox}/v1/accounts", headers=dbx, timeout=30).json()["accounts"][0]["id"]
    source = session.post(f"{databox}/v1/data-sources", headers=dbx, timeout=30,
                          json={"accountId": account, "title": "peer", "timezone": "UTC"}).json()["id"]
    dataset = session.post(f"{databox}/v1/datasets", headers=dbx, timeout=30,
                           json={"title": "github_issues_peer", "dataSourceId": source,
                                 "primaryKeys": ["id"]}).json()["id"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
    url = f"{github}/repos/{repo}/issues?state=all&per_page=100"
    rows, sent, rejected = [], 0, 0

    def push():
        nonlocal rows, sent
        for _ in range(10):
            r = session.post(f"{databox}/v1/datasets/{dataset}/data", headers=dbx, json={"records": rows}, timeout=30)
            if r.status_code == 429 or r.status_code >= 500:
                time.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            r.raise_for_status()
            sent += len(rows)
            rows = []
            return
        raise RuntimeError("giving up on a push")

    while url:
        page = get(session, url, headers)
        for issue in page.json():
            if "pull_request" in issue:
                continue
            try:
                rows.append(row_of(issue))
            except (KeyError, TypeError, ValueError):
                rejected += 1
            if len(rows) == 100:
                push()
        url = page.links.get("next", {}).get("url")
    if rows:
        push()
    print(f"sent={sent} rejected={rejected}")


if __name__ == "__main__":
    main()
