//! What every provider's stream codec shares: the stream items of docs/api.md, the running
//! text/finish reason/usage/done bookkeeping, and one [`StreamCodec`] over any framing
//! ([`SseDecoder`] events or [`NdjsonDecoder`] lines). A provider writes only its per-frame
//! handler and its end-of-stream rule ([`FrameHandler`]); OpenAI-style chunk streams share
//! their handler too ([`ChunkEvents`]).

use super::read::Fields;
use super::replies::{openai_usage, raw_usage};
use crate::classify::classify_stream_error;
use crate::codec::{Fed, StreamCodec};
use crate::error::ErrorType;
use crate::providers::ResultJson;
use crate::providers::{fail, Fail};
use crate::stats::Usage;
use crate::stream::{DecodeError, NdjsonDecoder, SseDecoder, SseEvent};
use std::marker::PhantomData;

/// One streamed item: `{ "delta": ..., "done": false }`.
pub fn delta_item(delta: &str) -> String {
    let mut item = ResultJson::new(delta.len() + 32);
    item.str("delta", delta).raw("done", "false");
    item.finish()
}

/// The last streamed item: `{ "delta": "", "done": true, finish_reason, usage }`.
pub fn final_item(finish_reason: Option<&str>, usage: Option<&Usage>) -> String {
    let mut item = ResultJson::new(160);
    item.str("delta", "")
        .raw("done", "true")
        .opt_str("finish_reason", finish_reason);
    match usage {
        Some(u) => item.usage(u),
        None => item.raw("usage", "null"),
    };
    item.finish()
}

/// A stream's state as the caller sees it: the text delivered, the finish reason and usage
/// reported so far, whether the final item went out, and the items not handed out yet.
#[derive(Clone, Debug)]
pub struct StreamProgress {
    /// The text delivered, when kept (see [`StreamCodec::keep_text`]).
    pub text: String,
    keep_text: bool,
    pub finish_reason: Option<String>,
    pub usage: Option<Usage>,
    pub done: bool,
    items: Vec<String>,
}

impl Default for StreamProgress {
    fn default() -> Self {
        StreamProgress {
            text: String::new(),
            keep_text: true,
            finish_reason: None,
            usage: None,
            done: false,
            items: Vec::new(),
        }
    }
}

impl StreamProgress {
    /// Delivers a text fragment (an empty one is no item).
    pub fn delta(&mut self, delta: &str) {
        if !delta.is_empty() {
            if self.keep_text {
                self.text.push_str(delta);
            }
            self.items.push(delta_item(delta));
        }
    }

    /// Delivers the final item; nothing after it counts.
    pub fn finish(&mut self) {
        self.done = true;
        let item = final_item(self.finish_reason.as_deref(), self.usage.as_ref());
        self.items.push(item);
    }

    /// The end rule of streams whose server may close right after the chunk carrying the
    /// finish reason, without an end marker: with a finish reason, the stream did finish.
    pub fn finish_if_reason(&mut self) {
        if self.finish_reason.is_some() {
            self.finish();
        }
    }

    /// Takes in one OpenAI-style chunk: its usage, its text, its finish reason.
    pub fn chunk(&mut self, chunk: Chunk) {
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        self.delta(&chunk.delta);
        if chunk.finish_reason.is_some() {
            self.finish_reason = chunk.finish_reason;
        }
    }

    /// The items produced since the last call, and the error that ended the stream after
    /// them, if any: items decoded before an error are delivered, not dropped.
    fn take(&mut self, handled: Result<(), Fail>) -> Fed {
        let items = std::mem::take(&mut self.items);
        match handled {
            Ok(()) => Fed::items(items),
            Err(e) => Fed::failed(items, *e),
        }
    }
}

/// What a codec decodes its body with: SSE events, or NDJSON lines as events with only their
/// `data`. One frame type, so the codec below is compiled once, not once per framing (the
/// NDJSON copy was ~1.5 kB of wasm for Ollama alone).
pub enum Decoder {
    Sse(SseDecoder),
    Ndjson(NdjsonDecoder),
}

impl Decoder {
    /// A new decoder of the same framing.
    fn fresh(&self) -> Decoder {
        match self {
            Decoder::Sse(_) => Decoder::Sse(SseDecoder::default()),
            Decoder::Ndjson(_) => Decoder::Ndjson(NdjsonDecoder::default()),
        }
    }

    /// Appends the frames these bytes complete; the frames before an error are appended too.
    fn feed_into(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), DecodeError> {
        match self {
            Decoder::Sse(d) => d.feed_into(bytes, out),
            Decoder::Ndjson(d) => {
                let mut lines = Vec::new();
                let cut = d.feed_into(bytes, &mut lines);
                lines_as_events(lines, out);
                cut
            }
        }
    }

    /// The frames still buffered when the body ends.
    fn finish(&mut self) -> Vec<SseEvent> {
        match self {
            Decoder::Sse(d) => d.finish(),
            Decoder::Ndjson(d) => {
                let mut out = Vec::new();
                lines_as_events(d.finish(), &mut out);
                out
            }
        }
    }
}

fn lines_as_events(lines: Vec<String>, out: &mut Vec<SseEvent>) {
    for data in lines {
        out.push(SseEvent { event: None, data });
    }
}

/// A byte-stream framing that gives the same frames for any split of the bytes (the
/// decoders of [`crate::stream`], as the fuzz targets drive them), and the [`Decoder`] a
/// codec of that framing holds.
pub trait Framing: Default {
    type Frame;
    /// Appends the frames these bytes complete; the frames before an error are appended too.
    fn feed_into(&mut self, bytes: &[u8], out: &mut Vec<Self::Frame>) -> Result<(), DecodeError>;
    /// The frames still buffered when the body ends.
    fn finish(&mut self) -> Vec<Self::Frame>;
    /// A new decoder of this framing, as a codec holds it.
    fn decoder() -> Decoder;
}

/// The decoders of [`crate::stream`] are framings as they are.
macro_rules! framing {
    ($($decoder:ident => $frame:ty, $variant:ident);*) => {$(
        impl Framing for $decoder {
            type Frame = $frame;
            fn feed_into(&mut self, bytes: &[u8], out: &mut Vec<$frame>) -> Result<(), DecodeError> {
                <$decoder>::feed_into(self, bytes, out)
            }
            fn finish(&mut self) -> Vec<$frame> {
                <$decoder>::finish(self)
            }
            fn decoder() -> Decoder {
                Decoder::$variant(<$decoder>::default())
            }
        }
    )*};
}

framing!(SseDecoder => SseEvent, Sse; NdjsonDecoder => String, Ndjson);

/// A provider's part of a stream codec. Frames after the final item are never handed over.
/// [`Framed`] holds it as `dyn`, so the codec is compiled once, not once per provider.
pub trait FrameHandler {
    /// The raw bytes of each chunk, before framing (for a provider that must see them).
    fn bytes(&mut self, _bytes: &[u8]) {}

    /// One frame (an NDJSON line is an event's `data`), taken into `stream`; an error is the
    /// server's error inside the stream.
    fn frame(&mut self, frame: SseEvent, stream: &mut StreamProgress) -> Result<(), Fail>;

    /// The body ended before the final item. The default: the stream was cut, nothing final
    /// is produced (the pipeline reports the interruption).
    fn end(&mut self, _stream: &mut StreamProgress) -> Result<(), Fail> {
        Ok(())
    }
}

/// A handler that can give a copy of itself as it is (to start a stream again).
pub trait Handler: FrameHandler {
    fn boxed_clone(&self) -> Box<dyn Handler>;
}

impl<H: FrameHandler + Clone + 'static> Handler for H {
    fn boxed_clone(&self) -> Box<dyn Handler> {
        Box::new(self.clone())
    }
}

/// The one [`StreamCodec`]: a framing, a provider's handler. `reset` goes back to the
/// handler as it was built.
pub struct Framed {
    decoder: Decoder,
    fresh: Box<dyn Handler>,
    handler: Box<dyn Handler>,
    progress: StreamProgress,
    fresh_keep_text: bool,
}

/// How a provider names its codec: framing `D` and handler `H`. Only a constructor:
/// `FramedCodec::<D, H>::new()` is a [`Framed`] holding an `H`.
pub struct FramedCodec<D, H>(PhantomData<(D, H)>);

impl<D: Framing, H: FrameHandler + Clone + 'static> FramedCodec<D, H> {
    pub fn with(handler: H) -> Framed {
        Framed::with(D::decoder(), Box::new(handler))
    }
}

impl<D: Framing, H: FrameHandler + Clone + Default + 'static> FramedCodec<D, H> {
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> Framed {
        Self::with(H::default())
    }
}

impl Framed {
    fn with(decoder: Decoder, handler: Box<dyn Handler>) -> Self {
        Framed {
            decoder,
            fresh: handler.boxed_clone(),
            handler,
            progress: StreamProgress::default(),
            fresh_keep_text: true,
        }
    }
}

impl StreamCodec for Framed {
    fn reset(&mut self) {
        let keep = self.fresh_keep_text;
        self.decoder = self.decoder.fresh();
        self.handler = self.fresh.boxed_clone();
        self.progress = StreamProgress::default();
        self.keep_text(keep);
    }

    fn keep_text(&mut self, keep: bool) {
        self.progress.keep_text = keep;
        self.fresh_keep_text = keep;
    }

    fn feed(&mut self, bytes: &[u8]) -> Fed {
        let (handler, progress) = (self.handler.as_mut(), &mut self.progress);
        handler.bytes(bytes);
        let mut frames = Vec::new();
        let cut = self.decoder.feed_into(bytes, &mut frames);
        // The frames before a framing error are handled first; the first error ends the read.
        let handled = handle(handler, progress, frames).and_then(|()| match cut {
            // Bytes after the final item are never looked at.
            Err(e) if !progress.done => Err(fail(ErrorType::DecodeError, e.0)),
            _ => Ok(()),
        });
        progress.take(handled)
    }

    /// A last frame without its terminator still counts; then the handler's end rule.
    fn finish(&mut self) -> Fed {
        let (handler, progress) = (self.handler.as_mut(), &mut self.progress);
        let frames = self.decoder.finish();
        let mut handled = handle(handler, progress, frames);
        if handled.is_ok() && !progress.done {
            handled = handler.end(progress);
        }
        progress.take(handled)
    }

    fn text(&self) -> &str {
        &self.progress.text
    }

    fn usage(&self) -> Option<Usage> {
        self.progress.usage
    }

    fn done(&self) -> bool {
        self.progress.done
    }
}

/// Hands frames to the handler until the final item went out.
fn handle(
    handler: &mut dyn Handler,
    progress: &mut StreamProgress,
    frames: Vec<SseEvent>,
) -> Result<(), Fail> {
    for frame in frames {
        if progress.done {
            break;
        }
        handler.frame(frame, progress)?;
    }
    Ok(())
}

/// Removes the first `n` bytes of `v` (all of them when `n` is past the end), moving the rest
/// to the front: `Vec::drain` compiled for this alone is larger.
pub fn drop_front(v: &mut Vec<u8>, n: usize) {
    let n = n.min(v.len());
    v.copy_within(n.., 0);
    v.truncate(v.len() - n);
}

/// The end marker of OpenAI-style SSE streams.
pub fn is_done_marker(data: &str) -> bool {
    data.trim() == "[DONE]"
}

/// An `event: error` is the server's error inside the stream.
pub fn error_event(ev: &SseEvent) -> Result<(), Fail> {
    match ev.event.as_deref() {
        Some("error") => Err(Box::new(classify_stream_error(ev.data.as_bytes()))),
        _ => Ok(()),
    }
}

/// What one OpenAI-style stream chunk carries, for chat (`delta.content`) and completion
/// (`text`) chunks alike.
pub struct Chunk {
    pub delta: String,
    pub finish_reason: Option<String>,
    pub usage: Option<Usage>,
}

/// How one `data:` payload of an OpenAI-style stream is read into a [`Chunk`].
pub trait ChunkFormat {
    fn parse(data: &str) -> Result<Chunk, Fail>;
}

/// OpenAI-style SSE: `data: {chunk}` events read by `F`, `data: [DONE]` at the end, and an
/// `error` event or an `{"error"}` chunk for a failure after the 200. A server that closes
/// right after the finishing chunk, without `[DONE]`, finished.
pub struct ChunkEvents<F>(PhantomData<F>);

impl<F> Default for ChunkEvents<F> {
    fn default() -> Self {
        ChunkEvents(PhantomData)
    }
}

impl<F> Clone for ChunkEvents<F> {
    fn clone(&self) -> Self {
        ChunkEvents(PhantomData)
    }
}

impl<F: ChunkFormat> FrameHandler for ChunkEvents<F> {
    fn frame(&mut self, ev: SseEvent, stream: &mut StreamProgress) -> Result<(), Fail> {
        error_event(&ev)?;
        if is_done_marker(&ev.data) {
            stream.finish();
        } else {
            stream.chunk(F::parse(&ev.data)?);
        }
        Ok(())
    }

    fn end(&mut self, stream: &mut StreamProgress) -> Result<(), Fail> {
        stream.finish_if_reason();
        Ok(())
    }
}

/// Completion (`choices[0].text`) or chat (`choices[0].delta.content`) chunks, as the OVMS
/// completion stream and the chunks the ChatQnA gateway passes through carry them.
pub struct AnyChunk;

impl ChunkFormat for AnyChunk {
    fn parse(data: &str) -> Result<Chunk, Fail> {
        parse_chunk(data, true)
    }
}

/// One `data:` payload of an OpenAI-style stream, for both chunk formats: chat chunks
/// (`completion` false: `choices[0].delta.content`, Groq's `x_groq` extras, a `usage` that must
/// be well formed) and any chunk (`completion` true: `choices[0].text` or
/// `delta.content`, a `usage` of the wrong shape left out). An `{"error": ...}` payload is the
/// server's stream error. One function for both, so the reading is compiled once.
#[inline(never)]
pub fn parse_chunk(data: &str, completion: bool) -> Result<Chunk, Fail> {
    let f = Fields {
        what: if completion {
            "a stream event is not a completion chunk"
        } else {
            "a stream event is not a chat.completion.chunk"
        },
    };
    let v = f.event(data.as_bytes())?;
    if f.raw(&v, "error").is_some() {
        return Err(Box::new(classify_stream_error(data.as_bytes())));
    }
    // Groq's extras: usage of the final chunk, and `error` when the stream stopped early.
    let mut groq_usage = None;
    if !completion {
        if let Some(x) = f.raw_object(&v, "x_groq")? {
            groq_usage = raw_usage(&x, f)?;
            if let Some(message) = f.raw_string(&x, "error")? {
                return Err(fail(ErrorType::StreamInterrupted, message));
            }
        }
    }
    let mut first = None;
    for ch in f.raw_list(&v, "choices")? {
        let ch = f.fields_of(ch)?;
        let text = match completion {
            true => f.raw_string(&ch, "text")?,
            false => None,
        };
        let content = match f.raw_object(&ch, "delta")? {
            Some(d) => f.raw_string(&d, "content")?,
            None => None,
        };
        let finish = f.raw_string(&ch, "finish_reason")?;
        first = first.or(Some((text.or(content), finish)));
    }
    let usage = match completion {
        true => f
            .raw_value(&v, "usage")
            .and_then(|u| openai_usage(&u, f).ok()),
        false => raw_usage(&v, f)?.or(groq_usage),
    };
    let (delta, finish) = first.unwrap_or_default();
    Ok(Chunk {
        delta: delta.unwrap_or_default().into_owned(),
        finish_reason: finish.map(std::borrow::Cow::into_owned),
        usage,
    })
}

#[cfg(test)]
mod tests {
    use super::drop_front;

    #[test]
    fn drop_front_drains_as_vec_does() {
        for n in 0..6 {
            let mut v = b"abcd".to_vec();
            let mut want = v.clone();
            want.drain(..n.min(4));
            drop_front(&mut v, n);
            assert_eq!(v, want, "{n}");
        }
    }
}
