//! What more than one provider uses: argument checks, URLs, reply and rerank shapes, the
//! Hugging Face error reading, and the one stream codec. Providers import these, never each
//! other's helpers (the OpenAI wire format in `openai` is the one family codec its members share).

pub mod args;
pub mod hf;
pub mod order;
pub mod read;
pub mod replies;
pub mod rerank;
pub mod streaming;
pub mod urls;
