//! Splitting one window's output at timestamp tokens, and where the next
//! window starts (Whisper's long-form seek rule).

use super::mel::WINDOW_FRAMES;

/// A decoded piece of one window: its text tokens and its times, in mel
/// frames (10 ms) from the window's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowSegment {
    /// Start, frames from the window start.
    pub start_frame: usize,
    /// End, frames from the window start.
    pub end_frame: usize,
    /// Text tokens only (no timestamps, no specials).
    pub tokens: Vec<usize>,
}

/// The segments of one window and how far to advance the seek position,
/// in frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowSplit {
    /// Segments in order.
    pub segments: Vec<WindowSegment>,
    /// Frames to advance; at least 1 and at most `content_frames`.
    pub advance: usize,
    /// The output ended on a single timestamp: nothing was cut off at the
    /// window's end.
    pub single_ending: bool,
}

/// Splits `ids` (a generated sequence) into segments at pairs of
/// consecutive timestamp tokens. `content_frames` is the number of real
/// (unpadded) frames in the window.
///
/// As in Whisper: when the output ends on a single timestamp the whole
/// window is consumed; otherwise the next window starts at the last
/// complete segment's end, so words cut by the window edge are decoded
/// again in full. Text without any timestamp pair becomes one segment
/// spanning the window (or up to its last timestamp).
pub fn split_window(
    ids: &[usize],
    timestamp_begin: usize,
    eot: usize,
    content_frames: usize,
) -> WindowSplit {
    let is_ts = |id: usize| id >= timestamp_begin;
    // Timestamps are 20 ms = 2 frames apart.
    let frame_of = |id: usize| (id - timestamp_begin) * 2;
    let ids: Vec<usize> = ids
        .iter()
        .copied()
        .filter(|&id| id < eot || is_ts(id))
        .collect();
    let content = content_frames.clamp(1, WINDOW_FRAMES);
    let text =
        |slice: &[usize]| -> Vec<usize> { slice.iter().copied().filter(|&id| id < eot).collect() };
    let single_ending = ids.len() >= 2 && !is_ts(ids[ids.len() - 2]) && is_ts(ids[ids.len() - 1]);
    let consecutive: Vec<usize> = (1..ids.len())
        .filter(|&i| is_ts(ids[i]) && is_ts(ids[i - 1]))
        .collect();
    let mut segments = Vec::new();
    if !consecutive.is_empty() {
        let mut cuts = consecutive.clone();
        if single_ending {
            cuts.push(ids.len());
        }
        let mut last = 0;
        for cut in cuts {
            let slice = &ids[last..cut];
            last = cut;
            let (Some(&first), Some(&end)) = (slice.first(), slice.last()) else {
                continue;
            };
            let tokens = text(slice);
            if tokens.is_empty() || !is_ts(first) || !is_ts(end) {
                continue;
            }
            let start_frame = frame_of(first).min(content);
            let end_frame = frame_of(end).clamp(start_frame, content);
            segments.push(WindowSegment {
                start_frame,
                end_frame,
                tokens,
            });
        }
        let advance = if single_ending {
            content
        } else {
            // The last complete segment ends at the timestamp before the last cut.
            ids[..last]
                .iter()
                .rev()
                .find(|&&id| is_ts(id))
                .map_or(content, |&id| frame_of(id))
        };
        return WindowSplit {
            segments,
            advance: advance.clamp(1, content),
            single_ending,
        };
    }
    let tokens = text(&ids);
    if !tokens.is_empty() {
        let end_frame = ids
            .iter()
            .rev()
            .find(|&&id| is_ts(id))
            .map(|&id| frame_of(id))
            .filter(|&f| f > 0)
            .unwrap_or(content)
            .min(content);
        let start_frame = ids
            .first()
            .filter(|&&id| is_ts(id))
            .map_or(0, |&id| frame_of(id))
            .min(end_frame);
        segments.push(WindowSegment {
            start_frame,
            end_frame,
            tokens,
        });
    }
    WindowSplit {
        segments,
        advance: content,
        single_ending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TS: usize = 1000;
    const EOT: usize = 900;
    fn ts(seconds: f64) -> usize {
        TS + (seconds / 0.02).round() as usize
    }

    #[test]
    fn pairs_of_timestamps_cut_segments_and_seek_to_the_last_complete_one() {
        // <0.00> a b <2.00><2.50> c <4.00><5.00> d   (cut off: no closing timestamp)
        let ids = [ts(0.0), 1, 2, ts(2.0), ts(2.5), 3, ts(4.0), ts(5.0), 4];
        let s = split_window(&ids, TS, EOT, 3000);
        assert_eq!(s.segments.len(), 2);
        assert_eq!(
            (s.segments[0].start_frame, s.segments[0].end_frame),
            (0, 200)
        );
        assert_eq!(s.segments[0].tokens, vec![1, 2]);
        assert_eq!(
            (s.segments[1].start_frame, s.segments[1].end_frame),
            (250, 400)
        );
        assert_eq!(
            s.advance, 400,
            "re-decode the unfinished 'd' in the next window"
        );
    }

    #[test]
    fn a_single_final_timestamp_consumes_the_window() {
        let ids = [ts(0.0), 1, ts(1.0), ts(1.2), 2, ts(3.0)];
        let s = split_window(&ids, TS, EOT, 2500);
        assert_eq!(s.segments.len(), 2);
        assert_eq!(s.segments[1].end_frame, 300);
        assert_eq!(s.advance, 2500);
    }

    #[test]
    fn no_timestamp_pairs_give_one_segment() {
        let s = split_window(&[ts(0.4), 5, 6, ts(2.0)], TS, EOT, 3000);
        assert_eq!(s.segments.len(), 1);
        assert_eq!(
            (s.segments[0].start_frame, s.segments[0].end_frame),
            (40, 200)
        );
        assert_eq!(s.advance, 3000);
        let s = split_window(&[5, 6], TS, EOT, 1200);
        assert_eq!(
            (s.segments[0].start_frame, s.segments[0].end_frame),
            (0, 1200)
        );
        let s = split_window(&[], TS, EOT, 1200);
        assert!(s.segments.is_empty());
        assert_eq!(s.advance, 1200);
    }

    #[test]
    fn specials_never_reach_text_and_times_stay_inside_the_content() {
        let ids = [ts(0.0), EOT + 3, 7, ts(40.0), ts(40.0), 8, EOT];
        let s = split_window(&ids, TS, EOT, 1000);
        for seg in &s.segments {
            assert!(seg.tokens.iter().all(|t| *t < EOT));
            assert!(seg.end_frame <= 1000 && seg.start_frame <= seg.end_frame);
        }
        assert!(s.advance >= 1 && s.advance <= 1000);
    }
}
