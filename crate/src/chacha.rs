//! ChaCha20 (Bernstein 2008; RFC 8439's block function with a 64-bit block counter and a 64-bit
//! stream number) as a stream of 64-bit words, keyed by a `u64` seed as `rand_core`'s
//! `seed_from_u64` keys it: the same words as `rand_chacha`'s `ChaCha20Rng` (checked against it
//! in the tests). Written out (one block of 16 words at a time, plain 32-bit arithmetic) because
//! `rand_chacha` has no SIMD code for wasm32 and its portable code runs there at a third of this
//! speed. The Monte Carlo intervals of a·b ([`crate::mediation::montecarlo`]) and GOSH's sampled
//! subsets ([`crate::gosh`]) read it.

/// The ChaCha20 keystream as 64-bit words: each block's 16 words in order, two at a time (low
/// word first), blocks counted from 0.
#[derive(Debug, Clone)]
pub struct ChaCha20 {
    /// Constants, key (8 words), block counter (2 words, low first), stream (2 words).
    input: [u32; 16],
    block: [u32; 16],
    /// The next word of `block` to hand out (16: none left).
    next: usize,
}

impl ChaCha20 {
    /// The key from `seed` as `rand_core`'s `seed_from_u64` makes it (eight PCG32 outputs), the
    /// stream number `stream`.
    pub fn new(seed: u64, stream: u64) -> Self {
        const MUL: u64 = 6_364_136_223_846_793_005;
        const INC: u64 = 11_634_580_027_462_260_723;
        let mut state = seed;
        let mut input = [0u32; 16];
        input[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
        for word in &mut input[4..12] {
            state = state.wrapping_mul(MUL).wrapping_add(INC);
            *word = ((((state >> 18) ^ state) >> 27) as u32).rotate_right((state >> 59) as u32);
        }
        input[14] = stream as u32;
        input[15] = (stream >> 32) as u32;
        ChaCha20 { input, block: [0; 16], next: 16 }
    }

    /// The same key on stream `stream`, from its first word: as `ChaCha20::new(seed, stream)`
    /// without deriving the key again (GOSH reads one stream per sampled subset).
    pub fn with_stream(&self, stream: u64) -> Self {
        let mut input = self.input;
        input[12] = 0;
        input[13] = 0;
        input[14] = stream as u32;
        input[15] = (stream >> 32) as u32;
        ChaCha20 { input, block: [0; 16], next: 16 }
    }

    /// The next block: 20 rounds (10 column and 10 diagonal rounds) and the input added.
    fn refill(&mut self) {
        #[inline(always)]
        fn quarter(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
            x[a] = x[a].wrapping_add(x[b]);
            x[d] = (x[d] ^ x[a]).rotate_left(16);
            x[c] = x[c].wrapping_add(x[d]);
            x[b] = (x[b] ^ x[c]).rotate_left(12);
            x[a] = x[a].wrapping_add(x[b]);
            x[d] = (x[d] ^ x[a]).rotate_left(8);
            x[c] = x[c].wrapping_add(x[d]);
            x[b] = (x[b] ^ x[c]).rotate_left(7);
        }
        let mut x = self.input;
        for _ in 0..10 {
            quarter(&mut x, 0, 4, 8, 12);
            quarter(&mut x, 1, 5, 9, 13);
            quarter(&mut x, 2, 6, 10, 14);
            quarter(&mut x, 3, 7, 11, 15);
            quarter(&mut x, 0, 5, 10, 15);
            quarter(&mut x, 1, 6, 11, 12);
            quarter(&mut x, 2, 7, 8, 13);
            quarter(&mut x, 3, 4, 9, 14);
        }
        for (out, (x, input)) in self.block.iter_mut().zip(x.iter().zip(&self.input)) {
            *out = x.wrapping_add(*input);
        }
        let counter = (u64::from(self.input[13]) << 32 | u64::from(self.input[12])).wrapping_add(1);
        self.input[12] = counter as u32;
        self.input[13] = (counter >> 32) as u32;
        self.next = 0;
    }

    pub fn next_u64(&mut self) -> u64 {
        if self.next >= 16 {
            self.refill();
        }
        let (lo, hi) = (self.block[self.next], self.block[self.next + 1]);
        self.next += 2;
        u64::from(hi) << 32 | u64::from(lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generator's words are rand_chacha's ChaCha20Rng's (seeded by `seed_from_u64`, on
    /// `set_stream`), across many blocks, for several seeds and streams; so are those of a
    /// generator moved to a stream by `with_stream`.
    #[test]
    fn chacha20_is_rand_chachas() {
        use rand_chacha::ChaCha20Rng;
        use rand_core::{RngCore, SeedableRng};
        for (seed, stream) in [(crate::mediation::montecarlo::DEFAULT_SEED, 0), (0, 0), (1, u64::MAX), (u64::MAX, 0x0123_4567_89ab_cdef)] {
            let mut theirs = ChaCha20Rng::seed_from_u64(seed);
            theirs.set_stream(stream);
            let mut ours = ChaCha20::new(seed, stream);
            // with_stream from a generator on another stream that has handed out words already.
            let mut used = ChaCha20::new(seed, stream.wrapping_add(1));
            for _ in 0..13 {
                used.next_u64();
            }
            let mut other = used.with_stream(stream);
            for i in 0..1000 {
                let word = theirs.next_u64();
                assert_eq!(ours.next_u64(), word, "seed {seed}, stream {stream}, word {i}");
                assert_eq!(other.next_u64(), word, "with_stream: seed {seed}, stream {stream}, word {i}");
            }
        }
    }
}
