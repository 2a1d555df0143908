#!/usr/bin/env python3
"""Checks a running `ledger serve` against its own /openapi.json.

Usage: openapi_check.py BASE_URL CAMPAIGN CONTACT [PROVIDERS_FILE]

Sends a request to every route (answers that succeed and answers that fail), and checks that
each status code is one the document lists for that operation and that each JSON answer
validates against the schema the document gives for it (JSON Schema 2020-12, as OpenAPI 3.1).
With PROVIDERS_FILE (the server's `--providers FILE`, every provider configured) it also posts
provider callbacks, signed here with the file's secrets (appended, parked, 400, 401), and
lists and drops the parked ones. Needs `jsonschema`. Exit 0 when everything conforms, 1 listing
every violation.
"""
import base64
import hashlib
import hmac
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from jsonschema import Draft202012Validator


def fetch(base, method, path, body=None, content_type="application/json", extra=None):
    headers = {"Content-Type": content_type} if body is not None else {}
    headers.update(extra or {})
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
    if len(sys.argv) > 4:
        with open(sys.argv[4]) as f:
            requests += callback_requests(base, campaign, contact, json.load(f))
    problems = []
    checked = 0
    for method, path, body, *rest in requests:
        template, op = operation(document, method, path)
        if op is None:
            problems.append(f"{method} {path}: no operation in the document")
            continue
        content_type, extra, wanted = rest if rest else ("application/json", None, None)
        status, content_type, raw = fetch(base, method, path, body, content_type, extra)
        if wanted is not None and status != wanted:
            problems.append(f"{method} {path}: answered {status}, the test expects {wanted}: {raw[:300]!r}")
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
            if (method, path) == ("GET", "/v1/callbacks/parked") and not json.loads(raw):
                problems.append("GET /v1/callbacks/parked: empty, although two callbacks were parked")
        checked += 1
    for p in problems:
        print("VIOLATION", p)
    print(f"checked {checked} answers of {len(requests)} requests; {len(problems)} violations")
    return 1 if problems else 0


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def callback_requests(base, campaign, contact, providers):
    """Provider callbacks as each provider sends them, signed with the providers file's secrets:
    (method, path, body, content type, headers, the status expected)."""
    now = int(time.time())
    out = []
    # Meta: one status tied by its correlation data (appended), one for a message id no event
    # records (parked); a wrong signature (401); a signed body that is not a webhook (400).
    secret = providers["meta"]["appSecret"].encode()
    statuses = [
        {"id": "wamid.oa-1", "status": "delivered", "timestamp": str(now), "recipient_id": "420601234567",
         "biz_opaque_callback_data": f"{urllib.parse.quote(campaign, safe='')}/{urllib.parse.quote(contact, safe='')}"},
        {"id": "wamid.oa-unknown", "status": "read", "timestamp": str(now), "recipient_id": "420601234567"},
    ]
    meta = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp", "statuses": statuses}}]}]}).encode()

    def meta_signed(body):
        return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()}
    out += [
        ("POST", "/v1/callbacks/meta", meta, "application/json", meta_signed(meta), 200),
        ("POST", "/v1/callbacks/meta", meta, "application/json", {"X-Hub-Signature-256": "sha256=" + "0" * 64}, 401),
        ("POST", "/v1/callbacks/meta", b"not json", "application/json", meta_signed(b"not json"), 400),
    ]
    # Twilio: a form, signed over the URL it called and the sorted parameters.
    twilio = providers["twilio"]
    path = "/v1/callbacks/twilio?" + urllib.parse.urlencode({"campaign": campaign, "contact": contact})
    form = {"MessageSid": "SMoa1", "MessageStatus": "sent", "AccountSid": "ACoa", "To": "+420601234567"}
    url = (twilio.get("publicBaseUrl") or base) + path
    signed = url + "".join(k + form[k] for k in sorted(form))
    signature = base64.b64encode(hmac.new(twilio["authToken"].encode(), signed.encode(), hashlib.sha1).digest()).decode()
    body = urllib.parse.urlencode(form).encode()
    out += [
        ("POST", path, body, "application/x-www-form-urlencoded", {"X-Twilio-Signature": signature}, 200),
        ("POST", path, body, "application/x-www-form-urlencoded", {}, 401),
    ]
    # Infobip: a seen report for an unknown message (parked), with the bearer token.
    report = json.dumps({"results": [{"messageId": "ib-oa-1", "seenAt": "2026-11-20T10:00:00.000+0000"}]}).encode()
    out += [
        ("POST", "/v1/callbacks/infobip", report, "application/json", {"Authorization": "Bearer " + providers["infobip"]["token"]}, 200),
        ("POST", "/v1/callbacks/infobip", report, "application/json", {"Authorization": "Bearer wrong"}, 401),
    ]
    # Vonage: a HS256 JWT whose payload_hash is the body's SHA-256.
    status = json.dumps({"message_uuid": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab", "status": "submitted",
                         "timestamp": "2026-11-20T10:00:00Z", "client_ref": f"{campaign}/{contact}"}).encode()
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64url(json.dumps({"iat": now, "payload_hash": hashlib.sha256(status).hexdigest()}).encode())
    mac = hmac.new(providers["vonage"]["signatureSecret"].encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest()
    out += [
        ("POST", "/v1/callbacks/vonage", status, "application/json", {"Authorization": f"Bearer {header}.{claims}.{b64url(mac)}"}, 200),
        ("POST", "/v1/callbacks/vonage", status, "application/json", {}, 401),
    ]
    # The parked list (not empty now), a bad age, a drop that keeps them.
    out += [
        ("GET", "/v1/callbacks/parked", None, "application/json", None, 200),
        ("DELETE", "/v1/callbacks/parked?olderThan=soon", None, "application/json", None, 400),
        ("DELETE", "/v1/callbacks/parked", None, "application/json", None, 400),
        ("DELETE", "/v1/callbacks/parked?olderThan=7d", None, "application/json", None, 200),
    ]
    return out


if __name__ == "__main__":
    sys.exit(main())
