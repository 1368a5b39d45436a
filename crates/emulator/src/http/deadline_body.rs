//! A request body with one deadline for the whole of it: a client that sends a byte now and
//! then cannot keep a connection (tower-http's `TimeoutBody` restarts its timer on every
//! frame, so it bounds the gaps, not the whole).

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use tokio::time::Instant;

/// The error a body past its deadline reads as.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not received within {0:?}")]
pub(crate) struct BodyDeadlineError(Duration);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A body that fails once `budget` has passed since it was made.
///
/// The timer is set only when the body has to be waited for: a body that is already in the
/// server's buffer (most small JSON bodies arrive with their headers) costs no timer. Frames
/// that are ready are never refused (nothing is being waited for); only waiting past the
/// deadline is.
pub(crate) struct DeadlineBody {
    inner: axum::body::Body,
    /// When the body must be complete.
    due: Instant,
    /// Set at the first wait.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    budget: Duration,
}

impl DeadlineBody {
    pub(crate) fn new(inner: axum::body::Body, budget: Duration) -> Self {
        // A budget past any real use (a year) stands for "none"; it keeps the sum in range.
        Self {
            inner,
            due: Instant::now() + budget.min(Duration::from_secs(86_400 * 365)),
            timer: None,
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
        let budget = this.budget;
        let late = move || Poll::Ready(Some(Err(Box::new(BodyDeadlineError(budget)) as BoxError)));
        // Once the body has been waited for, the timer is checked before every read.
        if let Some(timer) = &mut this.timer
            && timer.as_mut().poll(cx).is_ready()
        {
            return late();
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                Poll::Ready(frame.map(|f| f.map_err(|e| Box::new(e) as BoxError)))
            }
            Poll::Pending if this.timer.is_some() => Poll::Pending,
            Poll::Pending => {
                // The first wait: the deadline counts from when the body was made.
                let mut timer = Box::pin(tokio::time::sleep_until(this.due));
                let expired = timer.as_mut().poll(cx).is_ready();
                this.timer = Some(timer);
                if expired { late() } else { Poll::Pending }
            }
        }
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
