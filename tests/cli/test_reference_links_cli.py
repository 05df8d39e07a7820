"""Reference-style links end to end: claims, verify and fix on a note that uses them everywhere
Markdown allows, over the corpus's cached captions of aircAruvnKk."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cliptool.cli import app

VIDEO = "aircAruvnKk"

# Every time right, as the captions say it. No line break at the end; the definitions come last.
NOTE = f"""---
videoId: {VIDEO}
title: reference links
---
# Structure

- All of these 784 neurons make up the first layer of our network [03:36][first].

    [first]: https://youtu.be/{VIDEO}?t=216

- The last layer has 10 neurons, one per digit [03:46][Last]
    - Two hidden layers with 16 neurons each [04:14][hidden]
        - A 9 has a loop up top and a line on the right [05:54][nine]

| claim | time |
|---|---|
| The sigmoid function is also called a logistic curve | [10:32][sig] |

> Recognizing a loop can break down into recognizing
> the various little edges that make it up [06:57][edges].

> [!note] Callout
> That additional number is called the bias [11:20]

> [!tip]- Fold
> ReLU stands for rectified linear unit [ReLU][]

This network has almost exactly 13,000 total weights and biases [12:18][w].

![a picture of the network][W]

[LAST]: https://www.youtube.com/watch?v={VIDEO}&t=226s "the last layer"
[hidden]: <https://youtu.be/{VIDEO}?t=254> 'hidden'
[nine]: https://youtu.be/{VIDEO}?t=354 (nine)
[sig]: https://youtu.be/{VIDEO}?t=632
[edges]: https://youtu.be/{VIDEO}?t=417
[11:20]: https://youtu.be/{VIDEO}?t=680
[relu]: https://youtu.be/{VIDEO}?t=1059
[w]: https://youtu.be/{VIDEO}?t=738
[SIG]: https://youtu.be/{VIDEO}?t=5"""


def _late(text: str, by_s: int = 100) -> str:
    """Every time of ``text`` (t= values and shown MM:SS labels) ``by_s`` later, but the decoy t=5."""
    def label(m: re.Match[str]) -> str:
        s = int(m[1]) * 60 + int(m[2]) + by_s
        return f"[{s // 60:02d}:{s % 60:02d}]"

    text = re.sub(r"t=(\d+)", lambda m: m[0] if m[1] == "5" else f"t={int(m[1]) + by_s}", text)
    return re.sub(r"\[(\d\d):(\d\d)\]", label, text)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _offline(corpus: Path) -> list[str]:
    return ["--cache", str(corpus / "cache"), "--offline"]


@pytest.mark.parametrize("nl", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_fix_puts_every_reference_back_but_a_shared_definition_and_a_second_run_finds_nothing(
    corpus: Path, tmp_path: Path, nl: str
) -> None:
    note = tmp_path / "notes" / "refs.md"
    note.parent.mkdir()
    note.write_bytes(_late(NOTE).replace("\n", nl).encode("utf-8"))
    code, out, err = _run("fix", str(note.parent), "--write", "--no-backup", "--format", "json", *_offline(corpus))
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert (summary["anchors_retimed"], summary["anchors_in_shared_definitions"]) == (8, 1)
    # byte for byte the note as written, line breaks and the missing last one included; the
    # definition the image uses too keeps its (wrong) time, and so does the unused second [SIG]
    shared = _late("[12:18][w]") + _late(f"[w]: https://youtu.be/{VIDEO}?t=738")
    expected = NOTE.replace("[12:18][w]", shared[: len("[12:18][w]")]).replace(
        f"[w]: https://youtu.be/{VIDEO}?t=738", shared[len("[12:18][w]") :])
    assert note.read_bytes().decode("utf-8") == expected.replace("\n", nl)
    code, out, err = _run("fix", str(note.parent), "--format", "json", *_offline(corpus))
    assert code == 0, err
    assert json.loads(out)["changes"] == []


def test_claims_and_verify_agree_on_every_reference_claim(corpus: Path, tmp_path: Path) -> None:
    note = tmp_path / "refs.md"
    note.write_text(_late(NOTE), encoding="utf-8")
    code, out, err = _run("claims", str(note), "--format", "json")
    assert code == 0, err
    claims = json.loads(out)
    code, out, err = _run("verify", str(note), "--format", "json", *_offline(corpus))
    assert code == 0, err
    checked = json.loads(out)["notes"][0]["claims"]
    keys = ("index", "line", "cited", "cited_seconds", "visible", "text")
    assert [{k: c[k] for k in keys} for c in claims] == [{k: c[k] for k in keys} for c in checked]
    assert [c["text"] for c in claims] == [
        "All of these 784 neurons make up the first layer of our network",
        "The last layer has 10 neurons, one per digit",
        "Two hidden layers with 16 neurons each",
        "A 9 has a loop up top and a line on the right",
        "The sigmoid function is also called a logistic curve",
        "Recognizing a loop can break down into recognizing the various little edges that make it up",
        "That additional number is called the bias",
        "ReLU stands for rectified linear unit ReLU",  # the link's own words are prose too
        "This network has almost exactly 13,000 total weights and biases",
    ]
    assert {c["status"] for c in checked} == {"shifted", "out-of-range"} and checked[-1]["corrected"] == "738"


def test_the_html_report_says_fix_leaves_a_definition_an_image_uses_too(corpus: Path, tmp_path: Path) -> None:
    note = tmp_path / "refs.md"
    note.write_text(_late(NOTE), encoding="utf-8")
    code, out, err = _run("verify", str(note), "--format", "html", *_offline(corpus))
    assert code == 0, err
    assert "fix writes <code>738</code>" not in out
    assert ("fix leaves <code>838</code>: its time is in a reference definition that other links or images "
            "use too (give this link its own to write <code>738</code>)") in out
    assert out.count("fix writes <code>") == 8


def test_mark_unsupported_after_reference_links_everywhere_once(corpus: Path, tmp_path: Path) -> None:
    body = NOTE.replace("All of these 784 neurons make up the first layer of our network",
                        "Bananas are the main export of Ecuador").replace(
        "The sigmoid function is also called a logistic curve", "Penguins live in the southern hemisphere").replace(
        "That additional number is called the bias", "The Eiffel tower is made of wrought iron")
    note = tmp_path / "notes" / "marks.md"
    note.parent.mkdir()
    note.write_text(body, encoding="utf-8")
    args = ["fix", str(note.parent), "--mark-unsupported", "--marker", "(?)", *_offline(corpus)]
    code, out, err = _run(*args, "--write", "--no-backup")
    assert code == 0, err
    mark = '<span class="cliptool-unsupported">(?)</span>'
    marked = note.read_text(encoding="utf-8")
    assert marked == body.replace("[03:36][first].", f"[03:36][first] {mark}.").replace(
        "[10:32][sig] |", f"[10:32][sig] {mark} |").replace("iron [11:20]", f"iron [11:20] {mark}")
    code, out, err = _run(*args, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["changes"] == []
    code, out, err = _run("claims", str(note), "--format", "json")
    assert [c["text"] for c in json.loads(out)][:1] == ["Bananas are the main export of Ecuador"]
