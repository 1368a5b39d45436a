//! `scrollId` paging over `/v1.0/event/query`.

use sigil_models::avanan::{Event, EventQuery, EventQueryRequest};

use crate::{AvananClient, AvananError};

/// The default page limit of an [`EventPager`].
pub const DEFAULT_MAX_PAGES: usize = 1000;

/// Pages of events: each call to [`next_page`](Self::next_page) fetches the next page,
/// passing the previous page's `scrollId`, until the server returns no `scrollId` (or an
/// empty one) or an empty page. A server that repeats a `scrollId`, or more pages than the
/// limit (default [`DEFAULT_MAX_PAGES`]), end the paging with [`AvananError::Paging`].
/// After an error the pager stops.
#[derive(Debug)]
pub struct EventPager {
    client: AvananClient,
    query: EventQuery,
    done: bool,
    pages: usize,
    max_pages: usize,
    seen: std::collections::HashSet<String>,
    failure: Option<AvananError>,
}

impl EventPager {
    pub(crate) fn new(client: AvananClient, query: EventQuery) -> Self {
        Self {
            client,
            query,
            done: false,
            pages: 0,
            max_pages: DEFAULT_MAX_PAGES,
            seen: std::collections::HashSet::new(),
            failure: None,
        }
    }

    /// At most `max_pages` pages are fetched; asking for more is an error.
    pub fn max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = max_pages;
        self
    }

    /// The next page, or `None` after the last.
    pub async fn next_page(&mut self) -> Option<Result<Vec<Event>, AvananError>> {
        if let Some(failure) = self.failure.take() {
            self.done = true;
            return Some(Err(failure));
        }
        if self.done {
            return None;
        }
        if self.pages >= self.max_pages {
            self.done = true;
            return Some(Err(AvananError::Paging(format!(
                "more than {} pages",
                self.max_pages
            ))));
        }
        self.pages += 1;
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
                        if self.seen.insert(next.to_owned()) {
                            self.query.scroll_id = Some(next.to_owned());
                        } else {
                            // This page is delivered; the next call reports the loop.
                            self.failure =
                                Some(AvananError::Paging("the server repeated a scrollId".into()));
                        }
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
