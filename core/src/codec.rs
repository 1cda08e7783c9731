//! What provider codecs and the pipeline exchange: a reply, its parsed result, the parsers and
//! readers a provider lends a call. Both `pipeline` and `providers` depend on this module,
//! never on each other.

use crate::classify::{parse_error_body, ErrorBody};
use crate::error::ApiError;
use crate::host::{Headers, HttpRequest};
use crate::stats::Usage;
use std::rc::Rc;

/// A complete response, handed to the codec's parser.
pub struct Reply {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
}

/// What a codec makes of a successful reply: the normalized result as JSON text (the raw
/// body is spliced in verbatim, never re-encoded), and the tokens it used.
#[derive(Debug, Default)]
pub struct Parsed {
    pub json: String,
    pub usage: Option<Usage>,
    /// Binary content that does not belong in JSON (an object's bytes); hosts attach it to
    /// the result as `body`.
    pub bytes: Option<Vec<u8>>,
}

/// Parses a 2xx reply; the second argument is the client's own request id, for results whose
/// server gave none.
pub type Parser = Box<dyn Fn(&Reply, &str) -> Result<Parsed, ApiError>>;

/// Reads a provider's error body; the default understands the common JSON shapes.
pub type ErrorReader = fn(u16, &[u8]) -> ErrorBody;

/// The default [`ErrorReader`].
pub fn json_errors(_status: u16, body: &[u8]) -> ErrorBody {
    parse_error_body(body)
}

/// Rebuilds a request for an attempt at the given Unix time: for requests whose signature
/// carries its date (S3's SigV4 expires after 15 minutes), so a call that waited long in the
/// queue or in backoff is signed afresh.
pub type Resigner = Rc<dyn Fn(f64) -> HttpRequest>;

/// Items decoded from one read of a stream, and the error that ended it, if any. Items
/// decoded before an error in the same read are kept: they reach the caller first.
#[derive(Debug, Default)]
pub struct Fed {
    pub items: Vec<String>,
    pub error: Option<ApiError>,
}

impl Fed {
    /// The items, or the error if there was one (the items before it are dropped): for
    /// callers that only need to know whether the bytes decoded.
    pub fn result(self) -> Result<Vec<String>, ApiError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.items),
        }
    }

    pub fn items(items: Vec<String>) -> Fed {
        Fed { items, error: None }
    }
    pub fn failed(items: Vec<String>, error: ApiError) -> Fed {
        Fed {
            items,
            error: Some(error),
        }
    }
}

/// A provider's stream framing and event mapping. Items are the JSON text of the stream
/// items (`{ delta, text, done, finish_reason?, usage? }`).
pub trait StreamCodec {
    /// Forget everything: a new attempt starts.
    fn reset(&mut self);
    /// Whether [`StreamCodec::text`] keeps the text delivered (the default). A host that
    /// keeps the text itself turns it off, so a stream's text is held once.
    fn keep_text(&mut self, keep: bool);
    /// Items decoded from these bytes, and the error the server sent inside the stream (or a
    /// frame that did not decode) after them.
    fn feed(&mut self, bytes: &[u8]) -> Fed;
    /// The body ended: the items still buffered, and an error if the stream was cut short.
    fn finish(&mut self) -> Fed;
    /// The text delivered so far (an interrupted stream's `partialText`).
    fn text(&self) -> &str;
    fn usage(&self) -> Option<Usage>;
    /// The final item (`done: true`) has been produced.
    fn done(&self) -> bool;
    /// A 2xx response's status and headers, before its first bytes: a codec may refuse it.
    fn head(&mut self, _status: u16, _headers: &Headers) -> Result<(), ApiError> {
        Ok(())
    }
    /// The bytes of the item just delivered, for codecs whose items are raw bytes
    /// ([`crate::stream::RawCodec`]); `None` for the others.
    fn take_bytes(&mut self) -> Option<Vec<u8>> {
        None
    }
}
