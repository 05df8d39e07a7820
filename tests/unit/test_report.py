"""Report renderers over hand-made NoteReports covering every claim and note status."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from cliptool import report
from cliptool.models import Alignment, CaptionInfo, Claim, Location, NoteReport

NASTY = 'Neurons <script>alert(1)</script> | fire & "learn"'


def _claim(index: int, raw: str, cited_s: float, text: str) -> Claim:
    return Claim(index=index, line=10 + index, column=1, cited_s=cited_s, raw=raw, text=text)


CHECKED = NoteReport(
    path="notes/vidA/note1.md",
    video_id="vidA",
    status="checked",
    title="But what is a neural network?",
    captions=CaptionInfo(language="en", kind="manual", source="cache/vidA/en.srt"),
    duration_s=1000.0,
    warnings=("anchor class typo 'yt_timestamp' on line 12",),
    claims=(
        _claim(0, "00:01:00", 60.0, "A neuron holds a number between 0 and 1."),
        Claim(1, 11, 1, 150.0, "2:30", "The network has two hidden layers.", visible="2:31"),
        _claim(2, "516", 516.0, NASTY),
        _claim(3, "8m20s", 500.0, "Weights are adjusted by gradient descent."),
        _claim(4, "02:03:00", 7380.0, "The last layer has ten neurons."),
    ),
    alignments=(
        Alignment(0, "ok", start=58.123456, end=64.0, score=0.91234, evidence="a number between 0 and 1"),
        Alignment(1, "shifted", start=200.4, end=205.0, score=0.8, evidence="two | hidden layers",
                  corrected_s=200.0),
        Alignment(2, "unsupported", score=0.12),
        Alignment(3, "ambiguous", start=100.0, end=105.0, score=0.7, evidence="gradient descent",
                  alternatives=(Location(100.0, 105.0, 0.7), Location(400.0, 404.5, 0.69))),
        Alignment(4, "out-of-range", start=123.0, end=127.0, score=0.88, evidence="ten neurons",
                  corrected_s=123.0),
    ),
)  # fmt: skip
NO_CAPTIONS = NoteReport(path="notes/vidB/note2.md", video_id="vidB", status="no-captions", reason="network")
ERROR = NoteReport(path="notes/broken.md", video_id=None, status="error", reason="no videoId in front matter")
# parsed, but the captions could not be had: claims without alignments
UNCHECKED = NoteReport(
    path="notes/vidC/note3.md",
    video_id="vidC",
    status="no-captions",
    reason="not cached (offline)",
    claims=(_claim(0, "00:00:30", 30.0, "Intro."),),
)
REPORTS = [CHECKED, NO_CAPTIONS, ERROR, UNCHECKED]


# --- statistics -------------------------------------------------------------------------------------


def test_note_stats_counts_accuracy_and_median() -> None:
    stats = report.note_stats(CHECKED)
    assert stats["counts"] == {"ok": 1, "shifted": 1, "unsupported": 1, "ambiguous": 1, "out-of-range": 1}
    assert stats["accuracy"] == 0.5
    # |offsets| of located claims: 1.88, 50.4, 400 -> 50.4; the out-of-range claim's 7257 s is
    # no time in the video and stays out of the median
    assert stats["median_abs_offset"] == pytest.approx(50.4)


@pytest.mark.parametrize("r", [NO_CAPTIONS, ERROR, UNCHECKED])
def test_note_stats_of_unchecked_notes_are_empty(r: NoteReport) -> None:
    stats = report.note_stats(r)
    assert stats["counts"] == dict.fromkeys(report.STATUSES, 0)
    assert all(isinstance(n, int) for n in stats["counts"].values())
    assert stats["accuracy"] is None and stats["median_abs_offset"] is None


def test_accuracy_only_counts_ok_and_shifted() -> None:
    claims = tuple(_claim(i, "00:00:10", 10.0, "x") for i in range(4))
    aligns = (
        Alignment(0, "ok", start=9.0, end=12.0),
        Alignment(1, "ok", start=9.0, end=12.0),
        Alignment(2, "ok", start=9.0, end=12.0),
        Alignment(3, "unsupported"),
    )
    r = NoteReport("n.md", "v", "checked", claims=claims, alignments=aligns)
    assert report.note_stats(r)["accuracy"] == 1.0
    only_unsupported = NoteReport("n.md", "v", "checked", claims=claims[3:], alignments=aligns[3:])
    assert report.note_stats(only_unsupported)["accuracy"] is None
    assert report.note_stats(only_unsupported)["median_abs_offset"] is None


def test_summary_pools_all_notes() -> None:
    s = report.summary(REPORTS)
    assert s["notes"] == 4
    assert s["notes_by_status"] == {"checked": 1, "no-captions": 2, "error": 1}
    assert s["claims"] == 6
    assert s["counts"] == {"ok": 1, "shifted": 1, "unsupported": 1, "ambiguous": 1, "out-of-range": 1}
    assert s["accuracy"] == 0.5
    assert s["median_abs_offset"] == pytest.approx(50.4)


def test_alignment_for_unknown_claim_is_a_bug() -> None:
    r = NoteReport("n.md", "v", "checked", claims=(), alignments=(Alignment(3, "ok", start=1.0, end=2.0),))
    with pytest.raises(ValueError, match="unknown claim"):
        report.note_stats(r)


# --- JSON -----------------------------------------------------------------------------------------

NUM = (int, float)
OPT_NUM = (int, float, type(None))
OPT_STR = (str, type(None))
CLAIM_KEYS = {
    "index": int, "line": int, "cited": str, "visible": OPT_STR, "cited_seconds": NUM, "text": str, "status": OPT_STR,
    "start": OPT_NUM, "end": OPT_NUM, "offset": OPT_NUM, "score": OPT_NUM, "evidence": str,
    "alternatives": list, "corrected": OPT_STR,
}  # fmt: skip
NOTE_KEYS = {
    "path": str, "video_id": OPT_STR, "title": OPT_STR, "status": str, "reason": OPT_STR,
    "captions": (dict, type(None)), "claims": list, "counts": dict, "accuracy": OPT_NUM,
    "median_abs_offset": OPT_NUM, "warnings": list,
}  # fmt: skip
SUMMARY_KEYS = {
    "notes": int, "notes_by_status": dict, "claims": int, "counts": dict, "accuracy": OPT_NUM,
    "median_abs_offset": OPT_NUM,
}  # fmt: skip


def _check_keys(obj: dict[str, Any], spec: dict[str, Any], where: str) -> None:
    assert set(obj) == set(spec), where
    for key, types in spec.items():
        assert isinstance(obj[key], types), f"{where}.{key} = {obj[key]!r}"
        assert not isinstance(obj[key], bool), f"{where}.{key} is a bool"


def _check_schema(d: dict[str, Any]) -> None:
    """Hand-written schema check (jsonschema is not a dependency)."""
    assert set(d) == {"tool", "notes", "summary"}
    assert d["tool"]["name"] == "cliptool" and isinstance(d["tool"]["version"], str)
    assert set(d["tool"]) == {"name", "version"}
    for i, note in enumerate(d["notes"]):
        _check_keys(note, NOTE_KEYS, f"notes[{i}]")
        assert note["status"] in ("checked", "no-captions", "error")
        if note["captions"] is not None:
            assert set(note["captions"]) == {"language", "kind", "source"}
            assert note["captions"]["kind"] in ("manual", "auto", "auto-translated", "unknown")
        assert set(note["counts"]) == set(report.STATUSES)
        assert all(type(n) is int for n in note["counts"].values())
        assert all(isinstance(w, str) for w in note["warnings"])
        for j, c in enumerate(note["claims"]):
            _check_keys(c, CLAIM_KEYS, f"notes[{i}].claims[{j}]")
            assert c["status"] in (*report.STATUSES, None)
            if c["status"] in (None, "unsupported"):
                assert c["start"] is None and c["end"] is None and c["offset"] is None
            else:
                assert isinstance(c["start"], NUM) and isinstance(c["end"], NUM)
                assert c["start"] <= c["end"]
                assert c["offset"] == pytest.approx(c["cited_seconds"] - c["start"], abs=0.011)
            assert 0 <= (c["score"] or 0) <= 1
            for alt in c["alternatives"]:
                assert set(alt) == {"start", "end", "score"}
                assert all(isinstance(v, NUM) for v in alt.values())
    _check_keys(d["summary"], SUMMARY_KEYS, "summary")


def test_report_dict_matches_the_schema() -> None:
    d = report.report_dict(REPORTS, version="1.2.3")
    _check_schema(d)
    assert d["tool"] == {"name": "cliptool", "version": "1.2.3"}
    assert [n["path"] for n in d["notes"]] == [r.path for r in REPORTS]


@pytest.mark.parametrize("index", range(5))
def test_report_dict_schema_for_each_claim_status(index: int) -> None:
    """Each status alone in a note still gives a schema-valid report."""
    one = NoteReport(
        CHECKED.path, CHECKED.video_id, "checked", captions=CHECKED.captions,
        claims=(CHECKED.claims[index],), alignments=(CHECKED.alignments[index],),
    )  # fmt: skip
    d = report.report_dict([one], version="0")
    _check_schema(d)
    claim = d["notes"][0]["claims"][0]
    assert claim["status"] == CHECKED.alignments[index].status
    assert d["notes"][0]["counts"][claim["status"]] == 1


def test_report_dict_claim_values() -> None:
    claims = report.report_dict([CHECKED], version="0")["notes"][0]["claims"]
    ok, shifted, unsupported, ambiguous, out_of_range = claims
    assert ok == {
        "index": 0, "line": 10, "cited": "00:01:00", "visible": None, "cited_seconds": 60.0,
        "text": "A neuron holds a number between 0 and 1.", "status": "ok", "start": 58.12, "end": 64.0,
        "offset": 1.88, "score": 0.912, "evidence": "a number between 0 and 1", "alternatives": [],
        "corrected": None,
    }  # fmt: skip
    assert shifted["offset"] == -50.4 and shifted["corrected"] == "3:20"  # keeps the note's M:SS layout
    assert shifted["visible"] == "2:31"  # the anchor shows another time than it cites
    assert unsupported["start"] is None and unsupported["offset"] is None and unsupported["text"] == NASTY
    assert ambiguous["alternatives"] == [
        {"start": 100.0, "end": 105.0, "score": 0.7},
        {"start": 400.0, "end": 404.5, "score": 0.69},
    ]
    assert out_of_range["cited"] == "02:03:00" and out_of_range["cited_seconds"] == 7380.0
    assert out_of_range["corrected"] == "00:02:03" and out_of_range["offset"] == 7257.0


def test_report_dict_note_level_fields() -> None:
    checked, no_captions, error, unchecked = report.report_dict(REPORTS, version="0")["notes"]
    assert checked["captions"] == {"language": "en", "kind": "manual", "source": "cache/vidA/en.srt"}
    assert checked["accuracy"] == 0.5 and checked["median_abs_offset"] == 50.4
    assert checked["warnings"] == ["anchor class typo 'yt_timestamp' on line 12"]
    assert (
        no_captions["captions"] is None and no_captions["reason"] == "network" and no_captions["claims"] == []
    )
    assert error["video_id"] is None and error["status"] == "error"
    (claim,) = unchecked["claims"]
    assert claim["status"] is None and claim["cited_seconds"] == 30.0 and claim["start"] is None


def test_to_json_round_trips_to_report_dict() -> None:
    text = report.to_json(REPORTS, version="0")
    assert json.loads(text) == report.report_dict(REPORTS, version="0")
    assert text.endswith("\n")
    assert report.to_json(REPORTS, version="0") == text  # nothing time-dependent


def test_json_is_what_score_py_reads(corpus: Path, tmp_path: Path) -> None:
    """The corpus scorer finds our notes by folder/stem and reads start, status, cited_seconds."""
    spec = importlib.util.spec_from_file_location("corpus_score", corpus / "score.py")
    assert spec is not None and spec.loader is not None
    score_mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score_mod)
    gold, sents = tmp_path / "gold", tmp_path / "sentences"
    (gold / "vidA").mkdir(parents=True)
    sents.mkdir()
    # S0 at 57-65 (claim 0), S1 at 199-206 (claim 1), claim 2 gold none, claims 3/4 at S2/S3
    sentences = [["a", 57.0, 65.0], ["b", 199.0, 206.0], ["c", 399.0, 405.0], ["d", 122.0, 128.0]]
    (sents / "vidA.json").write_text(json.dumps(sentences), encoding="utf-8")
    rows = ["0\t00:01:00\tfull\tS0\t", "1\t2:30\tfull\tS1\t", "2\t516\tnone\t\t", "3\t8m20s\tfull\tS2\t",
            "4\t02:03:00\tfull\tS3\t"]  # fmt: skip
    (gold / "vidA" / "note1.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = score_mod.score(json.loads(report.to_json(REPORTS, version="0")), str(gold), str(sents))
    assert out["notes"] == 1 and out["claims"] == 5 and out["supported"] == 4
    assert out["located_hit_rate"] == 0.75  # the ambiguous claim points at the other place
    assert out["cited_hit_rate"] == 0.25
    assert out["unsupported_precision"] == 1.0 and out["unsupported_recall"] == 1.0


# --- CSV ------------------------------------------------------------------------------------------


def test_csv_one_row_per_claim_and_per_unchecked_note() -> None:
    rows = list(csv.DictReader(io.StringIO(report.to_csv(REPORTS))))
    assert tuple(rows[0]) == report.CSV_COLUMNS
    assert len(rows) == 5 + 1 + 1 + 1
    by_status = {(r["path"], r["status"]): r for r in rows}
    ok = by_status[("notes/vidA/note1.md", "ok")]
    assert (ok["index"], ok["line"], ok["cited"], ok["start"], ok["offset"], ok["score"]) == (
        "0", "10", "00:01:00", "58.12", "1.88", "0.912",
    )  # fmt: skip
    unsupported = by_status[("notes/vidA/note1.md", "unsupported")]
    assert unsupported["start"] == "" and unsupported["offset"] == "" and unsupported["text"] == NASTY
    assert by_status[("notes/vidA/note1.md", "shifted")]["corrected"] == "3:20"
    no_captions = by_status[("notes/vidB/note2.md", "no-captions")]
    assert no_captions["reason"] == "network" and no_captions["index"] == ""
    assert by_status[("notes/broken.md", "error")]["video_id"] == ""
    unchecked = by_status[("notes/vidC/note3.md", "no-captions")]
    assert unchecked["index"] == "0" and unchecked["reason"] == "not cached (offline)"


def test_csv_text_a_spreadsheet_would_run_as_a_formula_is_quoted() -> None:
    formula = '=HYPERLINK("http://x.example","click")'
    note = replace(CHECKED, claims=(_claim(0, "00:01:00", 60.0, formula),), alignments=(
        Alignment(0, "shifted", start=70.0, end=75.0, score=0.5, evidence="@everyone -listen", corrected_s=70.0),))
    (row,) = csv.DictReader(io.StringIO(report.to_csv([note])))
    assert (row["text"], row["evidence"]) == ("'" + formula, "'@everyone -listen")
    assert row["offset"] == "-10.0"  # numbers are not text


# --- Markdown -----------------------------------------------------------------------------------


def test_markdown_headings_tables_and_escaping() -> None:
    md = report.to_markdown(REPORTS)
    lines = md.splitlines()
    headings = [ln for ln in lines if ln.startswith("## ")]
    assert headings == [
        "## But what is a neural network?", "## notes/vidB/note2.md", "## notes/broken.md",
        "## notes/vidC/note3.md", "## Summary",
    ]  # fmt: skip
    assert "- captions: en, manual (cache/vidA/en.srt)" in lines
    assert "- no-captions: network" in lines
    assert "- error: no videoId in front matter" in lines
    rows = [ln for ln in lines if ln.startswith("| ") and not ln.startswith("| #")]
    assert len(rows) == 6  # five claims of vidA and one of vidC
    for row in rows:  # every row keeps the header's seven cells: no stray pipes
        assert len([c for c in row.replace("\\|", "").split("|")]) == 9
    nasty_row = next(r for r in rows if "unsupported" in r)
    assert "\\| fire" in nasty_row and "<script>" not in md and "&lt;script>" in nasty_row
    assert "[00:01:00](https://youtu.be/vidA?t=60)" in rows[0]
    assert "[00:03:20](https://youtu.be/vidA?t=200)" in rows[1] and "-50s" in rows[1]
    assert "00:01:40 (also 00:06:40)" in rows[3]
    assert lines[-1] == report.summary_line(REPORTS).replace("|", "\\|")


def test_markdown_renders_note_and_caption_text_literally() -> None:
    """QA: a title, claim or evidence written in Markdown rendered as a live link, emphasis or code."""
    title = "[a](javascript:alert(1)) *bold* C# ##"
    claim = "**Neurons** `fire` ~~never~~ | ![i](u) \\* a_b_ <b>x</b> &amp; [c]: d"
    evidence = "_so_ [b][1] <i>x</i> | y\\"
    r = NoteReport(
        path="n.md", video_id="vidA", status="checked", duration_s=100.0, title=title,
        captions=CaptionInfo(language="en", kind="manual", source="cache/vidA/en_x.srt"),
        claims=(_claim(0, "00:00:10", 10.0, claim),),
        alignments=(Alignment(0, "ok", start=9.0, end=20.0, score=0.8, evidence=evidence),),
    )  # fmt: skip
    md = report.to_markdown([r])
    # markdown-it (rich's own Markdown parser) with GitHub's tables and strikethrough
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(md)
    inline = {"".join(k.content for k in t.children or [] if k.type == "text"): t
              for t in tokens if t.type == "inline"}
    for text in (title, claim, evidence, "captions: en, manual (cache/vidA/en_x.srt)"):
        assert {k.type for k in inline[text].children or []} == {"text"}, text
    links = [k.attrs["href"] for t in tokens if t.type == "inline"
             for k in t.children or [] if k.type == "link_open"]
    assert links and all(str(href).startswith("https://youtu.be/vidA") for href in links)
    assert sum(t.type == "td_open" for t in tokens) == 7  # one row, no cell split by a "|"
    assert "\\$x\\$" in report.to_markdown([replace(r, title="$x$")])  # no math on GitHub either
    # a file name can hold a line break: the next line would be a heading of its own
    odd_path = report.to_markdown([replace(r, path="notes/a`\n# b.md")])
    assert "- path: `notes/a # b.md`" in odd_path.splitlines()


# --- HTML -----------------------------------------------------------------------------------------


class _Tree(HTMLParser):
    """Collects every start tag (with attrs and its enclosing note section) and all text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None], str | None]] = []
        self.text: list[str] = []
        self.section: str | None = None
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("class") == "note":
            self.section = a["id"]
        self.tags.append((tag, a, self.section))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.section = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[tuple[dict[str, str | None], str | None]]:
        return [(a, s) for t, a, s in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture(scope="module")
def page() -> _Tree:
    tree = _Tree()
    tree.feed(report.to_html(REPORTS, version="9.9"))
    tree.close()
    return tree


def test_html_one_section_and_one_claim_row_per_claim(page: _Tree) -> None:
    sections = [a for a, _ in page.find("section", **{"class": "note"})]
    assert [s["data-status"] for s in sections] == ["checked", "no-captions", "error", "no-captions"]
    rows = page.find("tr", **{"class": "claim"})
    per_section: dict[str | None, list[str | None]] = {}
    for attrs, section in rows:
        per_section.setdefault(section, []).append(attrs["data-status"])
    assert per_section == {
        sections[0]["id"]: ["ok", "shifted", "unsupported", "ambiguous", "out-of-range"],
        sections[3]["id"]: ["—"],
    }


def test_html_offset_of_a_time_past_the_end_says_so_as_the_other_formats_do(page: _Tree) -> None:
    text = "".join(page.text)
    assert "past end" in text and "+7257s" not in text


def test_html_links_open_the_video_at_cited_and_located_seconds(page: _Tree) -> None:
    hrefs = [a["href"] for a, s in page.find("a") if s == "note1"]
    assert hrefs[0] == "https://youtu.be/vidA"
    for expected in ("?t=60", "?t=58", "?t=150", "?t=200", "?t=516", "?t=500", "?t=100", "?t=400", "?t=7380",
                     "?t=123"):  # fmt: skip
        assert f"https://youtu.be/vidA{expected}" in hrefs
    # the unsupported claim has a cited link only
    assert all(h is not None and h.startswith("https://youtu.be/vidA") for h in hrefs)
    assert not [a for a, s in page.find("a") if s == "note3"]  # no video id, no links


def test_html_timeline_svg_per_checked_note(page: _Tree) -> None:
    svgs = page.find("svg")
    assert [s for _, s in svgs] == ["note1", "note4"]
    marks = [a["data-status"] for a, s in page.find("g", **{"class": "mark"}) if s == "note1"]
    assert marks == ["ok", "shifted", "unsupported", "ambiguous", "out-of-range"]
    shifts = [a for a, s in page.find("line", **{"class": "shift"}) if s == "note1"]
    assert len(shifts) == 3  # shifted, ambiguous, out-of-range join cited to located; ok does not
    assert len(page.find("blockquote", **{"class": "evidence"})) == 4


def test_html_escapes_note_text_and_needs_nothing_online(page: _Tree) -> None:
    assert not page.find("script")  # the claim's <script> stayed text
    assert any(NASTY in t for t in page.text)
    assert not page.find("link") and not page.find("img") and not page.find("iframe")
    assert all("src" not in a for _, a, _ in page.tags)
    assert any("no-captions: network" in t for t in page.text)
    assert any("error: no videoId in front matter" in t for t in page.text)
    assert any("cliptool 9.9" in t for t in page.text)
    raw = report.to_html(REPORTS, version="9.9")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw and "<style>" in raw


# --- rich -----------------------------------------------------------------------------------------


def _render(reports: list[NoteReport], width: int = 120) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    for renderable in report.render_table(reports):
        console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


def test_render_table_one_table_per_note_with_titles() -> None:
    tables = report.render_table(REPORTS)
    assert len(tables) == 4
    out = _render(REPORTS)
    assert "notes/vidA/note1.md · vidA · But what is a neural network?" in out
    assert "captions: en, manual (cache/vidA/en.srt)" in out
    assert "no-captions: network" in out and "error: no videoId in front matter" in out
    assert "warning: anchor class typo 'yt_timestamp' on line 12" in out
    for header in ("#", "cited", "status", "located", "offset", "claim", "evidence"):
        assert header in out


def test_render_table_shows_the_warnings_of_a_note_without_a_table() -> None:
    bare = NoteReport(path="n.md", video_id="vidA", status="checked", warnings=("no timestamps to check: …",))
    gone = NoteReport(path="m.md", video_id="vidA", status="no-captions", reason="network: offline",
                      warnings=("line 3: anchor class 'yt_timestamp' is misspelled",))
    out = _render([bare, gone])
    assert "no claims\nwarning: no timestamps to check: …" in out
    assert "warning: line 3: anchor class 'yt_timestamp' is misspelled" in out


def test_render_table_rows() -> None:
    out = _render([CHECKED])
    lines = out.splitlines()

    def row(status: str) -> str:
        return next(ln for ln in lines if f" {status} " in ln)

    assert "00:01:00" in row("ok") and "00:00:58" in row("ok") and "+2s" in row("ok")
    assert "00:02:30" in row("shifted") and "00:03:20" in row("shifted") and "-50s" in row("shifted")
    assert "—" in row("unsupported") and "Neurons <script>alert(1)" in out  # plain text, not markup
    assert "00:01:40 (+1)" in row("ambiguous")
    assert "02:03:00" in row("out-of-range") and "00:02:03" in row("out-of-range")
    assert "past end" in row("out-of-range") and "+7257s" not in out  # no offset from a time past the end


def test_render_table_narrow_keeps_the_claims_and_drops_the_evidence() -> None:
    wide, narrow = _render([CHECKED], 120), _render([CHECKED], 80)
    assert "evidence" in wide and "evidence" not in narrow
    assert all(len(line) <= 80 for line in narrow.splitlines() if line.startswith(("│", "┃")))

    def claim_cells(out: str) -> list[str]:
        return [line.split("│")[6].strip() for line in out.splitlines() if line.startswith("│")]

    # the room the evidence leaves goes to the claims: one column narrower, each claim shows more
    without, with_evidence = claim_cells(_render([CHECKED], 109)), claim_cells(_render([CHECKED], 110))
    assert "evidence" in _render([CHECKED], 110) and "evidence" not in _render([CHECKED], 109)
    for a, b in zip(without, with_evidence, strict=True):
        assert len(a.rstrip("…")) >= len(b.rstrip("…"))
    assert sum(map(len, without)) > sum(map(len, with_evidence))
    assert [ln.split("│")[3].strip() for ln in narrow.splitlines() if ln.startswith("│")] == [
        "ok", "shifted", "unsupported", "ambiguous", "out-of-range"]


def test_render_table_colours_by_status() -> None:
    console = Console(file=io.StringIO(), width=120, color_system="standard", force_terminal=True)
    for renderable in report.render_table([CHECKED]):
        console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b[32mok" in out and "\x1b[31munsupported" in out and "\x1b[33mshifted" in out


def test_summary_line() -> None:
    assert report.summary_line(REPORTS) == (
        "4 notes (1 checked, 2 no-captions, 1 error); 6 claims: 1 ok, 1 shifted, 1 unsupported, "
        "1 ambiguous, 1 out-of-range, 1 not checked; accuracy 50.0%; median |offset| 50s"
    )
    assert report.summary_line([]) == "0 notes; 0 claims: no claims; accuracy n/a; median |offset| n/a"


def test_summary_line_counts_claims_of_notes_without_captions_as_not_checked() -> None:
    # A note whose captions could not be had still has its claims: they were not checked, not absent.
    assert report.summary_line([UNCHECKED]) == (
        "1 note (1 no-captions); 1 claim: 1 not checked; accuracy n/a; median |offset| n/a"
    )
    assert report.summary_line([NO_CAPTIONS, ERROR]) == (
        "2 notes (1 no-captions, 1 error); 0 claims: no claims; accuracy n/a; median |offset| n/a"
    )


def test_render_table_keeps_each_claim_on_one_line() -> None:
    out = _render([CHECKED])
    body = [ln for ln in out.splitlines() if ln.startswith("│")]
    assert len(body) == len(CHECKED.claims)


def test_render_table_says_why_unchecked_claims_have_no_rows() -> None:
    out = _render([UNCHECKED])
    assert "no-captions: not cached (offline)" in out and "1 claim not checked" in out
    assert "│" not in out  # no table of empty rows


def test_located_times_links_and_offsets_agree_on_whole_seconds() -> None:
    # 1189.6 s: the link opens at 1189 and fix writes 00:19:49, so the shown time must too.
    r = NoteReport(
        path="n.md", video_id="vidA", status="checked", duration_s=2000.0,
        captions=CaptionInfo(language="en", kind="manual", source="x"),
        claims=(_claim(0, "00:19:40", 1180.0, "A claim."),),
        alignments=(Alignment(0, "shifted", start=1189.6, end=1195.0, score=0.8, evidence="e", corrected_s=1189.0),),
    )  # fmt: skip
    md = report.to_markdown([r])
    assert "[00:19:49](https://youtu.be/vidA?t=1189)" in md and "-9s" in md
    assert "00:19:50" not in md
    assert "00:19:49" in _render([r]) and "00:19:50" not in _render([r])


def test_markdown_keeps_the_whole_claim_and_evidence() -> None:
    long_claim = "Attention " + "really " * 40 + "matters."
    long_evidence = "So " + "very " * 40 + "much."
    r = NoteReport(
        path="n.md", video_id="vidA", status="checked", duration_s=100.0,
        captions=CaptionInfo(language="en", kind="manual", source="x"),
        claims=(_claim(0, "00:00:10", 10.0, long_claim),),
        alignments=(Alignment(0, "ok", start=9.0, end=20.0, score=0.8, evidence=long_evidence),),
    )  # fmt: skip
    md = report.to_markdown([r])
    assert long_claim in md and long_evidence in md and "…" not in md


def test_html_says_whether_fix_writes_a_correction_or_leaves_it_below_min_score() -> None:
    weak = replace(CHECKED, alignments=(
        *CHECKED.alignments[:1],
        replace(CHECKED.alignments[1], score=0.1),  # below fix's default --min-score
        *CHECKED.alignments[2:],
    ))
    strong_html, weak_html = report.to_html([CHECKED], version="9"), report.to_html([weak], version="9")
    assert "fix writes <code>3:20</code> for <code>2:30</code>" in strong_html
    assert "fix writes <code>3:20</code>" not in weak_html
    assert "fix leaves <code>2:30</code>: the score is below its --min-score 0.15" in weak_html
    # a MM:SS reading is written at any score: the note's own time written right
    assert "fix writes <code>00:02:03</code> for <code>02:03:00</code>" in weak_html


def test_verdicts_on_weak_evidence_are_flagged_in_table_markdown_and_html() -> None:
    # ok at 0.05 and shifted at 0.08: weak; unsupported at 0.02 is strong evidence it is not said
    weak = replace(CHECKED, alignments=(
        replace(CHECKED.alignments[0], score=0.05),
        replace(CHECKED.alignments[1], score=0.08),
        replace(CHECKED.alignments[2], score=0.02),
        *CHECKED.alignments[3:],
    ))
    table = _render([weak])
    rows = {line.split("│")[1].strip(): line for line in table.splitlines() if line.count("│") > 5}
    assert "ok ?" in rows["0"] and "shifted ?" in rows["1"]
    assert "?" not in rows["2"].split("│")[3] and "?" not in rows["3"].split("│")[3]
    assert report.WEAK_LEGEND in table
    assert report.WEAK_LEGEND not in _render([CHECKED])  # no weak verdict, no legend

    md = report.to_markdown([weak])
    assert "| ok ? |" in md and "| shifted ? |" in md and "| unsupported |" in md and report.WEAK_LEGEND in md
    assert report.WEAK_LEGEND not in report.to_markdown([CHECKED])

    tree = _Tree()
    tree.feed(report.to_html([weak], version="9"))
    flagged = [a for a, _ in tree.find("span", **{"class": "weak"})]
    assert len(flagged) == 2 and flagged[0]["title"] == report.WEAK_LEGEND
    # the JSON keeps its five statuses: the flag is the score, which it carries
    assert {c["status"] for c in json.loads(report.to_json([weak], version="9"))["notes"][0]["claims"]} <= set(
        report.STATUSES)


def test_html_does_not_promise_a_rewrite_of_a_definition_other_links_use() -> None:
    """fix leaves a claim whose ``[w]: URL?t=`` another link (or image) uses too: the report must say so."""
    from cliptool.notes import parse_note

    text = ("---\nvideoId: vidA\n---\nOne [05:00][w]. Two [05:00][W]. Three [06:00][own].\n\n"
            "[w]: https://youtu.be/vidA?t=300\n[own]: https://youtu.be/vidA?t=360\n")
    claims = parse_note(text.replace("vidA", "abcdefghijk")).claims
    moved = tuple(Alignment(c.index, "shifted", start=632.0, end=637.0, score=0.9, corrected_s=632.0) for c in claims)
    page = report.to_html([replace(CHECKED, claims=claims, alignments=moved)], version="9")
    assert page.count("fix writes <code>632</code>") == 1  # Three's own definition
    assert page.count("fix leaves <code>300</code>: its time is in a reference definition that other links "
                      "or images use too") == 2
