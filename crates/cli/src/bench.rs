//! `sigil bench`: ns per signature of sigil, of the plain reference implementation and of
//! the raw SHA-256 compression floor, measured side by side in one process.

use std::time::Duration;

use clap::Args;
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
    let results: Vec<Measurement> = Case::ALL
        .iter()
        .map(|&case| sigil_benches::measure(&fixture, case, plan))
        .collect();
    if args.json {
        json(&results)
    } else {
        table(&results)
    }
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
                "compressions": m.compressions,
                "sigil_over_floor": round2(m.sigil_ns / m.floor_ns),
                "reference_over_sigil": round2(m.reference_ns / m.sigil_ns),
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
        "{:<16} {:>6} {:>10} {:>13} {:>9} {:>11} {:>12} {:>16} {:>14}\n",
        "scheme",
        "blocks",
        "sigil ns",
        "reference ns",
        "floor ns",
        "chained ns",
        "sigil/floor",
        "reference/sigil",
        "sigil/chained"
    );
    for m in results {
        out.push_str(&format!(
            "{:<16} {:>6} {:>10.1} {:>13.1} {:>9.1} {:>11.1} {:>12.2} {:>16.2} {:>14.2}\n",
            m.case.name(),
            m.compressions,
            m.sigil_ns,
            m.reference_ns,
            m.floor_ns,
            m.floor_chained_ns,
            m.sigil_ns / m.floor_ns,
            m.reference_ns / m.sigil_ns,
            m.sigil_ns / m.floor_chained_ns
        ));
    }
    out.pop();
    out
}
