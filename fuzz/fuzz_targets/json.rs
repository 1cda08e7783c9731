#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| resilient_fuzz::targets::json(data));
