//! `scrollId` paging over `/v1.0/event/query`, as the live service pages.
//!
//! The live service keeps the position of a walk on its side and may answer the same
//! `scrollId` for every page of it, so a repeated cursor is normal and never ends a walk.
//! A walk ends on a page with fewer records than the `pageSize` asked for, on an empty page,
//! or on an empty (or absent) `scrollId`. What cannot happen live bounds it instead: a page
//! that repeats the records of the page before it, and a page limit.

use sigil_models::avanan::{Event, EventQuery, EventQueryRequest};

use crate::client::AvananClient;
use crate::error::{AvananError, PagingError};

/// The default page limit of an [`EventPager`] (10,000 pages).
pub const DEFAULT_MAX_PAGES: usize = 10_000;

/// The `pageSize` an [`EventPager`] asks for when the query sets none (100 records).
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// The most records [`EventPager::collect_all`] gathers by default (100,000).
pub const DEFAULT_MAX_RECORDS: usize = 100_000;

/// The most response bytes [`EventPager::collect_all`] reads by default (64 MiB).
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

const EVENT_QUERY_PATH: &str = "/v1.0/event/query";

/// Pages of events. Each call to [`next_page`](Self::next_page) fetches the next page with
/// the `pageSize` asked for (the query's, else [`DEFAULT_PAGE_SIZE`]) and the `scrollId` of
/// the previous answer, which may be the same one every time.
///
/// The walk ends after a page with fewer records than asked, an empty page, or an answer
/// without a `scrollId` (or an empty one). A page that repeats the previous page's records,
/// or more pages than the limit (default [`DEFAULT_MAX_PAGES`]), end it with
/// [`AvananError::Paging`]. After an error the pager stops.
///
/// The query is a `POST` that moves the server's position: it is never sent twice once the
/// server may have received it (a repeat could skip a page).
#[derive(Debug)]
pub struct EventPager {
    client: AvananClient,
    query: EventQuery,
    page_size: Option<u32>,
    done: bool,
    pages: usize,
    max_pages: usize,
    max_records: usize,
    max_bytes: usize,
    bytes: usize,
    previous: Vec<String>,
}

impl AvananClient {
    /// `POST /v1.0/event/query`, page by page, as the live service pages (see
    /// [`EventPager`]).
    pub fn events(&self, query: EventQuery) -> EventPager {
        EventPager::new(self.clone(), query)
    }
}

impl EventPager {
    fn new(client: AvananClient, query: EventQuery) -> Self {
        Self {
            client,
            page_size: query.page_size,
            query,
            done: false,
            pages: 0,
            max_pages: DEFAULT_MAX_PAGES,
            max_records: DEFAULT_MAX_RECORDS,
            max_bytes: DEFAULT_MAX_BYTES,
            bytes: 0,
            previous: Vec::new(),
        }
    }

    /// At most `max_pages` pages are fetched; a walk that needs more ends with
    /// [`PagingError::PageLimit`].
    pub fn max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = max_pages;
        self
    }

    /// At most `max_records` records are gathered by [`collect_all`](Self::collect_all)
    /// (default [`DEFAULT_MAX_RECORDS`]).
    pub fn max_records(mut self, max_records: usize) -> Self {
        self.max_records = max_records;
        self
    }

    /// At most `max_bytes` bytes of answers are read by [`collect_all`](Self::collect_all)
    /// (default [`DEFAULT_MAX_BYTES`]).
    pub fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Response bytes read so far.
    pub fn bytes_read(&self) -> usize {
        self.bytes
    }

    fn stop(&mut self, error: impl Into<AvananError>) -> Option<Result<Vec<Event>, AvananError>> {
        self.done = true;
        Some(Err(error.into()))
    }

    /// The next page, or `None` after the last.
    pub async fn next_page(&mut self) -> Option<Result<Vec<Event>, AvananError>> {
        if self.done {
            return None;
        }
        let page_size = match self.page_size {
            Some(0) => return self.stop(PagingError::ZeroPageSize),
            Some(n) => n,
            None => DEFAULT_PAGE_SIZE,
        };
        if self.pages >= self.max_pages {
            return self.stop(PagingError::PageLimit {
                limit: self.max_pages,
            });
        }
        self.pages += 1;
        self.query.page_size = Some(page_size);
        let body = EventQueryRequest {
            request_data: self.query.clone(),
        };
        let response = match self
            .client
            .send_serialized(http::Method::POST, EVENT_QUERY_PATH, Some(&body))
            .await
        {
            Ok(response) => response,
            Err(e) => return self.stop(e),
        };
        self.bytes = self.bytes.saturating_add(response.body().len());
        let answer = match AvananClient::decode::<Event>(response.body()) {
            Ok(answer) => answer,
            Err(e) => return self.stop(e),
        };
        let page = answer.response_data;
        let ids: Vec<String> = page.iter().map(|e| e.event_id.clone()).collect();
        if !page.is_empty() && ids == self.previous {
            return self.stop(PagingError::RepeatedPage { page: self.pages });
        }
        self.previous = ids;
        match answer.response_envelope.next_scroll_id() {
            Some(next) if !page.is_empty() && page.len() >= page_size as usize => {
                self.query.scroll_id = Some(next.to_owned());
            }
            _ => self.done = true,
        }
        Some(Ok(page))
    }

    /// Every remaining event, page by page, within the record and byte limits.
    pub async fn collect_all(mut self) -> Result<Vec<Event>, AvananError> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await {
            let page = page?;
            if self.bytes > self.max_bytes {
                return Err(PagingError::ByteLimit {
                    limit: self.max_bytes,
                }
                .into());
            }
            if all.len().saturating_add(page.len()) > self.max_records {
                return Err(PagingError::RecordLimit {
                    limit: self.max_records,
                }
                .into());
            }
            all.extend(page);
        }
        Ok(all)
    }
}
