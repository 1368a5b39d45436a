//! `sigil sign` / `sigil verify` as a user runs them: the real binary, checked against the
//! independent reference implementation on fresh random inputs.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use proptest::prelude::*;

fn sigil(args: &[&str]) -> Output {
    sigil_with(args, None, &[])
}

fn sigil_with(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sigil"));
    cmd.args(args)
        .env_remove("SIGIL_SECRET_KEY")
        .env_remove("SIGIL_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("sigil runs");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or("").as_bytes())
        .expect("write stdin");
    drop(input);
    child.wait_with_output().expect("sigil finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone())
        .expect("utf-8")
        .trim_end()
        .to_owned()
}

fn flip_first(sig: &str) -> String {
    let first = if sig.starts_with('0') { '1' } else { '0' };
    format!("{first}{}", &sig[1..])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn advance_agrees_with_reference(ak in "[a-z0-9]{1,32}", sk in "[a-zA-Z0-9]{1,40}", ts in 1_000_000_000_000u64..=9_999_999_999_999) {
        let ts_text = ts.to_string();
        let out = sigil(&["sign", "advance", "--access-key", &ak, "--secret-key", &sk, "--timestamp", &ts_text]);
        prop_assert!(out.status.success());
        let expected = sigil_reference::advance_signature(&ak, &sk, ts);
        prop_assert_eq!(stdout(&out), expected.clone());
        let base = ["verify", "advance", "--access-key", &ak, "--secret-key", &sk, "--timestamp", &ts_text, "--signature"];
        let ok = sigil(&[&base[..], &[expected.as_str()]].concat());
        prop_assert_eq!((ok.status.code(), stdout(&ok)), (Some(0), "valid".to_owned()));
        let tampered = flip_first(&expected);
        let bad = sigil(&[&base[..], &[tampered.as_str()]].concat());
        prop_assert_eq!((bad.status.code(), stdout(&bad)), (Some(1), "invalid".to_owned()));
    }

    #[test]
    fn aet_agrees_with_reference(sk in "[a-zA-Z0-9]{1,80}", ts in 1_000_000_000_000u64..=9_999_999_999_999, method in "(get|POST|Put|delete)", path in "/v3/[a-z]{1,12}", body in proptest::option::of("[ -~]{0,100}")) {
        let ts_text = ts.to_string();
        let mut args = vec!["--secret-key", &sk, "--method", &method, "--path", &path, "--timestamp", &ts_text];
        if let Some(body) = &body {
            args.extend(["--body", body.as_str()]);
        }
        let out = sigil(&[&["sign", "aet"][..], &args].concat());
        prop_assert!(out.status.success(), "{:?}", out);
        let expected = sigil_reference::aet_signature(sk.as_bytes(), ts, &method, &path[1..], body.as_deref().map(str::as_bytes));
        prop_assert_eq!(stdout(&out), expected.clone());
        let ok = sigil(&[&["verify", "aet"][..], &args, &["--signature", &expected]].concat());
        prop_assert_eq!(ok.status.code(), Some(0));
        let bad = sigil(&[&["verify", "aet"][..], &args, &["--signature", &flip_first(&expected)]].concat());
        prop_assert_eq!((bad.status.code(), stdout(&bad)), (Some(1), "invalid".to_owned()));
    }

    #[test]
    fn avanan_agrees_with_reference(app in "[A-Z]{2}:[a-z0-9]{1,12}", sk in "[a-zA-Z0-9_]{1,40}", id in "[0-9a-f-]{1,36}", date in "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9:.]{8,15}", rs in proptest::option::of("/v1\\.0/[a-z/]{1,20}(\\?[a-z=&%0-9]{1,20})?")) {
        // `--flag=value`, since a generated id may look like an option (e.g. `--`).
        let owned = [format!("--app-id={app}"), format!("--secret-key={sk}"), format!("--request-id={id}"), format!("--date={date}")];
        let mut args: Vec<&str> = owned.iter().map(String::as_str).collect();
        let rs_arg = rs.as_ref().map(|rs| format!("--request-string={rs}"));
        args.extend(rs_arg.as_deref());
        let out = sigil(&[&["sign", "avanan"][..], &args].concat());
        let expected = sigil_reference::avanan_signature(&id, &app, &date, rs.as_deref(), &sk);
        prop_assert_eq!(stdout(&out), expected.clone());
        let ok = sigil(&[&["verify", "avanan"][..], &args, &["--signature", &expected]].concat());
        prop_assert_eq!(ok.status.code(), Some(0));
        let bad = sigil(&[&["verify", "avanan"][..], &args, &["--signature", &flip_first(&expected)]].concat());
        prop_assert_eq!(bad.status.code(), Some(1));
    }
}

#[test]
fn published_vectors_through_the_cli() {
    let out = sigil(&[
        "sign",
        "advance",
        "--access-key",
        "sampleaccesskey",
        "--secret-key",
        "samplesecretkey",
        "--timestamp",
        "1665993522952",
    ]);
    assert_eq!(
        stdout(&out),
        "02209bbeaf0d0a3dd587f6a1ba22f84c98d142e3b545e77db7e4906ca56349f5"
    );
    let out = sigil(&[
        "sign",
        "avanan",
        "--app-id",
        "US:myapp29",
        "--secret-key",
        "my_avanan_secret",
        "--request-id",
        "d290f1ee-6c54-4b01-90e6",
        "--date",
        "2021-04-10T00:00:00.000Z",
    ]);
    assert_eq!(
        stdout(&out),
        "2462b23346ab0642b65d7d094aca5fb4c29fd96d0468deceae2704d258e81497"
    );
}

#[test]
fn secret_from_stdin_and_environment() {
    let args = [
        "sign",
        "advance",
        "--access-key",
        "sampleaccesskey",
        "--timestamp",
        "1665993522952",
    ];
    let expected = "02209bbeaf0d0a3dd587f6a1ba22f84c98d142e3b545e77db7e4906ca56349f5";
    let from_stdin = sigil_with(
        &[&args[..], &["--secret-key", "-"]].concat(),
        Some("samplesecretkey\n"),
        &[],
    );
    assert_eq!(stdout(&from_stdin), expected);
    let from_env = sigil_with(&args, None, &[("SIGIL_SECRET_KEY", "samplesecretkey")]);
    assert_eq!(stdout(&from_env), expected);
    let missing = sigil(&args);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("secret key is required"));
}

#[test]
fn body_file_is_signed_like_the_same_body_inline() {
    let dir = std::env::temp_dir().join(format!("sigil-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body.json");
    let body: String = (0..100_000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    std::fs::write(&file, &body).unwrap();
    let common = [
        "sign",
        "aet",
        "--secret-key",
        "k",
        "--method",
        "POST",
        "--path",
        "/v3/uploads",
        "--timestamp",
        "1700000000000",
    ];
    let from_file = sigil(&[&common[..], &["--body-file", file.to_str().unwrap()]].concat());
    let expected = sigil_reference::aet_signature(
        b"k",
        1_700_000_000_000,
        "POST",
        "v3/uploads",
        Some(body.as_bytes()),
    );
    assert_eq!(stdout(&from_file), expected);
    let missing = sigil(
        &[
            &common[..],
            &["--body-file", dir.join("nope").to_str().unwrap()],
        ]
        .concat(),
    );
    assert_eq!(missing.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn multipart_and_query_choice() {
    let common = [
        "sign",
        "aet",
        "--secret-key",
        "k",
        "--method",
        "post",
        "--path",
        "/v3/files?x=1",
        "--timestamp",
        "1700000000000",
    ];
    // `--multipart FILE`, as in `sigil aet request`: the upload is signed with an empty body.
    let file = std::env::temp_dir().join(format!("sigil-multipart-{}.bin", std::process::id()));
    std::fs::write(&file, b"any bytes").unwrap();
    let multipart = sigil(&[&common[..], &["--multipart", file.to_str().unwrap()]].concat());
    assert_eq!(
        stdout(&multipart),
        sigil_reference::aet_signature(b"k", 1_700_000_000_000, "POST", "v3/files", Some(b""))
    );
    std::fs::remove_file(&file).unwrap();
    let missing = sigil(&[&common[..], &["--multipart", "/nonexistent/scan.png"]].concat());
    assert_eq!(missing.status.code(), Some(2));
    let included = sigil(&[&common[..], &["--query", "include"]].concat());
    assert_eq!(
        stdout(&included),
        sigil_reference::aet_signature(b"k", 1_700_000_000_000, "POST", "v3/files?x=1", None)
    );
}

#[test]
fn usage_errors_exit_2_with_a_clear_message() {
    let bad_ts = sigil(&[
        "sign",
        "advance",
        "--access-key",
        "a",
        "--secret-key",
        "s",
        "--timestamp",
        "17000",
    ]);
    assert_eq!(bad_ts.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_ts.stderr).contains("--timestamp"));
    let twice = sigil(&[
        "sign",
        "aet",
        "--secret-key",
        "s",
        "--method",
        "GET",
        "--path",
        "/v3/x",
        "--body",
        "a",
        "--body-file",
        "f",
    ]);
    assert_eq!(twice.status.code(), Some(2));
    let bad_method = sigil(&[
        "sign",
        "aet",
        "--secret-key",
        "s",
        "--method",
        "GE T",
        "--path",
        "/v3/x",
    ]);
    assert_eq!(bad_method.status.code(), Some(2));
    let no_date = sigil(&[
        "verify",
        "avanan",
        "--app-id",
        "US:a",
        "--secret-key",
        "s",
        "--request-id",
        "r",
        "--signature",
        "00",
    ]);
    assert_eq!(no_date.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_date.stderr).contains("--date"));
}

#[test]
fn secret_never_printed_in_errors() {
    let secret = "TOP-SECRET-VALUE-1234";
    for args in [
        vec![
            "sign",
            "advance",
            "--access-key",
            "a",
            "--secret-key",
            secret,
            "--timestamp",
            "bad",
        ],
        vec![
            "verify",
            "aet",
            "--secret-key",
            secret,
            "--method",
            "GET",
            "--path",
            "/v3/x",
            "--signature",
            "x",
        ],
        vec![
            "sign",
            "aet",
            "--secret-key",
            secret,
            "--method",
            "GET",
            "--path",
            "/v3/x",
            "--body",
            "a",
            "--multipart",
        ],
    ] {
        let out = sigil(&args);
        assert_ne!(out.status.code(), Some(0));
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(secret), "secret leaked in {all}");
    }
}

#[test]
fn headers_include_generated_values_that_verify() {
    let out = sigil(&[
        "sign",
        "avanan",
        "--app-id",
        "US:myapp29",
        "--secret-key",
        "my_avanan_secret",
        "--headers",
    ]);
    let text = stdout(&out);
    let header = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .to_owned()
    };
    let (id, date, sig) = (
        header("x-av-req-id"),
        header("x-av-date"),
        header("x-av-sig"),
    );
    assert_eq!(id.len(), 36);
    assert!(!date.ends_with('Z') && date.contains('.'), "{date}");
    assert_eq!(
        sig,
        sigil_reference::avanan_signature(&id, "US:myapp29", &date, None, "my_avanan_secret")
    );

    let out = sigil(&[
        "sign",
        "advance",
        "--access-key",
        "ak",
        "--secret-key",
        "sk",
        "--headers",
    ]);
    let body: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let ts = body["timestamp"].as_u64().unwrap();
    assert_eq!(body["accessKey"], "ak");
    assert_eq!(
        body["signature"],
        sigil_reference::advance_signature("ak", "sk", ts)
    );
}
