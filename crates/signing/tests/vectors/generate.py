#!/usr/bin/env python3
"""Regenerates the signature vectors in this folder with an implementation independent of
the Rust code (Python's hashlib, hmac and base64). Each case records its inputs, the
intermediate strings (the pre-hash string, and for Avanan the base64 text that is hashed)
and the signature. Published vectors from the vendor documents are included verbatim and
checked here against their published signatures.

Run: python3 crates/signing/tests/vectors/generate.py
"""
import base64, hashlib, hmac, json, os

HERE = os.path.dirname(os.path.abspath(__file__))


def advance(name, access_key, secret_key, timestamp, published=None):
    pre = f"{access_key}{secret_key}{timestamp}"
    sig = hashlib.sha256(pre.encode()).hexdigest()
    if published is not None:
        assert sig == published, (name, sig)
    return dict(name=name, access_key=access_key, secret_key=secret_key,
                timestamp=timestamp, pre_hash=pre, signature=sig)


def aet(name, secret, timestamp, method, target, body, query="exclude"):
    # body: None (no body), "multipart", or a string.
    path = target.split("#", 1)[0]
    if query == "exclude":
        path = path.split("?", 1)[0]
    if path.startswith("/"):
        path = path[1:]
    body_text = body if isinstance(body, str) and body != "<multipart>" else ""
    pre = f"{timestamp}{method.upper()}{path}{body_text}"
    mac = hmac.new(secret.encode(), pre.encode(), hashlib.sha256).digest()
    return dict(name=name, secret_key=secret, timestamp=timestamp, method=method,
                target=target, query=query,
                body=("multipart" if body == "<multipart>" else body),
                request_path=path, pre_hash=pre,
                signature=base64.b64encode(mac).decode())


def avanan(name, req_id, app_id, date, secret, request_string=None, published=None):
    pre = f"{req_id}{app_id}{date}{request_string or ''}{secret}"
    b64 = base64.b64encode(pre.encode()).decode()
    sig = hashlib.sha256(b64.encode()).hexdigest()
    if published is not None:
        assert sig == published, (name, sig)
    return dict(name=name, req_id=req_id, app_id=app_id, date=date,
                request_string=request_string, secret_key=secret,
                pre_hash=pre, base64=b64, signature=sig)


ADVANCE = [
    advance("published: token document", "19f3bfc87cdb9c33", "440cc5dee302a30b", 1665683270207,
            "22e20a4519cad37ecd5abb5c666828b2cfb06764ec3734c5faa5132c5e369585"),
    advance("published: H5 IDV document", "sampleaccesskey", "samplesecretkey", 1665993522952,
            "02209bbeaf0d0a3dd587f6a1ba22f84c98d142e3b545e77db7e4906ca56349f5"),
    advance("prefix fills 42 bytes: message ends exactly at 55 bytes, one block",
            "a" * 21, "b" * 21, 1700000000000),
    advance("message of 56 bytes: padding spills into a second block",
            "a" * 22, "b" * 21, 1700000000000),
    advance("prefix longer than a block", "k" * 40, "s" * 40, 9999999999999),
    advance("non-ASCII key", "clé-accès", "secret-ü", 1000000000000),
]

AET = [
    aet("GET without body", "aet-sample-secret", 1700000000000, "GET", "/v3/users", None),
    aet("lower-case method is upper-cased", "aet-sample-secret", 1700000000000, "get", "/v3/users", None),
    aet("POST with JSON body", "aet-sample-secret", 1700000000123, "POST", "/v3/users",
        '{"name":"Ada Lovelace","email":"ada@example.com"}'),
    aet("query excluded (default)", "aet-sample-secret", 1700000000000, "GET",
        "/v3/users?page=2&size=10", None),
    aet("query included", "aet-sample-secret", 1700000000000, "GET",
        "/v3/users?page=2&size=10", None, query="include"),
    aet("multipart signs an empty body", "aet-sample-secret", 1700000000000, "POST",
        "/v3/documents", "<multipart>"),
    aet("PUT with empty string body", "aet-sample-secret", 1700000000000, "PUT", "/v3/users/7", ""),
    aet("secret of exactly 64 bytes", "S" * 64, 1700000000000, "DELETE", "/v3/users/7", None),
    aet("secret longer than a block is hashed first", "L" * 100, 1700000000000, "POST",
        "v3/accounts", '{"owner":"7"}'),
    aet("non-ASCII body", "aet-sample-secret", 1700000000000, "PATCH", "/v3/users/7",
        '{"name":"Zoë Ünal"}'),
    aet("body over two blocks", "aet-sample-secret", 1700000000000, "POST", "/v3/notes",
        '{"text":"' + "x" * 150 + '"}'),
]

AVANAN = [
    avanan("published: auth example (secret per errata)", "d290f1ee-6c54-4b01-90e6", "US:myapp29",
           "2021-04-10T00:00:00.000Z", "my_avanan_secret",
           published="2462b23346ab0642b65d7d094aca5fb4c29fd96d0468deceae2704d258e81497"),
    avanan("auth with UUID and microsecond date", "5b0fd3c0-8a3a-4f7e-9d61-0a8c4cf8c0f3", "US:myapp29",
           "2026-11-23T18:24:55.940446", "my_avanan_secret"),
    avanan("scopes request", "5b0fd3c0-8a3a-4f7e-9d61-0a8c4cf8c0f3", "US:myapp29",
           "2026-11-23T18:24:55.940446", "my_avanan_secret", "/v1.0/scopes"),
    avanan("event query with query string", "0b4a8f52-8a05-4c89-9a09-7a1c8a3c2e11", "EU:tenant",
           "2026-11-23T18:24:55.940446", "my_avanan_secret",
           "/v1.0/event/query?scrollId=abc%20def&limit=50"),
    avanan("percent-encoded path", "0b4a8f52-8a05-4c89-9a09-7a1c8a3c2e11", "EU:tenant",
           "2026-11-23T18:24:55.940446", "my_avanan_secret", "/v1.0/event/id%20with%20space"),
    avanan("input length a multiple of 48", "r" * 10, "a" * 10, "d" * 10, "s" * 18),
    avanan("non-ASCII secret", "id", "US:app", "2026-01-01T00:00:00.000000", "sécret"),
]


def main():
    for name, cases in (("advance", ADVANCE), ("aet", AET), ("avanan", AVANAN)):
        with open(os.path.join(HERE, f"{name}.json"), "w", encoding="utf-8") as f:
            json.dump(cases, f, ensure_ascii=False, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
