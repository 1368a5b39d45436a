#!/usr/bin/env python3
"""Interoperability checks written independently of the Rust code, with Python's standard
library only (hashlib, hmac, base64, json, urllib, http.server).

1. A client built from the vendor documents talks to `sigil emulator`: tokens, the IDV flow,
   signed AET and Avanan calls, and the documented errors for bad signatures, stale
   timestamps, empty parameters and bad periods.
2. A server built from the vendor documents checks the signatures of the `sigil` client
   commands (`sigil advance …`, `sigil aet request`, `sigil avanan …`).

Usage: python3 tests/interop/run.py path/to/sigil
Prints one line per check and `N passed, M failed`; exits 1 if anything failed.
"""
import base64
import hashlib
import hmac
import http.server
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

PASSED, FAILED = [], []


def check(name, condition, detail=""):
    (PASSED if condition else FAILED).append(name)
    print(("  ok    " if condition else "  FAIL  ") + name + ("" if condition else f"  -- {detail}"))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def call(method, url, body=None, headers=None):
    """(status, headers, body bytes) of one request; never raises on HTTP errors."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with OPENER.open(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def now_ms():
    return int(time.time() * 1000)


# --- The signatures, straight from the documents -------------------------------------------

def advance_sig(ak, sk, ts):
    return hashlib.sha256(f"{ak}{sk}{ts}".encode()).hexdigest()


def aet_sig(secret, ts, method, path, body=b""):
    pre = f"{ts}{method.upper()}{path.lstrip('/').split('?')[0]}".encode() + body
    return base64.b64encode(hmac.new(secret.encode(), pre, hashlib.sha256).digest()).decode()


def avanan_sig(req_id, app_id, date, secret, request_string=""):
    raw = f"{req_id}{app_id}{date}{request_string}{secret}".encode()
    return hashlib.sha256(base64.b64encode(raw)).hexdigest()


def avanan_date():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


# --- Part 1: an independent client against `sigil emulator` ----------------------------------

def client_against_emulator(sigil):
    print("independent client -> sigil emulator")
    proc = subprocess.Popen([sigil, "emulator", "--addr", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline().strip()
        check("emulator prints `listening on http://HOST:PORT` first", first.startswith("listening on http://"), first)
        base = first.split(" ", 2)[2]
        ak, sk = "sampleaccesskey", "samplesecretkey"
        token_url = f"{base}/openapi/auth/ticket/v1/generate-token"

        def token_request(body):
            status, _, raw = call("POST", token_url, body, {"Content-Type": "application/json"})
            return json.loads(raw)

        ts = now_ms()
        ok = token_request({"accessKey": ak, "signature": advance_sig(ak, sk, ts), "timestamp": ts, "periodSecond": 600})
        check("ADVANCE token", ok["code"] == "SUCCESS" and ok["data"]["expiredTime"] >= ts + 599_000, ok)
        token = ok["data"]["token"]
        for name, body, expected in [
            ("bad signature", {"accessKey": ak, "signature": "0" * 64, "timestamp": ts}, ("PARAMETER_ERROR", "Signature error")),
            ("stale timestamp", {"accessKey": ak, "signature": advance_sig(ak, sk, ts - 400_000), "timestamp": ts - 400_000}, ("PARAMETER_ERROR", "Timestamp error")),
            ("empty parameter", {"accessKey": "", "signature": advance_sig(ak, sk, ts), "timestamp": ts}, ("PARAMETER_ERROR", "Parameter should not be empty")),
            ("period 59", {"accessKey": ak, "signature": advance_sig(ak, sk, ts), "timestamp": ts, "periodSecond": 59}, ("PARAMETER_ERROR", None)),
            ("period 86401", {"accessKey": ak, "signature": advance_sig(ak, sk, ts), "timestamp": ts, "periodSecond": 86401}, ("PARAMETER_ERROR", None)),
        ]:
            r = token_request(body)
            check(f"ADVANCE {name} -> {expected[0]}", r["code"] == expected[0] and (expected[1] is None or r["message"] == expected[1]), r)

        idv = f"{base}/intl/openapi/face-identity/h5-idv/v1"
        hdr = {"Content-Type": "application/json", "X-ACCESS-TOKEN": token}
        _, _, raw = call("POST", f"{idv}/generate-url", {"returnUrl": "https://shop.example/ok", "failReturnUrl": "https://shop.example/fail", "region": "IDN", "userId": "py"}, hdr)
        session = json.loads(raw)
        check("IDV generate-url", session["code"] == "SUCCESS" and session["data"]["url"].startswith(base), session)
        sid = session["data"]["signatureId"]
        page_url = session["data"]["url"]
        status, _, html = call("GET", page_url)
        check("IDV page renders", status == 200 and b"name=\"outcome\"" in html, status)
        page_token = page_url.split("token=")[1].split("&")[0]
        form = f"signatureId={sid}&token={page_token}&outcome=success".encode()
        status, headers, _ = call("POST", f"{base}/h5-idv/complete", form, {"Content-Type": "application/x-www-form-urlencoded"})
        check("IDV page redirects to returnUrl", status == 303 and headers.get("location", headers.get("Location", "")).startswith("https://shop.example/ok"), (status, headers))
        _, _, raw = call("POST", f"{idv}/get-result", {"signatureId": sid}, hdr)
        result = json.loads(raw)
        check("IDV get-result", result["code"] == "SUCCESS" and result["data"]["idvCode"] == "SUCCESS" and result["data"]["ocrResult"]["name"], result)
        _, _, raw = call("POST", f"{idv}/get-result", {"signatureId": "nope"}, hdr)
        check("IDV unknown id -> SIGNATURE_NOT_EXIST", json.loads(raw)["code"] == "SIGNATURE_NOT_EXIST")
        _, _, raw = call("POST", f"{idv}/get-result", {"signatureId": sid}, {"Content-Type": "application/json"})
        check("IDV without token -> IAM_FAILED", json.loads(raw)["code"] == "IAM_FAILED")

        secret, aet_token = "aet-sample-secret", "aet-sample-token"

        def aet(method, path, body=None, ts=None, sec=secret):
            ts = ts or now_ms()
            raw_body = json.dumps(body).encode() if body is not None else b""
            h = {"timestamp": str(ts), "authorization": f"Bearer {aet_token}", "accept": "application/json",
                 "content-type": "application/json", "signature": aet_sig(sec, ts, method, path, raw_body)}
            return call(method, f"{base}{path}", raw_body if body is not None else None, h)

        status, _, raw = aet("POST", "/v3/users", {"name": "Grace"})
        created = json.loads(raw)
        check("AET signed POST", status == 201 and created["name"] == "Grace", (status, raw))
        status, _, raw = aet("GET", f"/v3/users/{created['id']}?x=1")
        check("AET signed GET (query not signed)", status == 200 and json.loads(raw)["name"] == "Grace", (status, raw))
        status, _, raw = aet("GET", "/v3/users", sec="wrong")
        check("AET bad signature -> 401", status == 401 and json.loads(raw)["error"] == "invalid_signature", raw)
        status, _, raw = aet("GET", "/v3/users", ts=now_ms() - 600_000)
        check("AET stale timestamp -> 401", status == 401 and json.loads(raw)["error"] == "stale_timestamp", raw)

        app, av_secret = "US:myapp29", "my_avanan_secret"

        def avanan(method, path, token="", body=None, sec=av_secret, auth=False):
            req_id, date = str(uuid.uuid4()), avanan_date()
            sig = avanan_sig(req_id, app, date, sec, "" if auth else path)
            h = {"x-av-req-id": req_id, "x-av-token": token, "x-av-app-id": app, "x-av-date": date, "x-av-sig": sig}
            if body is not None:
                h["content-type"] = "application/json"
            return call(method, f"{base}{path}", body, h)

        status, _, raw = avanan("GET", "/v1.0/auth", auth=True)
        check("Avanan /auth", status == 200 and raw.count(b".") == 2, (status, raw))
        av_token = raw.decode()
        status, _, raw = avanan("GET", "/v1.0/scopes", av_token)
        check("Avanan scopes", status == 200 and json.loads(raw)["responseData"] == ["mt-rnd-ng-1:myapp29"], raw)
        events, scroll, pages = [], None, 0
        while True:
            data = {"requestData": {"scrollId": scroll} if scroll else {}}
            status, _, raw = avanan("POST", "/v1.0/event/query", av_token, data)
            page = json.loads(raw)
            events += page["responseData"]
            pages += 1
            scroll = page["responseEnvelope"]["scrollId"]
            if not scroll or pages > 10:
                break
        check("Avanan event paging", len(events) == 25 and pages == 3, (len(events), pages))
        status, _, _ = avanan("GET", "/v1.0/auth", sec="wrong", auth=True)
        check("Avanan bad signature -> 401", status == 401)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# --- Part 2: the sigil client commands against an independent server -----------------------

ACCOUNTS = {"advance": ("indepkey", "indepsecret"), "aet": ("indep-token", "indep-aet-secret"), "avanan": ("EU:indep", "indep-av-secret")}


class Handler(http.server.BaseHTTPRequestHandler):
    tokens = set()
    seen = []

    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def envelope(self, code, message, data=None):
        return {"code": code, "message": message, "data": data, "extra": None, "transactionId": "py" + uuid.uuid4().hex[:14], "pricingStrategy": "FREE"}

    def handle_any(self):
        raw = self.body()
        Handler.seen.append((self.command, self.path))
        if self.path.endswith("/openapi/auth/ticket/v1/generate-token"):
            req = json.loads(raw)
            ak, sk = ACCOUNTS["advance"]
            ts = int(req["timestamp"])
            if req["accessKey"] != ak or not hmac.compare_digest(req["signature"], advance_sig(ak, sk, ts)):
                return self.reply(200, self.envelope("PARAMETER_ERROR", "Signature error"))
            token = "tok-" + uuid.uuid4().hex
            Handler.tokens.add(token)
            return self.reply(200, self.envelope("SUCCESS", "OK", {"token": token, "expiredTime": now_ms() + 1000 * int(req.get("periodSecond") or 3600)}))
        if "/h5-idv/v1/" in self.path:
            if self.headers.get("X-ACCESS-TOKEN") not in Handler.tokens:
                return self.reply(200, self.envelope("IAM_FAILED", "token"))
            if self.path.endswith("generate-url"):
                return self.reply(200, self.envelope("SUCCESS", "OK", {"signatureId": "abc123", "url": "https://h5.example/?t=1", "expiredTime": now_ms()}))
            return self.reply(200, self.envelope("SUCCESS", "OK", {"image": None, "croppedImage": None, "imageType": "SCAN", "idvCode": "SUCCESS", "idvResult": None, "ocrCode": None, "ocrResult": None}))
        if self.path.startswith("/v3/"):
            tok, sec = ACCOUNTS["aet"]
            h = self.headers
            ok = h.get("authorization") == f"Bearer {tok}" and h.get("accept") == "application/json"
            body = b"" if (h.get("content-type") or "").startswith("multipart/") else raw
            ok = ok and hmac.compare_digest(h.get("signature", ""), aet_sig(sec, int(h.get("timestamp", "0")), self.command, self.path, body))
            return self.reply(200, {"verified": True, "method": self.command}) if ok else self.reply(401, {"error": "invalid_signature"})
        if self.path.startswith("/v1.0/"):
            app, sec = ACCOUNTS["avanan"]
            h = self.headers
            is_auth = self.path == "/v1.0/auth"
            expected = avanan_sig(h.get("x-av-req-id", ""), app, h.get("x-av-date", ""), sec, "" if is_auth else self.path)
            if h.get("x-av-app-id") != app or not hmac.compare_digest(h.get("x-av-sig", ""), expected):
                return self.reply(401, {"responseEnvelope": {"responseCode": 401, "responseText": "bad signature"}, "responseData": []})
            if is_auth:
                # A JWT, as the live /auth answers (unsigned here: the client never verifies it).
                b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
                now = int(time.time())
                token = ".".join([
                    b64(b'{"alg":"HS256","typ":"JWT"}'),
                    b64(json.dumps({"sub": app, "iat": now, "exp": now + 3600, "jti": uuid.uuid4().hex}).encode()),
                    b64(hashlib.sha256(uuid.uuid4().bytes).digest()),
                ])
                Handler.tokens.add(token)
                return self.reply(200, token.encode(), "text/plain")
            if h.get("x-av-token") not in Handler.tokens:
                return self.reply(401, {"responseEnvelope": {"responseCode": 401, "responseText": "token"}, "responseData": []})
            return self.reply(200, {"responseEnvelope": {"requestId": h.get("x-av-req-id"), "responseCode": 200, "responseText": "OK", "additionalText": "", "recordsNumber": 1, "scrollId": ""}, "responseData": ["farm:indep"]})
        self.reply(404, {"error": "not_found"})

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


def cli_against_independent_server(sigil):
    print("sigil client commands -> independent server")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def run(*args, secret=None):
        env = {"PATH": "/usr/bin:/bin", "SIGIL_SECRET_KEY": secret} if secret else {"PATH": "/usr/bin:/bin"}
        p = subprocess.run([sigil, *args, "--base-url", base], capture_output=True, text=True, env=env, timeout=60)
        return p.returncode, p.stdout.strip(), p.stderr.strip()

    ak, sk = ACCOUNTS["advance"]
    for region, prefix in [("ID", ""), ("SG", "intl/"), ("MX", "mex/")]:
        code, out, err = run("advance", "token", "--access-key", ak, "--region", region, "--period-seconds", "600", secret=sk)
        check(f"sigil advance token --region {region}", code == 0 and set(json.loads(out)) == {"token", "expiredTime"}, (code, out, err))
        check(f"  ... used the {region} path prefix", Handler.seen[-1][1] == f"/{prefix}openapi/auth/ticket/v1/generate-token", Handler.seen[-1])
    code, out, err = run("advance", "token", "--access-key", ak, secret="wrong")
    check("sigil advance token with a wrong secret exits 1 with the code", code == 1 and "PARAMETER_ERROR" in err, (code, err))
    code, out, err = run("advance", "idv-url", "--access-key", ak, "--return-url", "https://a.example/ok", "--fail-return-url", "https://a.example/f", "--country", "IDN", secret=sk)
    check("sigil advance idv-url", code == 0 and json.loads(out)["signatureId"] == "abc123", (code, out, err))
    code, out, err = run("advance", "idv-result", "--access-key", ak, "--signature-id", "abc123", secret=sk)
    check("sigil advance idv-result", code == 0 and json.loads(out)["idvCode"] == "SUCCESS", (code, out, err))

    tok, sec = ACCOUNTS["aet"]
    code, out, err = run("aet", "request", "--token", tok, "--method", "post", "--path", "/v3/users?dry=1", "--body", '{"name":"Ada"}', secret=sec)
    check("sigil aet request POST", code == 0 and json.loads(out)["verified"], (code, out, err))
    code, out, err = run("aet", "request", "--token", tok, "--method", "GET", "--path", "/v3/users", secret="wrong")
    check("sigil aet request with a wrong secret exits 1", code == 1 and "401" in err, (code, err))

    app, av = ACCOUNTS["avanan"]
    code, out, err = run("avanan", "token", "--app-id", app, secret=av)
    check("sigil avanan token", code == 0 and json.loads(out)["token"].count(".") == 2, (code, out, err))
    code, out, err = run("avanan", "request", "--app-id", app, "--method", "GET", "--path", "/v1.0/scopes", secret=av)
    check("sigil avanan request", code == 0 and json.loads(out)["responseData"] == ["farm:indep"], (code, out, err))
    code, out, err = run("avanan", "request", "--app-id", app, "--method", "GET", "--path", "/v1.0/scopes", secret="wrong")
    check("sigil avanan request with a wrong secret exits 1", code == 1 and "401" in err, (code, err))
    server.shutdown()


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    sigil = sys.argv[1]
    client_against_emulator(sigil)
    cli_against_independent_server(sigil)
    print(f"interop: {len(PASSED)} passed, {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
