//! TGI's native token stream (`POST /generate_stream`).

use super::details;
use crate::providers::shared::hf::hf_stream_error;
use crate::providers::shared::read::{self, Fields};
use crate::providers::shared::streaming::{
    is_done_marker, FrameHandler, FramedCodec, StreamProgress,
};
use crate::providers::usage_from;
use crate::providers::Fail;
use crate::stream::{SseDecoder, SseEvent};
/// `/generate_stream`: SSE token events; only the event with a non-null `generated_text` is
/// final (there is no `[DONE]`); `data:{"error":..., "error_type":...}` is a mid-stream error.
/// Special tokens (`</s>`) are not text.
#[derive(Clone, Default)]
pub struct TokenEvents;

pub type GenerateStreamCodec = FramedCodec<SseDecoder, TokenEvents>;

impl FrameHandler for TokenEvents {
    fn frame(&mut self, ev: SseEvent, stream: &mut StreamProgress) -> Result<(), Fail> {
        let data = ev.data.trim();
        if data.is_empty() || is_done_marker(data) {
            return Ok(());
        }
        const F: Fields = Fields {
            what: "a stream event is not a TGI token event",
        };
        let e = read::body(data.as_bytes(), F.what)?;
        if F.has(&e, "error")? {
            return Err(hf_stream_error(data.as_bytes()));
        }
        let token = match F.optional(&e, "token")? {
            Some(t) => Some((
                F.string(t, "text")?,
                F.opt_bool(t, "special")?.unwrap_or(false),
            )),
            None => None,
        };
        let generated = F.opt_string(&e, "generated_text")?;
        let d = details(F.optional(&e, "details")?, F)?;
        // Special tokens (`</s>`) are not text.
        if let Some((text, false)) = token {
            stream.delta(text);
        }
        if generated.is_some() {
            let has_details = F.has(&e, "details")?;
            stream.usage = has_details.then(|| usage_from(d.input_length, d.generated_tokens));
            stream.finish_reason = d.finish_reason.map(str::to_string);
            stream.finish();
        }
        Ok(())
    }
}
