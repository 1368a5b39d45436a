//! Event walks through the real reqwest transport against the real emulator over loopback,
//! in both cursor modes: the live service's (one `scrollId` for a whole walk) and the
//! rotating one (a new `scrollId` per page).

#![allow(clippy::unwrap_used)] // Tests: a panic is the failure report.

use std::collections::HashSet;

use sigil_avanan::{AvananClient, Event, EventQuery, SecretKey};
use sigil_emulator::{Emulator, EmulatorConfig, EventCursors, SAMPLE_AVANAN};

const EVENTS: usize = 2500;

async fn emulator(cursors: EventCursors) -> Emulator {
    let config = EmulatorConfig {
        seeded_events: EVENTS,
        event_cursors: cursors,
        seed: Some(7),
        ..EmulatorConfig::default()
    };
    Emulator::start_local(config).await.unwrap()
}

fn client(emulator: &Emulator) -> AvananClient {
    AvananClient::builder(
        SAMPLE_AVANAN.0,
        SecretKey::new(SAMPLE_AVANAN.1.as_bytes()).unwrap(),
    )
    .base_url(emulator.base_url())
    .build()
    .unwrap()
}

fn created(event: &Event) -> &str {
    event.event_created().unwrap()
}

/// Each event exactly once, oldest first.
fn assert_complete_and_ordered(events: &[Event], what: &str) {
    let ids: HashSet<&str> = events.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), events.len(), "{what}: an event came twice");
    assert_eq!(events.len(), EVENTS, "{what}: events missing");
    assert!(
        events.windows(2).all(|w| created(&w[0]) <= created(&w[1])),
        "{what}: not oldest first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pager_walks_every_event_once_in_order_in_both_cursor_modes() {
    for cursors in [EventCursors::Stable, EventCursors::Rotating] {
        let emulator = emulator(cursors).await;
        let client = client(&emulator);
        for page_size in [1u32, 7, 100, 1000] {
            let what = format!("{cursors:?}, pageSize {page_size}");
            let mut pager = client.events(EventQuery {
                page_size: Some(page_size),
                ..EventQuery::default()
            });
            let mut events = Vec::new();
            let mut cursors_seen = HashSet::new();
            while let Some(page) = pager.next_page().await {
                let page = page.unwrap();
                assert!(page.len() <= page_size as usize, "{what}");
                events.extend(page);
            }
            let pages = EVENTS.div_ceil(page_size as usize);
            // A full last page is followed by no extra request: the emulator ends the walk
            // with an empty scrollId.
            assert_eq!(pager.pages(), pages, "{what}");
            assert_complete_and_ordered(&events, &what);
            // The same walk again with the raw envelope: recordsNumber is the total, and in
            // the live-like mode every page but the last carries the same scrollId.
            let mut scroll: Option<String> = None;
            for _ in 0..pages.min(5) {
                let response = client
                    .request::<_, Event>(
                        sigil_avanan::Method::POST,
                        "/v1.0/event/query",
                        Some(&sigil_avanan::models::avanan::EventQueryRequest {
                            request_data: EventQuery {
                                page_size: Some(page_size),
                                scroll_id: scroll.clone(),
                                ..EventQuery::default()
                            },
                        }),
                    )
                    .await
                    .unwrap();
                let envelope = response.response_envelope;
                assert_eq!(envelope.records_number, Some(EVENTS as i64), "{what}");
                let next = envelope.scroll_id.unwrap();
                if !next.is_empty() {
                    cursors_seen.insert(next.clone());
                }
                scroll = Some(next).filter(|s| !s.is_empty());
            }
            match cursors {
                EventCursors::Stable => assert!(cursors_seen.len() <= 1, "{what}"),
                _ => assert_eq!(cursors_seen.len(), pages.min(5).min(pages - 1), "{what}"),
            }
        }
        emulator.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_fetch_over_four_runs_with_a_backlog_sees_every_event_once() {
    // As widely used integrations fetch: up to a limit per run, the last record's
    // eventCreated as the next run's startDate, records equal to the last seen skipped.
    const PER_RUN: usize = 1000;
    for cursors in [EventCursors::Stable, EventCursors::Rotating] {
        let emulator = emulator(cursors).await;
        let client = client(&emulator);
        let mut seen: Vec<Event> = Vec::new();
        let mut start: Option<String> = None;
        let mut runs = Vec::new();
        for _ in 0..4 {
            let mut pager = client.events(EventQuery {
                start_date: start.clone(),
                page_size: Some(100),
                ..EventQuery::default()
            });
            let mut fetched = 0;
            'run: while let Some(page) = pager.next_page().await {
                for event in page.unwrap() {
                    let at_boundary = start.as_deref() == Some(created(&event))
                        && seen.iter().any(|s| s.event_id == event.event_id);
                    if at_boundary {
                        continue;
                    }
                    start = Some(created(&event).to_owned());
                    seen.push(event);
                    fetched += 1;
                    if fetched == PER_RUN {
                        break 'run;
                    }
                }
            }
            runs.push(fetched);
        }
        assert_eq!(runs, [1000, 1000, 500, 0], "{cursors:?}");
        assert_complete_and_ordered(&seen, &format!("{cursors:?}"));
        emulator.shutdown().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_date_only_start_date_is_accepted() {
    let emulator = emulator(EventCursors::Stable).await;
    let events = client(&emulator)
        .events(EventQuery {
            start_date: Some("2000-01-01".into()),
            page_size: Some(1000),
            ..EventQuery::default()
        })
        .collect_all()
        .await
        .unwrap();
    assert_eq!(events.len(), EVENTS);
    emulator.shutdown().await.unwrap();
}

/// A loopback HTTP server that answers `/v1.0/auth` with a token and every other request with
/// the same page of events and the same `scrollId`, forever; returns its base URL and how
/// many event queries it answered.
async fn server_repeating_one_page() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let queries = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = queries.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counted = counted.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut seen = Vec::new();
                loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    // One request at a time: headers, then the body its content-length says.
                    let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&seen[..end]).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap_or(0));
                    if seen.len() < end + 4 + length {
                        continue;
                    }
                    seen.drain(..end + 4 + length);
                    let body = if head.starts_with("get /v1.0/auth") {
                        // A JWT with no lifetime claims: kept for the default hour.
                        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJVUzpteWFwcDI5In0.c2ln".to_owned()
                    } else {
                        counted.fetch_add(1, Ordering::SeqCst);
                        serde_json::json!({
                            "responseEnvelope": {"requestId": "r", "responseCode": 200,
                                "responseText": "", "additionalText": "", "recordsNumber": 60,
                                "scrollId": "0123456789abcdef0123456789abcdef"},
                            "responseData": [{"eventId": "e1"}, {"eventId": "e2"}],
                        })
                        .to_string()
                    };
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if socket.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (base, queries)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_repeating_one_page_forever_is_stopped_inside_the_page_limit() {
    let (base, queries) = server_repeating_one_page().await;
    let client = AvananClient::builder(
        SAMPLE_AVANAN.0,
        SecretKey::new(SAMPLE_AVANAN.1.as_bytes()).unwrap(),
    )
    .base_url(&base)
    .build()
    .unwrap();
    let err = client
        .events(EventQuery {
            page_size: Some(2),
            ..EventQuery::default()
        })
        .max_pages(50)
        .collect_all()
        .await
        .unwrap_err();
    assert_eq!(
        err,
        sigil_avanan::AvananError::Paging(sigil_avanan::PagingError::RepeatedPage { page: 2 })
    );
    // Two queries: the page, and the same page again; far inside the limit of 50.
    assert_eq!(queries.load(std::sync::atomic::Ordering::SeqCst), 2);
}
