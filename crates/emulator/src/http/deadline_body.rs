//! A request body with one deadline for the whole of it: a client that sends a byte now and
//! then cannot keep a connection (tower-http's `TimeoutBody` restarts its timer on every
//! frame, so it bounds the gaps, not the whole).

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;

/// The error a body past its deadline reads as.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not received within {0:?}")]
pub(crate) struct BodyDeadlineError(Duration);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A body that fails once `budget` has passed since it was made.
pub(crate) struct DeadlineBody {
    inner: axum::body::Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
    budget: Duration,
}

impl DeadlineBody {
    pub(crate) fn new(inner: axum::body::Body, budget: Duration) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(budget)),
            budget,
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Box::new(BodyDeadlineError(this.budget)))));
        }
        Pin::new(&mut this.inner)
            .poll_frame(cx)
            .map_err(|e| Box::new(e) as BoxError)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use http_body_util::BodyExt as _;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_trickle_of_frames_meets_one_deadline() {
        // One byte every 200 ms for ever: each gap is short, the whole is not.
        let trickle = futures_util::stream::unfold((), |()| async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            Some((Ok::<_, std::io::Error>(Bytes::from_static(b"x")), ()))
        });
        let body = DeadlineBody::new(
            axum::body::Body::from_stream(trickle),
            Duration::from_secs(2),
        );
        let started = tokio::time::Instant::now();
        let err = body.collect().await.err().unwrap();
        assert!(err.to_string().contains("not received within"), "{err}");
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        // A body that arrives in time is read whole.
        let body = DeadlineBody::new(axum::body::Body::from("done"), Duration::from_secs(2));
        assert_eq!(body.collect().await.unwrap().to_bytes(), "done");
    }
}
