//! How the targets read their input: chunk cuts from a seed, and a small HTTP-like text form
//! (`selector line`, `name: value` header lines, a blank line, the body) that keeps seeds
//! readable and lets the fuzzer mutate each part.

/// A tiny deterministic generator (splitmix64): cut points from a fuzzer-chosen seed.
pub fn cuts(seed: u64, len: usize, max: usize) -> Vec<usize> {
    let mut s = seed;
    let mut next = || {
        s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let n = (next() % (max as u64 + 1)) as usize;
    let mut out: Vec<usize> = (0..n)
        .map(|_| (next() % (len as u64 + 1)) as usize)
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// `bytes` cut at `cuts` (sorted, each <= len).
pub fn split<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut prev = 0;
    for &c in cuts {
        out.push(&bytes[prev..c]);
        prev = c;
    }
    out.push(&bytes[prev..]);
    out
}

/// The chunkings a streaming decoder is checked under: cuts from `seed`, and one byte at a
/// time for short inputs (every boundary at once, including inside `\r\n` and UTF-8).
pub fn chunkings(bytes: &[u8], seed: u64) -> Vec<Vec<&[u8]>> {
    let mut out = vec![split(bytes, &cuts(seed, bytes.len(), 8))];
    if bytes.len() <= 512 {
        out.push(bytes.chunks(1).collect());
    }
    out
}

/// The parts of the text form.
pub struct Message<'a> {
    pub selector: String,
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
}

/// Reads `selector\nname: value\n...\n\nbody`. Header lines without a colon are skipped.
pub fn message(data: &[u8]) -> Message<'_> {
    let (head, body) = match find(data, b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &data[data.len()..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split('\n');
    let selector = lines.next().unwrap_or_default().trim().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Message {
        selector,
        headers,
        body,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The word at `i` of a selector line.
pub fn word(selector: &str, i: usize) -> &str {
    selector.split_whitespace().nth(i).unwrap_or("")
}

/// A number in a selector line (a seed, a status), or a hash of the line when there is none,
/// so that any mutation still picks something.
pub fn number(selector: &str, i: usize) -> u64 {
    word(selector, i)
        .parse()
        .unwrap_or_else(|_| fnv(selector.as_bytes()))
}

pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
