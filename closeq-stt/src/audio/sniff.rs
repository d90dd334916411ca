//! Recognising an audio container from its first bytes.

/// A container recognised from its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AudioKind {
    /// RIFF/WAVE.
    Wav,
    /// FLAC.
    Flac,
    /// Ogg (Vorbis or Opus).
    Ogg,
    /// MP3 (ID3 tag or frame sync).
    Mp3,
    /// MP4/M4A (`ftyp` box).
    Mp4,
}

impl AudioKind {
    /// The container of `bytes`, when recognised.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        Some(if bytes.starts_with(b"RIFF") {
            Self::Wav
        } else if bytes.starts_with(b"fLaC") {
            Self::Flac
        } else if bytes.starts_with(b"OggS") {
            Self::Ogg
        } else if bytes.len() >= 8 && &bytes[4..8] == b"ftyp" {
            Self::Mp4
        } else if bytes.starts_with(b"ID3")
            || (bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0)
        {
            Self::Mp3
        } else {
            return None;
        })
    }

    /// Its MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Wav => "audio/wav",
            Self::Flac => "audio/flac",
            Self::Ogg => "audio/ogg",
            Self::Mp3 => "audio/mpeg",
            Self::Mp4 => "audio/mp4",
        }
    }

    /// Its usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Wav => "wav",
            Self::Flac => "flac",
            Self::Ogg => "ogg",
            Self::Mp3 => "mp3",
            Self::Mp4 => "m4a",
        }
    }

    /// The kind a MIME type names.
    pub fn from_mime(mime: &str) -> Option<Self> {
        Some(match mime {
            "audio/wav" | "audio/x-wav" | "audio/wave" => Self::Wav,
            "audio/flac" => Self::Flac,
            "audio/ogg" => Self::Ogg,
            "audio/mpeg" | "audio/mp3" => Self::Mp3,
            "audio/mp4" | "audio/m4a" | "audio/x-m4a" => Self::Mp4,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_containers() {
        assert_eq!(AudioKind::sniff(b"RIFF\0\0\0\0WAVE"), Some(AudioKind::Wav));
        assert_eq!(
            AudioKind::sniff(b"\0\0\0\x20ftypM4A "),
            Some(AudioKind::Mp4)
        );
        assert_eq!(AudioKind::sniff(&[0xFF, 0xFB, 0x90]), Some(AudioKind::Mp3));
        assert_eq!(AudioKind::sniff(b"WEBVTT"), None);
        assert_eq!(
            AudioKind::from_mime("audio/x-m4a").map(AudioKind::extension),
            Some("m4a")
        );
    }
}
