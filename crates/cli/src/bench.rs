//! `sigil bench`: ns per signature of sigil, of the plain reference implementation, of the
//! raw SHA-256 compression floor and of that floor plus the scheme's output steps (the
//! encoded floor), measured side by side in one process; then the cost of
//! building one whole signed request per vendor (text report only: `--json` keeps its
//! per-scheme signature rows).

use std::time::Duration;

use clap::Args;

use sigil_benches::requests;
use sigil_benches::{Case, Fixture, Measurement, Plan};

/// Options of `sigil bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Print JSON (a list of objects with scheme, sigil_ns, reference_ns, floor_ns).
    #[arg(long)]
    json: bool,
    /// Fewer, shorter rounds: a smoke run, not a measurement to quote.
    #[arg(long)]
    quick: bool,
    /// Measure only this scheme (repeatable); the whole-request section is then left out.
    #[arg(long = "scheme", value_name = "SCHEME", value_parser = scheme_parser())]
    schemes: Vec<String>,
}

/// Accepts exactly the scheme names of the report.
fn scheme_parser() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(Case::ALL.map(Case::name))
}

/// The cases `--scheme` selects, in report order (all of them when none is named).
fn selected_cases(schemes: &[String]) -> Vec<Case> {
    Case::ALL
        .into_iter()
        .filter(|case| schemes.is_empty() || schemes.iter().any(|s| s == case.name()))
        .collect()
}

/// Runs every case and formats the report.
pub(crate) fn run(args: &BenchArgs) -> String {
    let plan = if args.quick {
        Plan {
            batch: Duration::from_micros(500),
            rounds: 3,
        }
    } else {
        Plan::default()
    };
    let fixture = Fixture::new(1 << 20);
    let results: Vec<Measurement> = selected_cases(&args.schemes)
        .into_iter()
        .map(|case| sigil_benches::measure(&fixture, case, plan))
        .collect();
    if args.json {
        json(&results)
    } else if args.schemes.is_empty() {
        format!("{}\n\n{}", table(&results), requests(plan))
    } else {
        table(&results)
    }
}

/// What a user pays per request: one signed request per vendor through the public client
/// API, no network (`cargo bench --bench requests` adds the allocation counts).
fn requests(plan: Plan) -> String {
    let fixture = requests::RequestFixture::new();
    let mut out = format!("{:<28} {:>10}\n", "whole request (no network)", "ns");
    for case in requests::RequestCase::ALL {
        let ns = requests::measure_request(&fixture, case, plan);
        out.push_str(&format!("{:<28} {:>10.1}\n", case.name(), ns));
    }
    let overhead = requests::measure_runtime_overhead(&fixture, plan);
    out.push_str(&format!(
        "{:<28} {:>10.1}   (part of request_advance_authorize)",
        "runtime block_on", overhead
    ));
    out
}

fn json(results: &[Measurement]) -> String {
    let rows: Vec<serde_json::Value> = results
        .iter()
        .map(|m| {
            serde_json::json!({
                "scheme": m.case.name(),
                "sigil_ns": round2(m.sigil_ns),
                "reference_ns": round2(m.reference_ns),
                "floor_ns": round2(m.floor_ns),
                "floor_chained_ns": round2(m.floor_chained_ns),
                "encoded_floor_ns": round2(m.encoded_floor_ns),
                "compressions": m.compressions,
                "sigil_over_floor": round2(m.sigil_ns / m.floor_ns),
                "reference_over_sigil": round2(m.reference_ns / m.sigil_ns),
                "sigil_over_encoded_floor": round2(m.sigil_ns / m.encoded_floor_ns),
            })
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn table(results: &[Measurement]) -> String {
    let mut out = format!(
        "{:<16} {:>6} {:>10} {:>13} {:>9} {:>11} {:>11} {:>12} {:>16} {:>14} {:>14}\n",
        "scheme",
        "blocks",
        "sigil ns",
        "reference ns",
        "floor ns",
        "chained ns",
        "encoded ns",
        "sigil/floor",
        "reference/sigil",
        "sigil/chained",
        "sigil/encoded"
    );
    for m in results {
        out.push_str(&format!(
            "{:<16} {:>6} {:>10.1} {:>13.1} {:>9.1} {:>11.1} {:>11.1} {:>12.2} {:>16.2} {:>14.2} {:>14.2}\n",
            m.case.name(),
            m.compressions,
            m.sigil_ns,
            m.reference_ns,
            m.floor_ns,
            m.floor_chained_ns,
            m.encoded_floor_ns,
            m.sigil_ns / m.floor_ns,
            m.reference_ns / m.sigil_ns,
            m.sigil_ns / m.floor_chained_ns,
            m.sigil_ns / m.encoded_floor_ns
        ));
    }
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    use super::{Case, selected_cases};
    use sigil_benches::requests::{RequestCase, RequestFixture};

    #[test]
    fn scheme_filter_keeps_report_order_and_defaults_to_all() {
        assert_eq!(selected_cases(&[]), Case::ALL.to_vec());
        let named = ["avanan_auth".to_owned(), "advance".to_owned()];
        assert_eq!(
            selected_cases(&named),
            vec![Case::Advance, Case::AvananAuth]
        );
    }

    #[test]
    fn every_whole_request_case_builds_a_signed_request() {
        let fx = RequestFixture::new();
        assert_eq!(fx.build(RequestCase::AetPost), 5);
        assert!(fx.build(RequestCase::AvananRequest) >= 6);
        assert_eq!(fx.build(RequestCase::AdvanceAuthorize), 1);
    }
}
