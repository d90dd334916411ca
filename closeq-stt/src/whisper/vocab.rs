//! The model's vocabulary (`vocabulary.txt`): special token ids and
//! byte-level BPE decoding.

use std::collections::HashMap;

/// Token ids and text of a Whisper vocabulary.
#[derive(Clone)]
pub struct Vocabulary {
    tokens: Vec<String>,
    index: HashMap<String, usize>,
    byte_of: HashMap<char, u8>,
    /// `<|endoftext|>`.
    pub eot: usize,
    /// `<|startoftranscript|>`.
    pub sot: usize,
    /// `<|transcribe|>`, in multilingual models.
    pub transcribe: Option<usize>,
    /// `<|notimestamps|>`.
    pub no_timestamps: usize,
    /// `<|0.00|>`: ids from here on are timestamps, 20 ms apart.
    pub timestamp_begin: usize,
}

impl std::fmt::Debug for Vocabulary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vocabulary")
            .field("tokens", &self.tokens.len())
            .field("timestamp_begin", &self.timestamp_begin)
            .finish()
    }
}

impl Vocabulary {
    /// Reads `vocabulary.txt` (one token per line, id = line number).
    /// `None` names the missing special token.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let tokens: Vec<String> = text.lines().map(str::to_owned).collect();
        let index: HashMap<String, usize> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i))
            .collect();
        let find = |t: &'static str| index.get(t).copied().ok_or(t);
        Ok(Self {
            eot: find("<|endoftext|>")?,
            sot: find("<|startoftranscript|>")?,
            transcribe: index.get("<|transcribe|>").copied(),
            no_timestamps: find("<|notimestamps|>")?,
            timestamp_begin: find("<|0.00|>")?,
            byte_of: byte_decoder(),
            tokens,
            index,
        })
    }

    /// The id of a token string (`<|en|>`).
    pub fn id(&self, token: &str) -> Option<usize> {
        self.index.get(token).copied()
    }

    /// Whether `id` is a timestamp token.
    pub fn is_timestamp(&self, id: usize) -> bool {
        id >= self.timestamp_begin
    }

    /// Whether `id` is ordinary text (not special, not a timestamp).
    pub fn is_text(&self, id: usize) -> bool {
        id < self.eot
    }

    /// The raw BPE string of one token (`Ġhello`).
    pub fn token(&self, id: usize) -> Option<&str> {
        self.tokens.get(id).map(String::as_str)
    }

    /// Decodes text tokens to a string; special and timestamp tokens are
    /// skipped, invalid UTF-8 is replaced.
    pub fn decode(&self, ids: &[usize]) -> String {
        let mut bytes = Vec::new();
        for &id in ids.iter().filter(|id| self.is_text(**id)) {
            if let Some(t) = self.tokens.get(id) {
                bytes.extend(t.chars().filter_map(|c| self.byte_of.get(&c).copied()));
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Whether the token starts a new word (its text begins with a space).
    pub fn starts_word(&self, id: usize) -> bool {
        self.tokens
            .get(id)
            .and_then(|t| t.chars().next())
            .is_some_and(|c| c == 'Ġ')
    }
}

/// GPT-2's byte ↔ unicode table, inverted: printable bytes map to
/// themselves, the rest to U+0100 upwards.
fn byte_decoder() -> HashMap<char, u8> {
    let mut printable: Vec<u32> = (u32::from(b'!')..=u32::from(b'~')).collect();
    printable.extend(0xA1..=0xAC);
    printable.extend(0xAE..=0xFF);
    let mut map = HashMap::with_capacity(256);
    let mut extra = 0u32;
    for b in 0u32..256 {
        let c = if printable.contains(&b) {
            b
        } else {
            extra += 1;
            255 + extra
        };
        if let (Some(ch), Ok(byte)) = (char::from_u32(c), u8::try_from(b)) {
            map.insert(ch, byte);
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Vocabulary {
        let mut lines: Vec<String> =
            vec!["Hello".into(), "Ġworld".into(), ",".into(), "ĠcafÃ©".into()];
        lines.extend(
            [
                "<|endoftext|>",
                "<|startoftranscript|>",
                "<|en|>",
                "<|transcribe|>",
                "<|notimestamps|>",
                "<|0.00|>",
                "<|0.02|>",
            ]
            .map(String::from),
        );
        Vocabulary::parse(&lines.join("\n")).unwrap_or_else(|t| panic!("missing {t}"))
    }

    #[test]
    fn decodes_byte_level_bpe_and_skips_specials() {
        let v = tiny();
        assert_eq!(v.eot, 4);
        assert_eq!(v.timestamp_begin, 9);
        assert_eq!(v.decode(&[5, 9, 0, 1, 2, 3, 10, 4]), "Hello world, café");
        assert!(v.starts_word(1) && !v.starts_word(0));
        assert!(v.is_timestamp(10) && !v.is_text(10) && v.is_text(3));
    }

    #[test]
    fn a_missing_special_token_is_named() {
        assert_eq!(Vocabulary::parse("a\nb").err(), Some("<|endoftext|>"));
    }
}
