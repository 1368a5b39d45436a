//! The HTTP server loop: at most `max_connections` connections, a header-read timeout that
//! also closes idle keep-alive and half-open connections, header size and count limits, and
//! a shutdown that is graceful for a bounded time.
//!
//! At the connection cap, a new connection makes room by closing the oldest connection that
//! has no request in flight (an idle keep-alive or a half-open one), so that clients holding
//! connections open without sending anything cannot lock others out for the header timeout.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, TryAcquireError, watch};

use crate::Limits;
use crate::sync::lock;

/// One open connection, as the accept loop sees it.
struct Slot {
    /// Requests in flight on it.
    busy: Arc<AtomicUsize>,
    /// Wakes the connection's task: to close it at once (making room), or, once the server
    /// is shutting down, to close it gracefully. One signal, so a connection waits on one
    /// future besides its own.
    close: Arc<Notify>,
}

/// Open connections by the order they were accepted in.
#[derive(Default)]
struct Registry {
    slots: Mutex<BTreeMap<u64, Slot>>,
}

impl Registry {
    /// Closes the oldest connection with no request in flight, if there is one.
    fn close_oldest_idle(&self) {
        let slots = lock(&self.slots);
        if let Some(slot) = slots.values().find(|s| s.busy.load(Ordering::SeqCst) == 0) {
            slot.close.notify_one();
        }
    }

    /// Wakes every connection (the server is shutting down: each closes gracefully).
    fn wake_all(&self) {
        for slot in lock(&self.slots).values() {
            slot.close.notify_one();
        }
    }
}

/// Counts a request in flight for as long as it lives.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn new(busy: &Arc<AtomicUsize>) -> Self {
        busy.fetch_add(1, Ordering::SeqCst);
        Self(busy.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves `handle` on `listener` until `shutdown` turns true, then lets requests in flight
/// finish for at most `limits.shutdown_grace` before closing what is left.
pub(crate) async fn serve<H, F>(
    listener: TcpListener,
    handle: H,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()>
where
    H: Fn(axum::extract::Request) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = axum::response::Response> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(
        limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let registry = Arc::new(Registry::default());
    let mut connections = tokio::task::JoinSet::new();
    let mut next_id: u64 = 0;
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait a little rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(TryAcquireError::Closed) => break,
            Err(TryAcquireError::NoPermits) => {
                // At the cap: make room by closing an idle or half-open connection, else
                // wait for one to end.
                registry.close_oldest_idle();
                tokio::select! {
                    permit = permits.clone().acquire_owned() => match permit {
                        Ok(permit) => permit,
                        Err(_) => break,
                    },
                    _ = shutdown.changed() => break,
                }
            }
        };
        let id = next_id;
        next_id += 1;
        let busy = Arc::new(AtomicUsize::new(0));
        let close = Arc::new(Notify::new());
        lock(&registry.slots).insert(
            id,
            Slot {
                busy: busy.clone(),
                close: close.clone(),
            },
        );
        let handle = handle.clone();
        let limits = limits.clone();
        let registry = registry.clone();
        let stop = shutdown.clone();
        connections.spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let in_flight = InFlight::new(&busy);
                let answer = handle(request.map(axum::body::Body::new));
                async move {
                    let response = answer.await;
                    drop(in_flight);
                    Ok::<_, Infallible>(response)
                }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .max_headers(limits.max_headers)
                .max_buf_size(limits.max_header_bytes.max(8192));
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = close.notified() => {
                    // Shutting down: requests in flight finish within the grace period.
                    // Otherwise it was chosen to make room: it had no request in flight, so
                    // closing it at once loses nothing.
                    if *stop.borrow() {
                        connection.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(limits.shutdown_grace, connection).await;
                    }
                }
            }
            lock(&registry.slots).remove(&id);
        });
        // Reap finished connection tasks so the set does not grow.
        while connections.try_join_next().is_some() {}
    }
    // Every connection learns of the shutdown; requests in flight finish within the grace
    // period; connections still open after it (a client trickling a body, say) are closed.
    registry.wake_all();
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
    Ok(())
}
