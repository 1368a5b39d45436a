#!/usr/bin/env python3
"""The emulator's H5 IDV page in headless Chromium, driven over WebDriver (chromedriver) with
Python's standard library: open the page a `generate-url` returned, take a screenshot, click an
outcome, land on `returnUrl`, and read the result through `get-result`.

Usage: python3 tests/interop/h5_page.py path/to/sigil [screenshot.png]
Needs Debian's `chromium` and `chromium-driver`. Prints `N passed, M failed`; exits 1 on failure.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from run import FAILED, PASSED, advance_sig, call, check, now_ms


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def webdriver(port, method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())["value"]


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__)
        return 2
    sigil, screenshot = sys.argv[1], (sys.argv[2] if len(sys.argv) == 3 else None)
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        print("SKIPPED: the H5 page browser test needs Debian's chromium and chromium-driver")
        return 0
    emulator = subprocess.Popen([sigil, "emulator"], stdout=subprocess.PIPE, text=True)
    port = free_port()
    chromedriver = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    profile = tempfile.mkdtemp(prefix="sigil-chromium-")
    session = None
    try:
        base = emulator.stdout.readline().strip().split(" ", 2)[2]
        ts = now_ms()
        _, _, raw = call("POST", f"{base}/openapi/auth/ticket/v1/generate-token",
                         {"accessKey": "sampleaccesskey", "signature": advance_sig("sampleaccesskey", "samplesecretkey", ts), "timestamp": ts},
                         {"Content-Type": "application/json"})
        token = json.loads(raw)["data"]["token"]
        hdr = {"Content-Type": "application/json", "X-ACCESS-TOKEN": token}
        idv = f"{base}/intl/openapi/face-identity/h5-idv/v1"
        _, _, raw = call("POST", f"{idv}/generate-url", {"returnUrl": f"{base}/_emulator/metrics?landed=ok",
                                                         "failReturnUrl": f"{base}/_emulator/metrics?landed=fail", "region": "IDN"}, hdr)
        data = json.loads(raw)["data"]

        for _ in range(50):  # chromedriver takes a moment to listen
            try:
                webdriver(port, "GET", "/status")
                break
            except OSError:
                time.sleep(0.2)
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=390,844"]
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"binary": chromium, "args": args}}}}
        session = webdriver(port, "POST", "/session", caps)["sessionId"]
        webdriver(port, "POST", f"/session/{session}/url", {"url": data["url"]})
        title = webdriver(port, "GET", f"/session/{session}/title")
        check("the H5 page opens in Chromium", "ID verification" in title, title)
        png = base64.b64decode(webdriver(port, "GET", f"/session/{session}/screenshot"))
        check("a screenshot is taken", png.startswith(b"\x89PNG") and len(png) > 5000, len(png))
        if screenshot:
            with open(screenshot, "wb") as f:
                f.write(png)
        width = webdriver(port, "POST", f"/session/{session}/execute/sync",
                          {"script": "return document.documentElement.scrollWidth <= window.innerWidth", "args": []})
        check("the page fits a phone-sized window without scrolling sideways", width is True, width)
        button = webdriver(port, "POST", f"/session/{session}/element",
                           {"using": "css selector", "value": "button[value='forgery:pastedPhoto']"})
        element = next(iter(button.values()))
        webdriver(port, "POST", f"/session/{session}/element/{element}/click", {})
        landed = ""
        for _ in range(50):
            landed = webdriver(port, "GET", f"/session/{session}/url")
            if "landed=" in landed:
                break
            time.sleep(0.1)
        check("clicking an outcome redirects to returnUrl", landed.startswith(f"{base}/_emulator/metrics?landed=ok&signatureId={data['signatureId']}"), landed)
        _, _, raw = call("POST", f"{idv}/get-result", {"signatureId": data["signatureId"]}, hdr)
        result = json.loads(raw)["data"]
        check("get-result reports the outcome picked in the browser",
              result["idvCode"] == "FORGERY_DETECTED" and result["idvResult"]["forgeryLabels"] == ["pastedPhoto"], result)
    finally:
        if session:
            try:
                webdriver(port, "DELETE", f"/session/{session}")
            except OSError:
                pass
        chromedriver.terminate()
        emulator.terminate()
        shutil.rmtree(profile, ignore_errors=True)
    print(f"h5 page: {len(PASSED)} passed, {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
