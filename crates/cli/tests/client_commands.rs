//! `sigil emulator` and the client commands, as a user runs them.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

struct Emulator(Child, String);

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn emulator() -> Emulator {
    emulator_with(&[])
}

fn emulator_with(extra: &[&str]) -> Emulator {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sigil"))
        .args([
            "emulator",
            "--addr",
            "127.0.0.1:0",
            "--aet-account",
            "tok=se=cret",
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");
    Emulator(child, base)
}

fn sigil(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sigil"))
        .args(args)
        .env_remove("SIGIL_SECRET_KEY")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().unwrap(),
        json,
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn client_commands_against_the_emulator() {
    let emu = emulator();
    let base = emu.1.as_str();
    let (code, token, _) = sigil(&[
        "advance",
        "token",
        "--access-key",
        "sampleaccesskey",
        "--secret-key",
        "samplesecretkey",
        "--region",
        "TH",
        "--period-seconds",
        "120",
        "--base-url",
        base,
    ]);
    assert_eq!(code, 0);
    assert!(token["token"].as_str().unwrap().starts_with("eyJ") && token["expiredTime"].is_u64());

    let (code, _, err) = sigil(&[
        "advance",
        "token",
        "--access-key",
        "sampleaccesskey",
        "--secret-key",
        "wrong",
        "--base-url",
        base,
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("PARAMETER_ERROR") && err.contains("Signature error"),
        "{err}"
    );
    assert!(!err.contains("wrong"), "the secret is not echoed: {err}");

    let (code, session, _) = sigil(&[
        "advance",
        "idv-url",
        "--access-key",
        "sampleaccesskey",
        "--secret-key",
        "samplesecretkey",
        "--return-url",
        "https://a.example/ok",
        "--fail-return-url",
        "https://a.example/fail",
        "--country",
        "IDN",
        "--base-url",
        base,
    ]);
    assert_eq!(code, 0);
    let sid = session["signatureId"].as_str().unwrap();
    let (code, result, _) = sigil(&[
        "advance",
        "idv-result",
        "--access-key",
        "sampleaccesskey",
        "--secret-key",
        "samplesecretkey",
        "--signature-id",
        sid,
        "--base-url",
        base,
    ]);
    assert_eq!(
        (code, result["idvCode"].clone()),
        (0, serde_json::Value::Null),
        "pending session"
    );
    let (code, _, err) = sigil(&[
        "advance",
        "idv-url",
        "--access-key",
        "sampleaccesskey",
        "--secret-key",
        "samplesecretkey",
        "--return-url",
        "https://a.example/ok",
        "--fail-return-url",
        "https://a.example/fail",
        "--country",
        "PHL",
        "--base-url",
        base,
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("REGION_WRONG"), "{err}");
    let (code, _, _) = sigil(&[
        "advance",
        "token",
        "--access-key",
        "a",
        "--secret-key",
        "s",
        "--period-seconds",
        "59",
        "--base-url",
        base,
    ]);
    assert_eq!(
        code, 2,
        "a bad period is a usage error, refused before sending"
    );

    // The extra AET account was split at the first '='.
    let (code, created, _) = sigil(&[
        "aet",
        "request",
        "--token",
        "tok",
        "--secret-key",
        "se=cret",
        "--method",
        "POST",
        "--path",
        "/v3/users",
        "--body",
        r#"{"name":"Ada"}"#,
        "--base-url",
        base,
    ]);
    assert_eq!((code, created["name"].as_str()), (0, Some("Ada")));
    let (code, _, err) = sigil(&[
        "aet",
        "request",
        "--token",
        "tok",
        "--secret-key",
        "nope",
        "--method",
        "GET",
        "--path",
        "/v3/users",
        "--base-url",
        base,
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("401") && err.contains("invalid_signature"),
        "{err}"
    );

    let (code, token, _) = sigil(&[
        "avanan",
        "token",
        "--app-id",
        "US:myapp29",
        "--secret-key",
        "my_avanan_secret",
        "--base-url",
        base,
    ]);
    assert_eq!(code, 0);
    assert_eq!(token["token"].as_str().unwrap().split('.').count(), 3);
    let (code, scopes, _) = sigil(&[
        "avanan",
        "request",
        "--app-id",
        "US:myapp29",
        "--secret-key",
        "my_avanan_secret",
        "--method",
        "GET",
        "--path",
        "/v1.0/scopes",
        "--base-url",
        base,
    ]);
    assert_eq!(
        (code, scopes["responseData"][0].as_str()),
        (0, Some("mt-rnd-ng-1:myapp29"))
    );
}

#[test]
fn a_bad_path_is_refused_before_any_network_call() {
    // A listener that would see any connection the command made.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    for path in ["v1.0/scopes", "@evil.example/v1.0/scopes", "/v1.0/a/../b"] {
        let (code, _, stderr) = sigil(&[
            "avanan",
            "request",
            "--app-id",
            "US:myapp29",
            "--secret-key",
            "my_avanan_secret",
            "--base-url",
            &base,
            "--method",
            "GET",
            "--path",
            path,
        ]);
        assert_eq!(code, 2, "{path}: {stderr}");
        assert!(stderr.contains("--path"), "{stderr}");
    }
    for path in ["v3/users", "/v3/users#x"] {
        let (code, _, stderr) = sigil(&[
            "aet",
            "request",
            "--token",
            "tok",
            "--secret-key",
            "se=cret",
            "--base-url",
            &base,
            "--method",
            "GET",
            "--path",
            path,
        ]);
        assert_eq!(code, 2, "{path}: {stderr}");
        assert!(stderr.contains("--path"), "{stderr}");
    }
    let (code, _, stderr) = sigil(&[
        "aet",
        "request",
        "--token",
        "tok",
        "--secret-key",
        "se=cret",
        "--base-url",
        &format!("{base}/v3"),
        "--method",
        "GET",
        "--path",
        "/v3/users",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--base-url"), "{stderr}");
    assert!(
        listener.accept().is_err(),
        "a command connected although it should have refused first"
    );
}

#[test]
fn fault_flags_inject_faults_and_bad_values_are_usage_errors() {
    let emu = emulator_with(&[
        "--fault-unavailable-rate",
        "1",
        "--fault-retry-after",
        "0s",
        "--fault-scope",
        "/v3/users",
        "--clock-offset",
        "-10m",
    ]);
    let base = emu.1.as_str();
    let aet = |path: &str| {
        sigil(&[
            "aet",
            "request",
            "--token",
            "tok",
            "--secret-key",
            "se=cret",
            "--base-url",
            base,
            "--method",
            "GET",
            "--path",
            path,
        ])
    };
    let (code, _, stderr) = aet("/v3/users");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("503"), "{stderr}");
    // Out of scope: no fault, but the clock is 10 minutes behind, so the signature's
    // timestamp is refused as stale.
    let (code, _, stderr) = aet("/v3/accounts");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("stale_timestamp"), "{stderr}");
    let metrics = http_get_json(base, "/_emulator/metrics");
    assert_eq!(metrics["faults.aet"]["503"], 3, "{metrics}");
    for bad in [
        &["--fault-error-rate", "2"][..],
        &["--fault-latency", "soon"][..],
        &["--clock-offset", "-x"][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_sigil"))
            .arg("emulator")
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

/// A plain HTTP/1.0 GET over loopback, its body parsed as JSON.
fn http_get_json(base: &str, path: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let addr = base.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1;
    serde_json::from_str(body).unwrap()
}

#[test]
fn verbosity_shows_the_token_cache_and_attempts_at_vv() {
    let emu = emulator();
    let token = |verbosity: &[&str]| {
        let mut args: Vec<&str> = verbosity.to_vec();
        args.extend([
            "avanan",
            "token",
            "--app-id",
            "US:myapp29",
            "--secret-key",
            "my_avanan_secret",
            "--base-url",
            &emu.1,
        ]);
        let (code, _, stderr) = sigil(&args);
        assert_eq!(code, 0, "{stderr}");
        stderr
    };
    assert_eq!(token(&[]), "", "quiet by default");
    assert!(!token(&["-v"]).contains("attempt answered"));
    let debug = token(&["-vv"]);
    assert!(debug.contains("attempt answered"), "{debug}");
    assert!(!debug.contains("my_avanan_secret"), "{debug}");
}

#[test]
fn avanan_commands_in_the_infinity_mode() {
    let emu = emulator_with(&["--avanan-infinity-account", "my-client=my-access-key"]);
    let base = emu.1.as_str();
    // The access key through standard input, as any other secret.
    let mut child = Command::new(env!("CARGO_BIN_EXE_sigil"))
        .args([
            "avanan",
            "token",
            "--client-id",
            "my-client",
            "--secret-key",
            "-",
            "--base-url",
            base,
        ])
        .env_remove("SIGIL_SECRET_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"my-access-key\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(token["token"].as_str().unwrap().split('.').count(), 3);

    // The same /v1.0/ path as the signed mode.
    let (code, scopes, err) = sigil(&[
        "avanan",
        "request",
        "--client-id",
        "my-client",
        "--secret-key",
        "my-access-key",
        "--method",
        "GET",
        "--path",
        "/v1.0/scopes",
        "--base-url",
        base,
    ]);
    assert_eq!(
        (code, scopes["responseData"][0].as_str()),
        (0, Some("mt-rnd-ng-1:my-client")),
        "{err}"
    );

    // A wrong access key: the vendor's refusal (exit 1), the key not echoed.
    let (code, _, err) = sigil(&[
        "avanan",
        "token",
        "--client-id",
        "my-client",
        "--secret-key",
        "not-the-key",
        "--base-url",
        base,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("401") && !err.contains("not-the-key"), "{err}");

    // RUST_LOG=trace: the log on stderr carries neither the access key nor the token.
    let out = Command::new(env!("CARGO_BIN_EXE_sigil"))
        .args([
            "avanan",
            "request",
            "--client-id",
            "my-client",
            "--secret-key",
            "my-access-key",
            "--method",
            "GET",
            "--path",
            "/v1.0/scopes",
            "--base-url",
            base,
        ])
        .env_remove("SIGIL_SECRET_KEY")
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(log.contains("sigil"), "a trace log was written: {log}");
    assert!(
        !log.contains("my-access-key"),
        "the access key was logged: {log}"
    );
    assert!(!log.contains("eyJ"), "a token was logged: {log}");

    // Exactly one of --app-id and --client-id; --scopes only with --client-id.
    for args in [
        &["avanan", "token", "--secret-key", "k", "--base-url", base][..],
        &[
            "avanan",
            "token",
            "--app-id",
            "US:a",
            "--client-id",
            "c",
            "--secret-key",
            "k",
        ],
        &[
            "avanan",
            "token",
            "--app-id",
            "US:a",
            "--scopes",
            "f:c",
            "--secret-key",
            "k",
        ],
    ] {
        let (code, _, err) = sigil(args);
        assert_eq!(code, 2, "{args:?}: {err}");
    }
}
