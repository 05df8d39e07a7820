"""Benchmark: ten 10 s clips from a 10-minute 720p test video, cliptool's ``cut`` vs bare ffmpeg.

Makes the source with ffmpeg's lavfi sources (testsrc2 1280x720 with the time and frame number
burned in, plus a sine tone) in a temp folder, then cuts the same clips three ways and prints
seconds per clip:

- accurate: ``cliptool.clip.cut`` (re-encode, H.264/AAC) and the same ffmpeg command run bare;
- fast: ``cut(..., fast=True)`` (stream copy) and a bare ``ffmpeg -ss -i -t -c copy``.

Each clip's first frame is compared with the source frame at the asked time, so a fast but
wrong cut cannot look good. Targets (issue 5): accurate <= 1 s per 10 s 720p clip, <= 1.2x bare.

    python bench/clip.py [--minutes 10] [--clips 10] [--clip-s 10]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cliptool.clip import CRF, PRESET, ClipSpec, cut
from cliptool.media import ffmpeg_exe, ffmpeg_version, probe

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
VID = "benchbench0"


def make_source(path: Path, minutes: float) -> None:
    seconds = int(minutes * 60)
    font = f"fontfile={FONT}:" if Path(FONT).is_file() else ""
    text = (f"drawtext={font}text='%{{pts\\:hms}} %{{frame_num}}':fontsize=72:fontcolor=white:box=1:"
            "boxcolor=black:x=40:y=560")
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
         "-vf", text, "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "128k", "-shortest", str(path)],
        check=True,
    )


def bare(src: Path, out: Path, start: float, length: float, *, fast: bool) -> None:
    """The same cut as ``cut`` by one plain ffmpeg command (no probe, no hashing, no rename)."""
    codec = ["-c", "copy"] if fast else [
        "-c:v", "libx264", "-preset", PRESET, "-crf", str(CRF), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
    ]
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-y", "-ss", f"{start:.6f}", "-i", str(src),
         "-t", f"{length:.6f}", *codec, "-movflags", "+faststart", str(out)],
        check=True,
    )


def gray(path: Path, at_s: float) -> bytes:
    return subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-v", "error", "-ss", f"{at_s:.3f}", "-i", str(path), "-frames:v", "1",
         "-s", "160x90", "-pix_fmt", "gray", "-f", "rawvideo", "-"],
        capture_output=True, check=True,
    ).stdout


def mad(a: bytes, b: bytes) -> float:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--clips", type=int, default=10)
    ap.add_argument("--clip-s", type=float, default=10.0)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cliptool-bench-"))
    try:
        src = work / "source.mp4"
        t0 = time.perf_counter()
        make_source(src, args.minutes)
        duration = probe(src).duration_s
        print(f"source: {duration:.0f} s 1280x720 30 fps, made in {time.perf_counter() - t0:.1f} s")
        print(f"machine: {platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}, "
              f"ffmpeg {ffmpeg_version()}")
        step = (duration - args.clip_s - 5) / max(1, args.clips)
        starts = [round(3 + i * step, 1) + 0.4 for i in range(args.clips)]  # off the keyframe grid on purpose

        rows = []
        for fast in (False, True):
            mode = "fast" if fast else "accurate"
            ours, theirs, errors = [], [], []
            for i, start in enumerate(starts):
                spec = ClipSpec(video_id=VID, index=i, claim="", cited_s=start, start_s=start,
                                end_s=start + args.clip_s)
                # Alternate who goes first so a warm cache favours neither side.
                order = (True, False) if i % 2 == 0 else (False, True)
                for mine in order:
                    t = time.perf_counter()
                    if mine:
                        result = cut(spec, src, work / mode, fast=fast, subs="none")
                        ours.append(time.perf_counter() - t)
                    else:
                        bare(src, work / f"bare-{mode}-{i}.mp4", start, args.clip_s, fast=fast)
                        theirs.append(time.perf_counter() - t)
                if not fast:
                    errors.append(mad(gray(result.path, 0), gray(src, result.start_s)))
            rows.append((mode, statistics.mean(ours), statistics.mean(theirs), errors))

        print(f"\n{args.clips} clips of {args.clip_s:g} s, seconds per clip (mean):")
        print(f"{'mode':<9} {'cliptool':>9} {'bare ffmpeg':>12} {'ratio':>6}")
        for mode, mine, bare_s, _ in rows:
            print(f"{mode:<9} {mine:>9.3f} {bare_s:>12.3f} {mine / bare_s:>6.2f}x")
        errors = rows[0][3]
        print(f"\naccurate first frames vs source at the asked time: mean abs diff max {max(errors):.2f} "
              "(0-255; a frame 1 s away differs by several units)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
