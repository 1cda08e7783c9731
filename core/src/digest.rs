//! SHA-256 in lower-case hex: S3's signatures and the state store's scope names both use it, so
//! the store does not reach into a provider for it.

use crate::text::push_hex;
use sha2::{Digest, Sha256};

pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        push_hex(&mut s, b, b"0123456789abcdef");
    }
    s
}

pub fn hex_sha256(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}
