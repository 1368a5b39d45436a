//! The command line as a shell user meets it: help that agrees with behaviour, usage errors
//! naming their flag, network errors naming the URL, a closed stdout, completions, JSON.

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::io::Read;
use std::process::{Command, Output, Stdio};

fn sigil(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigil"))
        .args(args)
        .env_remove("SIGIL_SECRET_KEY")
        .env_remove("SIGIL_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every subcommand path, from `--help` listings.
fn subcommands(prefix: &[&str]) -> Vec<Vec<String>> {
    let mut args: Vec<&str> = prefix.to_vec();
    args.push("--help");
    let help = String::from_utf8(sigil(&args).stdout).unwrap();
    let mut found = Vec::new();
    let mut in_commands = false;
    for line in help.lines() {
        if line.starts_with("Commands:") {
            in_commands = true;
            continue;
        }
        if in_commands {
            let Some(name) = line
                .strip_prefix("  ")
                .and_then(|l| l.split_whitespace().next())
            else {
                break;
            };
            if name == "help" {
                continue;
            }
            let mut path: Vec<String> = prefix.iter().map(|s| (*s).to_owned()).collect();
            path.push(name.to_owned());
            found.push(path);
        }
    }
    found
}

#[test]
fn every_help_ends_with_examples() {
    let mut all = vec![vec![]];
    let mut queue = subcommands(&[]);
    while let Some(path) = queue.pop() {
        let refs: Vec<&str> = path.iter().map(String::as_str).collect();
        queue.extend(subcommands(&refs));
        all.push(path);
    }
    assert!(all.len() > 15, "{all:?}");
    for path in all {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = String::from_utf8(sigil(&args).stdout).unwrap();
        assert!(
            help.contains("\nExamples:\n  sigil"),
            "{path:?} has no examples"
        );
    }
}

#[test]
fn help_agrees_with_behaviour() {
    // verify: no hidden defaults, no --token.
    let help = String::from_utf8(sigil(&["verify", "aet", "--help"]).stdout).unwrap();
    assert!(!help.contains("--token"), "{help}");
    assert!(!help.contains("default: now"), "{help}");
    let missing = sigil(&[
        "verify",
        "aet",
        "--secret-key",
        "s",
        "--method",
        "GET",
        "--path",
        "/v3/users",
        "--signature",
        "x",
    ]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("--timestamp"));
    // Regions: the values are listed, and only the documented spelling is taken.
    let help = String::from_utf8(sigil(&["advance", "token", "--help"]).stdout).unwrap();
    assert!(help.contains("ID, IN, MY, PH, SG, TH, VN or MX"), "{help}");
    let lower = sigil(&[
        "avanan",
        "token",
        "--app-id",
        "US:x",
        "--secret-key",
        "s",
        "--region",
        "eu",
    ]);
    assert_eq!(lower.status.code(), Some(2));
    assert!(
        stderr(&lower).contains("US, EU, AU, CA, UK, IN, UAE"),
        "{}",
        stderr(&lower)
    );
}

#[test]
fn mistakes_caught_before_the_network_are_usage_errors_naming_the_flag() {
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "aet",
                "request",
                "--token",
                "t",
                "--secret-key",
                "s",
                "--method",
                "GET",
                "--path",
                "/v3/users",
                "--base-url",
                "http://127.0.0.1:99999",
            ],
            "--base-url",
        ),
        (
            vec![
                "avanan",
                "request",
                "--app-id",
                "US:x",
                "--secret-key",
                "s",
                "--method",
                "GET",
                "--path",
                "v1.0/scopes",
                "--base-url",
                "http://127.0.0.1:9",
            ],
            "--path",
        ),
        (
            vec![
                "sign",
                "aet",
                "--secret-key",
                "s",
                "--method",
                "GET",
                "--path",
                "https://host.example/v3/users",
            ],
            "--path",
        ),
        (
            vec![
                "sign",
                "avanan",
                "--app-id",
                "US:x",
                "--secret-key",
                "s",
                "--request-string",
                "v1.0/scopes",
            ],
            "--request-string",
        ),
        (vec!["emulator", "--idv-region", "phl"], "--idv-region"),
        (
            vec![
                "aet",
                "request",
                "--token",
                "t",
                "--secret-key",
                "s",
                "--method",
                "POST",
                "--path",
                "/v3/users",
                "--body-file",
                "/nonexistent/body.json",
            ],
            "--body-file",
        ),
        (
            vec![
                "aet",
                "request",
                "--token",
                "t",
                "--secret-key",
                "s",
                "--method",
                "GET",
                "--path",
                "/v3/users",
                "--timeout",
                "soon",
            ],
            "--timeout",
        ),
    ];
    for (args, flag) in cases {
        let out = sigil(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(flag), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn numeric_emulator_flags_out_of_range_are_usage_errors() {
    for (flag, value) in [
        ("--max-connections", "18446744073709551615"),
        ("--max-connections", "0"),
        ("--max-json-body", "0"),
        ("--max-sessions", "99999999999"),
        ("--max-event-page-size", "0"),
        ("--max-state-bytes", "1"),
        ("--header-read-timeout", "0s"),
        ("--body-read-timeout", "100years"),
        ("--token-lifetime", "0s"),
        ("--fault-latency", "2h"),
        ("--event-cursors", "sideways"),
    ] {
        let out = sigil(&["emulator", flag, value]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{flag} {value}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains(flag),
            "{flag} {value}: {}",
            stderr(&out)
        );
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
}

#[test]
fn a_password_or_query_in_a_base_url_is_never_printed() {
    for base in [
        "http://user:PASSWORD@127.0.0.1:9",
        "http://127.0.0.1:9/?key=PASSWORD",
    ] {
        let out = sigil(&[
            "avanan",
            "request",
            "--app-id",
            "US:x",
            "--secret-key",
            "s",
            "--method",
            "GET",
            "--path",
            "/v1.0/scopes",
            "--base-url",
            base,
        ]);
        assert_eq!(out.status.code(), Some(2), "{base}: {}", stderr(&out));
        assert!(stderr(&out).contains("--base-url"), "{}", stderr(&out));
        assert!(!stderr(&out).contains("PASSWORD"), "{}", stderr(&out));
        assert!(!String::from_utf8_lossy(&out.stdout).contains("PASSWORD"));
    }
}

#[test]
fn network_errors_name_the_url_and_the_likely_cause() {
    // A plain-HTTP listener reached over https://, and a port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Answers every attempt (the client retries connection failures); never joined, it
    // ends with the test process.
    std::thread::spawn(move || {
        while let Ok((mut socket, _)) = listener.accept() {
            use std::io::Write;
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf);
            let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let tls = sigil(&[
        "aet",
        "request",
        "--token",
        "t",
        "--secret-key",
        "s",
        "--method",
        "POST",
        "--path",
        "/v3/users",
        "--base-url",
        &format!("https://127.0.0.1:{port}"),
        "--timeout",
        "5s",
    ]);
    assert_eq!(tls.status.code(), Some(1));
    let text = stderr(&tls);
    assert!(
        text.contains(&format!("https://127.0.0.1:{port}")),
        "{text}"
    );
    assert!(text.contains("does not speak TLS"), "{text}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let refused = sigil(&[
        "avanan",
        "token",
        "--app-id",
        "US:x",
        "--secret-key",
        "s",
        "--base-url",
        &format!("http://127.0.0.1:{port}"),
        "--timeout",
        "3s",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let text = stderr(&refused);
    assert!(text.contains(&format!("http://127.0.0.1:{port}")), "{text}");
    assert!(text.contains("connection refused"), "{text}");
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sigil"))
        .arg("demo")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is dropped here: the rest of the demo writes into a closed pipe.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn demo_json_and_completions() {
    let out = sigil(&["demo", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["failed"], 0);
    assert!(report["passed"].as_u64().unwrap() >= 20);
    assert!(
        report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["ok"] == true)
    );
    for shell in ["bash", "zsh", "fish"] {
        let out = sigil(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0));
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(
            script.contains("sigil") && script.contains("emulator"),
            "{shell}"
        );
    }
    assert_eq!(sigil(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn bench_scheme_selects_rows_and_unknown_names_are_usage_errors() {
    let out = sigil(&[
        "bench",
        "--quick",
        "--json",
        "--scheme",
        "avanan_auth",
        "--scheme",
        "advance",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let schemes: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["scheme"].as_str().unwrap())
        .collect();
    assert_eq!(schemes, ["advance", "avanan_auth"]);
    let table = sigil(&["bench", "--quick", "--scheme", "aet_get"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("aet_get") && !text.contains("advance"),
        "{text}"
    );
    assert!(!text.contains("whole request"), "{text}");
    let unknown = sigil(&["bench", "--scheme", "aet"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("aet_get"), "{}", stderr(&unknown));
}

#[test]
fn emulator_help_lists_every_built_in_account() {
    let out = sigil(&["emulator", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for (id, secret) in [
        sigil_emulator::SAMPLE_ADVANCE,
        sigil_emulator::SAMPLE_ADVANCE_DISABLED,
        sigil_emulator::SAMPLE_AET,
        sigil_emulator::SAMPLE_AVANAN,
        sigil_emulator::SAMPLE_AVANAN_INFINITY,
    ] {
        assert!(help.contains(id) && help.contains(secret), "{id}: {help}");
    }
}

#[test]
fn the_emulator_listens_on_a_host_name() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sigil"))
        .args(["emulator", "--addr", "localhost:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.starts_with("listening on http://127.0.0.1:")
            || line.starts_with("listening on http://[::1]:"),
        "{line}"
    );
    let out = sigil(&["emulator", "--addr", "no-such-host.invalid:0"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--addr"), "{}", stderr(&out));
}

#[test]
fn headers_help_says_what_each_scheme_prints() {
    for (scheme, says) in [
        ("advance", "generate-token JSON body"),
        ("aet", "request headers"),
        ("avanan", "x-av-* request headers"),
    ] {
        let out = sigil(&["sign", scheme, "--help"]);
        let help = String::from_utf8_lossy(&out.stdout);
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with("--headers"))
            .unwrap_or("");
        assert!(line.contains(says), "{scheme}: {line}");
        if scheme != "advance" {
            assert!(!line.contains("ADVANCE"), "{scheme}: {line}");
        }
    }
}

#[test]
fn bench_help_explains_every_column() {
    let out = sigil(&["bench", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for column in [
        "blocks",
        "sigil ns",
        "reference ns",
        "floor ns",
        "chained ns",
        "encoded ns",
        "sigil/floor",
        "reference/sigil",
        "sigil/chained",
        "sigil/encoded",
    ] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(column)),
            "{column} is not explained: {help}"
        );
    }
}

#[test]
fn idv_url_errors_name_the_flag_typed() {
    for (flag, args) in [
        ("--return-url", ["ftp://x.example", "https://ok.example"]),
        ("--fail-return-url", ["https://ok.example", "not a url"]),
    ] {
        let out = sigil(&[
            "advance",
            "idv-url",
            "--access-key",
            "a",
            "--secret-key",
            "s",
            "--return-url",
            args[0],
            "--fail-return-url",
            args[1],
            "--country",
            "IDN",
        ]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(flag), "{}", stderr(&out));
        assert!(!stderr(&out).contains("returnUrl"), "{}", stderr(&out));
    }
}
