"""verify_note / verify_paths over a hand-made note and SRT in a temporary cache: no network."""

from __future__ import annotations

from pathlib import Path

import pytest

from cliptool.models import NoteReport
from cliptool.verify import VerifyOptions, verify_note, verify_paths

DATA = Path(__file__).resolve().parent.parent / "data"
VIDEO_ID = "tinyvideo01"
# tests/data/verify_note.md, claim by claim: (status, located start)
EXPECTED = [("ok", 30.0), ("ok", 40.0), ("shifted", 80.0), ("unsupported", None), ("out-of-range", 95.0)]


def _note(folder: Path, name: str, body: str, video_id: str = VIDEO_ID) -> Path:
    path = folder / name
    path.write_text(f"---\ntitle: {name}\nvideoId: {video_id}\n---\n\n{body}\n", encoding="utf-8")
    return path


def _anchor(ts: str) -> str:
    return f'<a class="yt-timestamp" data-t="{ts}">[{ts}]</a>'


def test_checked_note_has_one_alignment_per_claim(tiny_cache: Path) -> None:
    r = verify_note(DATA / "verify_note.md", VerifyOptions(cache_dir=tiny_cache, offline=True))
    assert r.status == "checked" and r.reason is None
    assert r.video_id == VIDEO_ID and r.title == "Honeybees in five minutes"
    assert [(a.status, a.start) for a in r.alignments] == EXPECTED
    assert [a.index for a in r.alignments] == [c.index for c in r.claims] == [0, 1, 2, 3, 4]
    assert r.captions is not None
    assert (r.captions.language, r.captions.kind) == ("en", "unknown")  # no info.json beside the file
    assert r.captions.source.endswith(f"{VIDEO_ID}/en.srt")
    assert r.duration_s == 145.0  # last cue's end: the cache has no info.json with the duration


def test_a_time_just_past_the_last_caption_is_past_the_end_only_when_the_video_length_says_so(
    tmp_path: Path, tiny_cache: Path
) -> None:
    """Without info.json the end is the last caption's (02:25), and talks end in music or thanks."""
    note = tmp_path / "end.md"
    note.write_text(f"---\nvideoId: {VIDEO_ID}\n---\n\nThanks for watching, see you next time {_anchor('00:02:40')}.\n",
                    encoding="utf-8")
    opts = VerifyOptions(cache_dir=tiny_cache, offline=True)
    (a,) = verify_note(note, opts).alignments
    assert (a.status, a.start) == ("shifted", 140.0)
    (tiny_cache / VIDEO_ID / "info.json").write_text('{"duration_s": 150}', encoding="utf-8")
    # (other options: verify remembers a video's captions per process and options)
    (a,) = verify_note(note, VerifyOptions(cache_dir=tiny_cache, offline=True, tolerance_s=4.0)).alignments
    assert (a.status, a.start) == ("out-of-range", 140.0)


def test_not_cached_offline_is_no_captions_with_the_reason(tmp_path: Path) -> None:
    r = verify_note(DATA / "verify_note.md", VerifyOptions(cache_dir=tmp_path / "empty", offline=True))
    assert r.status == "no-captions"
    assert r.reason is not None and r.reason.startswith("not cached (offline):")
    assert len(r.claims) == 5 and r.alignments == ()


def test_unreadable_note_is_an_error_report_with_file_and_line(tmp_path: Path, tiny_cache: Path) -> None:
    bad = _note(tmp_path, "bad.md", f"A claim {_anchor('00:75:00')}.")
    r = verify_note(bad, VerifyOptions(cache_dir=tiny_cache, offline=True))
    assert r.status == "error"
    assert r.reason is not None and r.reason.startswith(f"{bad}:6:")
    assert "impossible timestamp" in r.reason


def test_corrupt_cached_captions_are_an_error_not_a_crash(tmp_path: Path) -> None:
    tiny_cache = tmp_path / "c"
    (tiny_cache / VIDEO_ID).mkdir(parents=True)
    (tiny_cache / VIDEO_ID / "en.srt").write_bytes(b"1\n00:00:01,000 --> nonsense\nhello\n")
    r = verify_note(DATA / "verify_note.md", VerifyOptions(cache_dir=tiny_cache, offline=True))
    assert r.status == "error"
    assert r.reason is not None and "en.srt" in r.reason


def test_tolerance_decides_how_early_a_citation_may_be(tmp_path: Path, tiny_cache: Path) -> None:
    # Varroa mites are said at 00:01:20; the note cites 00:00:30, fifty seconds early.
    note = _note(tmp_path, "early.md", f"Varroa mites are the biggest threat to managed hives {_anchor('00:00:30')}.")
    strict = verify_note(note, VerifyOptions(cache_dir=tiny_cache, offline=True, tolerance_s=5.0))
    loose = verify_note(note, VerifyOptions(cache_dir=tiny_cache, offline=True, tolerance_s=60.0))
    assert [(a.status, a.start) for a in strict.alignments] == [("shifted", 80.0)]
    assert [(a.status, a.start) for a in loose.alignments] == [("ok", 80.0)]


def _summary(reports: list[NoteReport]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(r.path, r.status, tuple(a.status for a in r.alignments)) for r in reports]


def test_verify_paths_keeps_order_with_and_without_jobs(tmp_path: Path, tiny_cache: Path) -> None:
    paths = [
        DATA / "verify_note.md",
        _note(tmp_path, "other-video.md", f"Something {_anchor('00:00:05')}.", video_id="otherVideo1"),
        _note(tmp_path, "bad.md", "no anchors here", video_id="short"),
        _note(tmp_path, "queens.md", f"Queens lay two thousand eggs a day {_anchor('00:00:31')}."),
    ]
    opts = VerifyOptions(cache_dir=tiny_cache, offline=True)
    serial = list(verify_paths(paths, opts))
    parallel = list(verify_paths(paths, opts, jobs=2))
    assert _summary(serial) == _summary(parallel)
    assert [r.status for r in serial] == ["checked", "no-captions", "error", "checked"]
    assert [r.path for r in serial] == [str(p) for p in paths]


def test_reports_carry_the_exit_code_of_what_stopped_them(tmp_path: Path) -> None:
    not_cached = verify_note(DATA / "verify_note.md", VerifyOptions(cache_dir=tmp_path / "empty", offline=True))
    offline_host = verify_note(
        DATA / "verify_note.md",
        VerifyOptions(cache_dir=tmp_path / "empty2", url_template="http://nonexistent.invalid/{id}"),
    )
    unreadable = verify_note(tmp_path / "missing.md", VerifyOptions(cache_dir=tmp_path))
    assert (not_cached.error_code, offline_host.error_code, unreadable.error_code) == (4, 5, 3)


def test_captions_cached_after_a_miss_are_used_by_the_next_call(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    opts = VerifyOptions(cache_dir=cache, offline=True)
    assert verify_note(DATA / "verify_note.md", opts).status == "no-captions"
    (cache / VIDEO_ID).mkdir(parents=True)
    (cache / VIDEO_ID / "en.srt").write_bytes((DATA / "verify_captions.srt").read_bytes())
    assert verify_note(DATA / "verify_note.md", opts).status == "checked"



def test_captions_in_another_alphabet_are_no_captions_not_unsupported_claims(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / VIDEO_ID).mkdir(parents=True)
    # The honeybee talk of verify_captions.srt as Russian captions would say it.
    (cache / VIDEO_ID / "ru.srt").write_bytes((DATA / "verify_captions.ru.srt").read_bytes())
    r = verify_note(DATA / "verify_note.md", VerifyOptions(cache_dir=cache, offline=True, lang="ru"))
    assert r.status == "no-captions" and r.alignments == () and r.error_code == 4
    assert r.reason is not None and r.reason.startswith("wrong language: the captions (ru, ")
    assert "ru.srt" in r.reason and "--lang" in r.reason


def test_a_note_whose_lang_says_the_captions_language_but_is_in_another_alphabet_is_told_so(
    tmp_path: Path, tiny_cache: Path
) -> None:
    note = tmp_path / "ru.md"
    note.write_text(
        f"---\ntitle: Пчёлы\nvideoId: {VIDEO_ID}\nlang: en\n---\n\n"
        f"Матки откладывают до двух тысяч яиц за один летний день {_anchor('00:00:30')}.\n"
        f"Трутни живут ради спаривания и никого не жалят {_anchor('00:00:41')}.\n",
        encoding="utf-8",
    )
    r = verify_note(note, VerifyOptions(cache_dir=tiny_cache, offline=True))
    assert r.status == "no-captions" and r.reason is not None
    assert "though the note's lang says en: it is written in Cyrillic letters, the captions in Latin" in r.reason
    assert "captions in en (--lang)" not in r.reason  # asking for what it already has would not help


def test_a_declared_note_language_unlike_the_captions_is_no_captions(tmp_path: Path, tiny_cache: Path) -> None:
    note = tmp_path / "de.md"
    note.write_text(
        f"---\ntitle: Bienen\nvideoId: {VIDEO_ID}\nlang: de\n---\n\n"
        f"Königinnen legen an einem einzigen Sommertag bis zu zweitausend Eier {_anchor('00:00:30')}.\n"
        f"Drohnen leben hauptsächlich zur Paarung und können niemanden stechen {_anchor('00:00:41')}.\n",
        encoding="utf-8",
    )
    # The note's own language picks the captions: German ones (or YouTube's translation into German).
    r = verify_note(note, VerifyOptions(cache_dir=tiny_cache, offline=True))
    assert r.status == "no-captions" and r.reason is not None and "no cached de captions" in r.reason, r.reason
    (tiny_cache / VIDEO_ID / "de.srt").write_bytes((tiny_cache / VIDEO_ID / "en.srt").read_bytes())
    assert verify_note(note, VerifyOptions(cache_dir=tiny_cache, offline=True)).captions.language == "de"
    # --lang overrules it, and English captions cannot check a German note.
    r = verify_note(note, VerifyOptions(cache_dir=tiny_cache, offline=True, lang="en"))
    assert r.status == "no-captions"
    assert r.reason is not None and "(en, " in r.reason and "captions in de" in r.reason


def _with_lang(tmp_path: Path, lang: str) -> Path:
    """The hand-made note with ``lang: <lang>`` in its front matter."""
    note = tmp_path / "lang.md"
    note.write_text((DATA / "verify_note.md").read_text(encoding="utf-8").replace("---\n", f"---\nlang: {lang}\n", 1),
                    encoding="utf-8")
    return note


def test_a_note_lang_written_as_a_locale_picks_its_language(tmp_path: Path, tiny_cache: Path) -> None:
    """`lang: de_DE` is the tag de-DE (a locale's `_`); offline it reads the cached de captions."""
    (tiny_cache / VIDEO_ID / "de.srt").write_bytes((tiny_cache / VIDEO_ID / "en.srt").read_bytes())
    note = _with_lang(tmp_path, "de_DE")
    r = verify_note(note, VerifyOptions(cache_dir=tiny_cache, offline=True))
    assert r.status == "checked" and r.captions is not None and r.captions.language == "de", r.reason
    assert not any("lang" in w for w in r.warnings)


@pytest.mark.parametrize("lang", ["German", "../../x"])
def test_a_note_lang_that_is_no_language_code_is_warned_about_not_silently_dropped(
    tmp_path: Path, tiny_cache: Path, lang: str
) -> None:
    note = _with_lang(tmp_path, lang)
    r = verify_note(note, VerifyOptions(cache_dir=tiny_cache, offline=True))
    assert r.status == "checked" and r.captions is not None and r.captions.language == "en"
    assert any(w.startswith(f"lang {lang!r} in the front matter is not a language code") for w in r.warnings)
    # Given --lang, the note's own lang does not matter.
    r = verify_note(note, VerifyOptions(cache_dir=tiny_cache, offline=True, lang="en"))
    assert not any("lang" in w for w in r.warnings)


def test_a_note_sharing_few_words_with_same_alphabet_captions_is_checked_with_a_warning(
    tmp_path: Path, tiny_cache: Path
) -> None:
    note = _note(tmp_path, "cooking.md", (
        f"Caramelise onions slowly over moderate heat for forty minutes {_anchor('00:00:30')}.\n"
        f"Deglaze the skillet with sherry vinegar before adding stock {_anchor('00:00:41')}."
    ))
    r = verify_note(note, VerifyOptions(cache_dir=tiny_cache, offline=True))
    assert r.status == "checked" and [a.status for a in r.alignments] == ["unsupported", "unsupported"]
    assert any(w.startswith("only 0% of the note's words occur in the video's en captions") for w in r.warnings)


def test_a_note_about_its_own_video_gets_no_language_warning(tiny_cache: Path) -> None:
    r = verify_note(DATA / "verify_note.md", VerifyOptions(cache_dir=tiny_cache, offline=True))
    assert r.status == "checked" and not any("words occur" in w for w in r.warnings)


def test_captions_without_speech_are_no_captions_not_unsupported_claims(tmp_path: Path) -> None:
    """An empty track, or one of sound tags only, cannot tell whether the video says a claim."""
    def verify_with(srt: str, cache: str) -> NoteReport:
        folder = tmp_path / cache / VIDEO_ID
        folder.mkdir(parents=True)
        (folder / "en.srt").write_text(srt, encoding="utf-8")
        return verify_note(DATA / "verify_note.md", VerifyOptions(cache_dir=tmp_path / cache, offline=True))

    tags = "1\n00:00:01,000 --> 00:00:05,000\n[Music]\n\n2\n00:00:06,000 --> 00:00:09,000\n(applause) ♪\n"
    for n, (srt, what) in enumerate([("", "are empty"), (tags, "hold no speech")]):
        r = verify_with(srt, f"cache{n}")
        assert (r.status, r.alignments) == ("no-captions", ()), r.reason
        assert r.reason is not None and r.reason.startswith("no captions: ") and what in r.reason
    assert verify_with(tags + "\n3\n00:00:10,000 --> 00:00:12,000\nBees dance.\n", "speech").status == "checked"


def test_a_language_code_in_capitals_finds_the_cached_captions(tiny_cache: Path) -> None:
    """Language tags ignore case (BCP 47): --lang EN reads the cached en.srt."""
    r = verify_note(DATA / "verify_note.md", VerifyOptions(cache_dir=tiny_cache, offline=True, lang="EN"))
    assert r.status == "checked", r.reason
    assert [(a.status, a.start) for a in r.alignments] == EXPECTED


def test_a_note_checked_against_another_video_of_its_channel_is_warned_about(corpus: Path, tmp_path: Path) -> None:
    """It shares a third of its words with the other video's captions, so it is no language problem,
    but the captions say almost none of its claims."""
    src = (corpus / "notes" / "eMlx5fFNoYc" / "44602289471.md").read_text(encoding="utf-8")
    opts = VerifyOptions(cache_dir=corpus / "cache", offline=True)
    wrong = tmp_path / "wrong.md"
    wrong.write_text(src.replace("videoId: eMlx5fFNoYc", "videoId: p_di4Zn4wz4"), encoding="utf-8")
    r = verify_note(wrong, opts)
    assert r.status == "checked"
    assert any(w.endswith("claims are said nowhere in these captions: is p_di4Zn4wz4 the video the note is about?")
               for w in r.warnings), r.warnings
    assert r.doubt is not None and r.doubt in r.warnings  # what fix refuses on
    right = verify_note(corpus / "notes" / "eMlx5fFNoYc" / "44602289471.md", opts)
    assert not any("said nowhere" in w for w in right.warnings) and right.doubt is None
