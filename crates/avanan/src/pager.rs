//! `scrollId` paging over `/v1.0/event/query`.

use sigil_models::avanan::{Event, EventQuery, EventQueryRequest};

use crate::{AvananClient, AvananError};

/// Pages of events: each call to [`next_page`](Self::next_page) fetches the next page,
/// passing the previous page's `scrollId`, until the server returns no `scrollId` (or an
/// empty one) or an empty page. After an error the pager stops.
#[derive(Debug)]
pub struct EventPager {
    client: AvananClient,
    query: EventQuery,
    done: bool,
}

impl EventPager {
    pub(crate) fn new(client: AvananClient, query: EventQuery) -> Self {
        Self {
            client,
            query,
            done: false,
        }
    }

    /// The next page, or `None` after the last.
    pub async fn next_page(&mut self) -> Option<Result<Vec<Event>, AvananError>> {
        if self.done {
            return None;
        }
        let body = EventQueryRequest {
            request_data: self.query.clone(),
        };
        let result = self
            .client
            .request::<_, Event>(http::Method::POST, "/v1.0/event/query", Some(&body))
            .await;
        match result {
            Ok(response) => {
                match response.response_envelope.next_scroll_id() {
                    Some(next) if !response.response_data.is_empty() => {
                        self.query.scroll_id = Some(next.to_owned());
                    }
                    _ => self.done = true,
                }
                Some(Ok(response.response_data))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }

    /// Every remaining event, page by page.
    pub async fn collect_all(mut self) -> Result<Vec<Event>, AvananError> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await {
            all.extend(page?);
        }
        Ok(all)
    }
}
