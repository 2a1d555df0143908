#!/usr/bin/env python3
"""Checks a running `ledger serve` against its own /openapi.json.

Usage: openapi_check.py BASE_URL CAMPAIGN CONTACT

Sends a request to every route (answers that succeed and answers that fail), and checks that
each status code is one the document lists for that operation and that each JSON answer
validates against the schema the document gives for it (JSON Schema 2020-12, as OpenAPI 3.1).
Needs `jsonschema`. Exit 0 when everything conforms, 1 listing every violation.
"""
import json
import re
import sys
import urllib.error
import urllib.request

from jsonschema import Draft202012Validator


def fetch(base, method, path, body=None, content_type="application/json"):
    headers = {"Content-Type": content_type} if body is not None else {}
    request = urllib.request.Request(base + path, method=method, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def operation(document, method, path):
    """The template and operation of the document that `path` matches."""
    bare = path.split("?")[0]
    for template, item in document["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, bare) and method.lower() in item:
            return template, item[method.lower()]
    return None, None


def main():
    base, campaign, contact = sys.argv[1], sys.argv[2], sys.argv[3]
    status, _, raw = fetch(base, "GET", "/openapi.json")
    assert status == 200, f"GET /openapi.json answered {status}"
    document = json.loads(raw)
    Draft202012Validator.check_schema({"$defs": document["components"]["schemas"]})
    event = {"type": "contact.added", "campaign": campaign, "contact": "oa-1", "address": "+420600000001",
             "at": "2026-11-20T10:00:00Z", "id": "oa-1"}
    requests = [
        ("GET", "/healthz", None), ("GET", "/readyz", None), ("GET", "/metrics", None),
        ("GET", "/v1/head", None), ("GET", "/v1/events", None), ("GET", "/v1/events?after=2&limit=3", None),
        ("GET", "/v1/events?limit=0", None),
        ("GET", "/v1/campaigns", None), ("GET", "/v1/campaigns?asOf=2026-11-20T09:00:00Z", None),
        ("GET", f"/v1/campaigns/{campaign}", None), ("GET", "/v1/campaigns/absent", None),
        ("GET", f"/v1/campaigns/{campaign}?occurredBefore=2026-11-20T09:00:03Z", None),
        ("GET", f"/v1/campaigns/{campaign}?asOf=never", None),
        ("GET", f"/v1/campaigns/{campaign}/metrics", None), ("GET", "/v1/metrics", None),
        ("GET", f"/v1/campaigns/{campaign}/contacts", None), ("GET", f"/v1/campaigns/{campaign}/contacts?limit=1", None),
        ("GET", f"/v1/campaigns/{campaign}/contacts?state=nope", None),
        ("GET", f"/v1/campaigns/{campaign}/contacts/{contact}", None), ("GET", f"/v1/campaigns/{campaign}/contacts/absent", None),
        ("GET", f"/v1/campaigns/{campaign}/history", None), ("GET", f"/v1/campaigns/{campaign}/history?contact={contact}", None),
        ("GET", f"/v1/campaigns/{campaign}/report", None), ("GET", f"/v1/campaigns/{campaign}/evidence", None),
        ("GET", "/v1/builds", None),
        ("POST", "/v1/events", json.dumps([event]).encode()),
        ("POST", "/v1/events", json.dumps({"events": [event], "expect": [{"campaign": campaign, "version": 0}]}).encode()),
        ("POST", "/v1/events", json.dumps([dict(event, address="other")]).encode()),
        ("POST", "/v1/events", json.dumps([dict(event, id="oa-2", type="contact.status")]).encode()),
        ("POST", "/v1/events", b"not json"),
        ("POST", "/v1/builds/1/activate", None), ("POST", "/v1/builds/99/activate", None),
        ("POST", "/v1/rebuild", None),
    ]
    problems = []
    checked = 0
    for method, path, body in requests:
        template, op = operation(document, method, path)
        if op is None:
            problems.append(f"{method} {path}: no operation in the document")
            continue
        status, content_type, raw = fetch(base, method, path, body)
        responses = op["responses"]
        if str(status) not in responses:
            problems.append(f"{method} {path}: status {status} is not documented ({', '.join(responses)})")
            continue
        media = content_type.split(";")[0].strip()
        response = responses[str(status)]
        if "$ref" in response:
            response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        content = response.get("content", {})
        if media not in content:
            problems.append(f"{method} {path}: {status} answered {media}, the document lists {list(content)}")
            continue
        if media == "application/json":
            schema = dict(content[media]["schema"])
            schema["components"] = document["components"]
            errors = sorted(Draft202012Validator(schema).iter_errors(json.loads(raw)), key=lambda e: list(e.path))
            for e in errors[:5]:
                problems.append(f"{method} {path}: {status}: {'/'.join(map(str, e.path))}: {e.message}")
        checked += 1
    for p in problems:
        print("VIOLATION", p)
    print(f"checked {checked} answers of {len(requests)} requests; {len(problems)} violations")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
