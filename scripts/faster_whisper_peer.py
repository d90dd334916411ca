"""faster-whisper on one two-channel sample call, the peer side of
scripts/compare-whisper. Prints one JSON object."""
import argparse, json, re, statistics, sys, time

import numpy as np
from faster_whisper import WhisperModel, decode_audio


def norm(s):
    return [w for w in (re.sub(r"[^\w']", "", t.lower()) for t in s.split()) if w]


def wer(ref, hyp):
    r, h = norm(ref), norm(hyp)
    if not r:
        return 0.0 if not h else 1.0
    prev = list(range(len(h) + 1))
    for i, rw in enumerate(r):
        cur = [i + 1] + [0] * len(h)
        for j, hw in enumerate(h):
            cur[j + 1] = min(prev[j] + (rw != hw), prev[j + 1] + 1, cur[j] + 1)
        prev = cur
    return prev[-1] / len(r)


ap = argparse.ArgumentParser()
ap.add_argument("model"); ap.add_argument("audio"); ap.add_argument("reference")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--compute-type", default="int8")
ap.add_argument("--beam-size", type=int, default=1)
ap.add_argument("--repeats", type=int, default=3)
a = ap.parse_args()
ref = json.load(open(a.reference))
t0 = time.perf_counter()
model = WhisperModel(a.model, device="cpu", compute_type=a.compute_type, cpu_threads=a.threads)
load_s = time.perf_counter() - t0
walls, texts = [], None
for _ in range(max(1, a.repeats)):
    start = time.perf_counter()
    channels = decode_audio(a.audio, sampling_rate=16000, split_stereo=True)
    out = []
    for ch, samples in enumerate(channels):
        segs, _ = model.transcribe(samples, language="en", beam_size=a.beam_size, temperature=0.0,
                                   condition_on_previous_text=False, vad_filter=True, word_timestamps=True)
        out.append(" ".join(s.text.strip() for s in segs))  # the generator runs here
    walls.append(time.perf_counter() - start)
    texts = out
wall = statistics.median(walls)
audio_s = ref["duration_ms"] / 1000
text_of = lambda ch: " ".join(t["text"] for t in ref["turns"] if t["channel"] == ch)
print(json.dumps({
    "engine": "faster-whisper", "audio_s": audio_s, "load_s": load_s, "wall_s": wall, "rtf": audio_s / wall,
    "wer_rep": wer(text_of(0), texts[0]), "wer_client": wer(text_of(1), texts[1]),
}))
