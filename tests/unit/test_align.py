"""The aligner on tiny hand-made transcripts: one case per status, plus the MM:SS-in-HH:MM quirk."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cliptool.align import TranscriptIndex, Tuning, align_note, build_index, shared_words
from cliptool.models import Alignment, Claim, Sentence
from cliptool.timecode import format_ts

# A 20-minute talk about bees, one sentence every 6 s as in real speech: a few sentences with their
# own vocabulary (one said twice) among numbered filler the claims never mention.
SAID: dict[float, str] = {
    0.0: "Welcome to this short talk about honeybees and how they find flowers.",
    60.0: "A scout bee performs a waggle dance to tell the hive where the nectar is.",
    120.0: "The angle of the dance points toward the food relative to the sun.",
    300.0: "Remember this: pollination feeds one third of everything we eat.",
    420.0: "Queens can lay up to two thousand eggs in a single summer day.",
    540.0: "Drones exist mainly to mate, and they cannot sting anyone.",
    600.0: "Winter clusters keep the colony warm by shivering their flight muscles.",
    720.0: "Honey is stored in wax cells and capped once its water content drops.",
    780.0: "Varroa mites are the biggest threat to managed hives today.",
    840.0: "Beekeepers smoke the entrance so the guards stay calm during inspections.",
    900.0: "Remember this: pollination feeds one third of everything we eat.",
    1140.0: "Thanks for watching, and see you next time.",
}
END_S = 1200.0
TALK: list[tuple[float, str]] = [(t, SAID.get(t, f"Now we count slowly, item {n}.")) for n, t in
                                 enumerate(float(x) for x in range(0, int(END_S), 6))]


def _index(talk: list[tuple[float, str]] = TALK, end_s: float = END_S) -> TranscriptIndex:
    sentences = [Sentence(i, start, start + 5.5, text) for i, (start, text) in enumerate(talk)]
    return build_index(sentences, end_s=end_s)


def _claims(*rows: tuple[str, str]) -> list[Claim]:
    """Claims from (raw HH:MM:SS, text) rows; the cited second is the literal reading."""
    out = []
    for i, (raw, text) in enumerate(rows):
        h, m, s = (int(p) for p in raw.split(":"))
        out.append(Claim(index=i, line=i + 1, column=1, cited_s=float(h * 3600 + m * 60 + s), raw=raw, text=text))
    return out


def _align(*rows: tuple[str, str]) -> tuple[Alignment, ...]:
    return align_note(_claims(*rows), _index())


def test_ok_when_the_cited_time_is_where_it_is_said() -> None:
    a = _align(
        ("00:07:00", "Queens lay up to two thousand eggs in a summer day"),
        ("00:09:02", "Drones exist to mate and cannot sting"),
    )
    assert [x.status for x in a] == ["ok", "ok"]
    assert (a[0].start, a[1].start) == (420.0, 540.0)
    assert a[0].offset(420.0) == 0.0
    assert "thousand eggs" in a[0].evidence
    assert a[0].corrected_s is None
    assert 0.5 < a[0].score <= 1.0


def test_shifted_reports_where_it_is_said_and_the_offset() -> None:
    claims = _claims(
        ("00:07:00", "Queens lay up to two thousand eggs in a summer day"),
        ("00:02:00", "Varroa mites are the biggest threat to managed hives"),
    )
    a = align_note(claims, _index())
    assert a[1].status == "shifted"
    assert a[1].start == 780.0
    assert a[1].offset(claims[1].cited_s) == 120.0 - 780.0
    assert a[1].corrected_s == 780.0
    assert "Varroa" in a[1].evidence


def test_unsupported_has_no_time() -> None:
    a = _align(
        ("00:07:00", "Queens lay up to two thousand eggs in a summer day"),
        ("00:10:00", "Octopuses change colour using chromatophores in their skin"),
    )
    assert a[1].status == "unsupported"
    assert a[1].start is None and a[1].end is None
    assert a[1].offset(600.0) is None
    assert a[1].evidence == ""


def test_out_of_range_is_still_located() -> None:
    a = _align(
        ("00:07:00", "Queens lay up to two thousand eggs in a summer day"),
        ("00:09:02", "Drones exist to mate and cannot sting"),
        ("03:00:05", "Beekeepers smoke the entrance so the guards stay calm"),
    )
    assert a[2].status == "out-of-range"
    assert a[2].start == 840.0
    assert a[2].corrected_s == 840.0
    assert a[2].reading_s is None  # 03:00:05 is no MM:SS slip: nothing for fix to write but the move


def test_a_time_past_the_end_carries_its_mmss_reading_only_when_that_is_inside_the_video() -> None:
    a = _align(
        ("00:07:00", "Queens lay up to two thousand eggs in a summer day"),
        ("09:00:00", "Drones exist to mate and cannot sting"),
        ("45:00:00", "Varroa mites are the biggest threat to managed hives"),
    )
    assert [x.status for x in a] == ["ok", "out-of-range", "out-of-range"]
    assert a[1].reading_s == 540.0
    assert a[2].reading_s is None  # 45:00 is past the end too


def test_ambiguous_lists_both_places() -> None:
    # Said at 05:00 and 15:00, cited at 10:00 where something else is said: no clear winner.
    (a,) = _align(("00:10:00", "Pollination feeds one third of everything we eat"))
    assert a.status == "ambiguous"
    assert a.start in (300.0, 900.0)
    assert sorted(loc.start for loc in a.alternatives) == [300.0, 900.0]
    assert all(loc.score > 0.5 for loc in a.alternatives)


def test_mmss_in_hhmm_slots_read_as_minutes_when_the_transcript_agrees() -> None:
    # The whole note writes MM:SS into the HH:MM slots: 07:00:00 means 00:07:00.
    a = _align(
        ("07:00:00", "Queens lay up to two thousand eggs in a summer day"),
        ("09:00:00", "Drones exist to mate and cannot sting"),
        ("13:00:00", "Varroa mites are the biggest threat to managed hives"),
    )
    assert [x.status for x in a] == ["out-of-range"] * 3
    assert [x.start for x in a] == [420.0, 540.0, 780.0]
    assert [x.corrected_s for x in a] == [420.0, 540.0, 780.0]


def test_a_time_right_under_the_mmss_reading_is_corrected_to_that_reading_not_the_passage_start() -> None:
    # 07:03:00 read as 07:03 falls inside the queens sentence (07:00-07:05.5): the note's own
    # second is right, so fix should write 00:07:03, not round it down to 00:07:00; two anchors
    # three seconds apart must not collapse onto one time.
    a = _align(
        ("07:03:00", "Queens lay up to two thousand eggs in a summer day"),
        ("09:00:00", "Drones exist to mate and cannot sting"),
        ("13:00:00", "Varroa mites are the biggest threat to managed hives"),
    )
    assert [x.status for x in a] == ["out-of-range"] * 3
    assert a[0].start == 420.0 and a[0].corrected_s == 423.0


def test_a_slip_past_the_end_keeps_its_mmss_reading_in_a_note_whose_other_times_are_right() -> None:
    # What `fix` leaves: most anchors rewritten as real HH:MM:SS, one slip kept for want of
    # evidence. The note as a whole reads literally, yet 05:00:00 (past the end) still means
    # 05:00; without that reading the claim said at 05:00 and 15:00 would be a tie, or moved.
    a = _align(
        ("00:07:00", "Queens lay up to two thousand eggs in a summer day"),
        ("00:09:00", "Drones exist to mate and cannot sting"),
        ("00:13:00", "Varroa mites are the biggest threat to managed hives"),
        ("05:00:00", "Pollination feeds one third of everything we eat"),
    )
    assert [x.status for x in a] == ["ok", "ok", "ok", "out-of-range"]
    assert (a[3].start, a[3].corrected_s) == (300.0, 300.0)


def test_tolerance_only_judges_the_cited_time_it_never_moves_a_claim() -> None:
    # Cited 3 s, 8 s and 60 s before the sentence that says the claim, inside a sentence that
    # says another, and at a claim said twice: a wider tolerance may turn "shifted" into "ok",
    # never the reverse, and never changes where a claim is found or whether it is said at all.
    claims = _claims(
        ("00:06:57", "Queens lay up to two thousand eggs in a summer day"),
        ("00:08:52", "Drones exist to mate and cannot sting"),
        ("00:12:00", "Varroa mites are the biggest threat to managed hives"),
        ("00:13:59", "Beekeepers smoke the entrance so the guards stay calm"),
        ("00:14:58", "Pollination feeds one third of everything we eat"),
        ("00:02:00", "Beekeepers wear white suits on the moon"),
    )
    tolerances = (0.0, 2.0, 5.0, 10.0, 60.0, 1000.0)
    runs = [align_note(claims, _index(), tolerance_s=t) for t in tolerances]
    assert [a.status for a in runs[0]][:4] == ["shifted"] * 4
    assert [a.status for a in runs[-1]][:4] == ["ok"] * 4
    for tighter, wider in itertools.pairwise(runs):
        for a, b in zip(tighter, wider, strict=True):
            assert a.status != "ok" or b.status == "ok", (a, b)
            assert (a.status == "unsupported") == (b.status == "unsupported"), (a, b)
            assert a.status == "ambiguous" or b.status == "ambiguous" or abs((a.start or 0) - (b.start or 0)) < 6, (a, b)
    assert {a.start for a in runs[-1][:5]} == {420.0, 540.0, 780.0, 840.0, 900.0}
    # Said in part at 06:00 and in full at 07:00: cited at 06:00 it is found there, and a
    # tolerance wide enough to reach 07:00 must not pull it there.
    talk = [(t, "Queens can lay up to two thousand eggs in summer." if t == 360.0 else text) for t, text in TALK]
    queens = _claims(("00:06:00", "Queens lay up to two thousand eggs in a summer day"))
    assert [align_note(queens, _index(talk), tolerance_s=t)[0].start for t in tolerances] == [360.0] * len(tolerances)


def test_a_wide_tolerance_never_makes_a_mmss_reading_the_correction() -> None:
    # 12:00:00 read as 12:00 is a minute before the varroa sentence (13:00): a 100 s tolerance
    # may call the reading right, but the time a fix writes is where the claim is said.
    claims = _claims(
        ("07:00:00", "Queens lay up to two thousand eggs in a summer day"),
        ("09:00:00", "Drones exist to mate and cannot sting"),
        ("12:00:00", "Varroa mites are the biggest threat to managed hives"),
    )
    for tolerance in (5.0, 100.0):
        a = align_note(claims, _index(), tolerance_s=tolerance)
        assert [x.corrected_s for x in a] == [420.0, 540.0, 780.0], tolerance


def test_whole_second_citations_match_a_passage_starting_within_that_second() -> None:
    # Notes cite whole seconds: with no tolerance, 00:07:00 is still where a passage starting
    # at 420.4 s is, not "shifted" to a correction equal to the cited time.
    talk = [(t + 0.4 if t == 420.0 else t, text) for t, text in TALK]
    (a,) = align_note(_claims(("00:07:00", "Queens lay up to two thousand eggs in a summer day")), _index(talk),
                      tolerance_s=0.0)
    assert (a.status, a.start, a.corrected_s) == ("ok", 420.4, None)


def test_empty_inputs() -> None:
    assert align_note([], _index()) == ()
    (a,) = align_note(_claims(("00:00:10", "anything at all")), build_index([], end_s=60.0))
    assert a.status == "unsupported"


def test_times_with_seconds_are_never_read_as_mmss() -> None:
    # Only a time ending in :00 can be MM:SS written into the HH:MM slots; here one stray such
    # time must not make the note's other, correct, times "shifted by 0 s".
    talk = [(1.0, SAID[0.0]), (6.0, SAID[60.0]), (12.0, SAID[120.0]), (95.0, SAID[840.0])]
    claims = _claims(
        ("00:00:06", "A scout bee performs a waggle dance to tell the hive where the nectar is"),
        ("00:00:12", "The angle of the dance points toward the food relative to the sun"),
        ("01:35:00", "Beekeepers smoke the entrance so the guards stay calm"),
    )
    a = align_note(claims, _index(talk, end_s=150.0))
    assert [x.status for x in a] == ["ok", "ok", "out-of-range"]


def test_ok_means_the_cited_time_is_near_the_reported_start() -> None:
    # Cited at 10:00 (winter clusters); varroa is said at 13:00, within a 3-sentence passage
    # that starts at 10:00. The verdict must match the reported start, not the passage's.
    talk = [(600.0, SAID[600.0]), (660.0, SAID[720.0]), (780.0, SAID[780.0])]
    claims = _claims(("00:10:00", "Varroa mites are the biggest threat to managed hives"))
    (a,) = align_note(claims, _index(talk, end_s=900.0))
    assert a.start == 780.0
    assert a.status == "shifted"


@pytest.mark.parametrize("cited", [0.0, 300.0, 1100.0])
def test_verdict_agrees_with_reported_start(cited: float) -> None:
    """ok exactly when the cited time lies in [start - tolerance, end] of the reported passage."""
    claims = [Claim(0, 1, 1, cited, format_ts(cited), "Varroa mites are the biggest threat to managed hives")]
    (a,) = align_note(claims, _index(), tolerance_s=5.0)
    assert a.start is not None and a.end is not None
    inside = a.start - 5.0 <= cited <= a.end
    assert (a.status == "ok") == inside


def test_overlapping_passages_are_not_a_second_place() -> None:
    # Sparse speech (a minute between sentences): 2-sentence passages that contain the winning
    # sentence start > 30 s away from it, but they are the same place, not a repetition.
    talk = [(t, SAID[t]) for t in (420.0, 720.0, 780.0, 840.0)]
    claims = _claims(
        ("00:07:00", "Queens lay up to two thousand eggs in a summer day"),
        ("00:02:00", "Varroa mites are the biggest threat to managed hives"),
    )
    a = align_note(claims, _index(talk, end_s=900.0))
    assert a[1].status == "shifted"
    assert a[1].alternatives == ()


# Where SAID says these claims, each once but the first (also at 15:00).
SAID_AT: dict[float, str] = {
    300.0: "Pollination feeds one third of everything we eat",
    420.0: "Queens lay up to two thousand eggs in a single summer day",
    540.0: "Drones exist mainly to mate and cannot sting",
    600.0: "Winter clusters keep the colony warm by shivering flight muscles",
    720.0: "Honey is stored in wax cells and capped when its water content drops",
    780.0: "Varroa mites are the biggest threat to managed hives",
    840.0: "Beekeepers smoke the entrance so the guards stay calm",
}


def test_a_note_cited_late_throughout_is_corrected_as_a_whole() -> None:
    # Every claim cited 40 s after it is said (a copy of the video with a longer intro). The
    # pollination line is said at 5:00 and again at 15:00: only the note's common offset says
    # which of the two this note means.
    said = list(SAID_AT)
    a = _align(*((format_ts(t + 40.0), text) for t, text in SAID_AT.items()))
    assert [x.status for x in a] == ["shifted"] * len(said)
    assert [x.start for x in a] == said
    assert [x.corrected_s for x in a] == said


def test_a_claim_cited_right_in_a_note_cited_late_throughout_is_ok() -> None:
    # The note's offset says where the others are; the last claim's own time is right as written
    # (its passage starts at 14:00), so it is ok, not "shifted" by 0 s to where it is cited.
    *late, (last_t, last) = SAID_AT.items()
    a = _align(*((format_ts(t + 40.0), text) for t, text in late), (format_ts(last_t), last))
    assert [x.status for x in a] == ["shifted"] * len(late) + ["ok"]
    assert (a[-1].start, a[-1].corrected_s) == (840.0, None)


def test_a_few_late_claims_do_not_make_a_note_offset() -> None:
    # Two claims 40 s late among four right ones: no common offset, the right ones stay ok.
    a = _align(
        ("00:07:00", "Queens lay up to two thousand eggs in a single summer day"),
        ("00:09:40", "Drones exist mainly to mate and cannot sting"),
        ("00:10:00", "Winter clusters keep the colony warm by shivering flight muscles"),
        ("00:12:40", "Honey is stored in wax cells and capped when its water content drops"),
        ("00:13:00", "Varroa mites are the biggest threat to managed hives"),
        ("00:14:00", "Beekeepers smoke the entrance so the guards stay calm"),
    )
    assert [x.status for x in a] == ["ok", "shifted", "ok", "shifted", "ok", "ok"]
    assert (a[1].start, a[3].start) == (540.0, 720.0)


def test_symbols_in_a_note_meet_the_words_the_speaker_says() -> None:
    # Only the Greek letter tells the two sentences apart; the note cites the wrong one.
    talk = [(t, SAID.get(t, f"Now we count slowly, item {n}.")) for n, t in enumerate(range(0, 600, 6))]
    talk[5] = (30.0, "Phi double dot stays small here.")
    talk[50] = (300.0, "Theta double dot stays small here.")
    claims = _claims(("00:00:30", "θ double dot stays small"))
    (a,) = align_note(claims, _index([(float(t), x) for t, x in talk], end_s=600.0))
    assert a.status == "shifted" and a.start == 300.0


def test_long_sentences_weigh_less_in_punctuated_captions_only() -> None:
    """Evidence from a sentence much longer than the talk's usual one counts for less (BM25's
    length normalisation), but only where sentences are real: pause-split auto-caption units
    are cut to length, so their length says nothing."""
    ramble = ("Varroa mites, which beekeepers count on sticky boards under every hive in spring and "
              "again in late summer before the winter bees hatch, are the biggest threat to managed hives.")
    talk = [(t, ramble if t == 780.0 else text) for t, text in TALK]
    claim = _claims(("00:13:00", "Varroa mites are the biggest threat to managed hives"))

    def score(rows: list[tuple[float, str]], *, punctuated: bool) -> float:
        if not punctuated:
            rows = [(t, text.rstrip(".").lower()) for t, text in rows]
        index = _index(rows)
        assert index.punctuated is punctuated
        (a,) = align_note(claim, index)
        assert a.status == "ok" and a.start == 780.0
        return a.score

    # rambling costs more in real sentences than the words it lacks cost in auto captions
    loss_punctuated = score(TALK, punctuated=True) - score(talk, punctuated=True)
    loss_auto = score(TALK, punctuated=False) - score(talk, punctuated=False)
    assert loss_punctuated > loss_auto + 0.02
    index = _index()
    short = [k for k in range(len(index.sentences)) if "count slowly" in index.sentences[k].text]
    assert all(index.length_excess[k] == 0.0 for k in short)  # shorter than the mean: no penalty


@pytest.mark.parametrize("lead_in", [
    "well as you all know by now varroa mites are the biggest threat to managed hives today",
    # a claim word said in passing before the claim is no start: the run that says it is
    "hives were fine for years and years so as you all know by now varroa mites are the biggest threat to managed hives today",
])
def test_auto_caption_units_start_where_the_claim_is_said(lead_in: str) -> None:
    """A pause-split unit often opens with a lead-in clause; the located start is the first claim
    word of the run of words that says the claim (by the captions' word times) when that keeps the
    cited time within tolerance."""
    words = lead_in.split()
    units = []
    for i, (t, text) in enumerate(TALK):
        text = text.rstrip(".").lower()
        if t == 780.0:
            text = lead_in
        n = len(text.split())
        units.append(Sentence(i, t, t + 5.5 if t != 780.0 else t + 0.5 * n, text,
                              word_starts=tuple(t + 0.5 * k for k in range(n))))
    index = build_index(units, end_s=END_S)
    assert not index.punctuated
    varroa_at = 780.0 + 0.5 * words.index("varroa")
    claim = "Varroa mites are the biggest threat to managed hives"
    cited = int(varroa_at) - 3
    (near,) = align_note(_claims((format_ts(cited), claim)), index)  # cited 3-3.5 s before the word
    assert (near.status, near.start) == ("ok", varroa_at - 0.5)
    (moved,) = align_note(_claims(("00:05:00", claim)), index)  # cited elsewhere: start at the word
    assert (moved.status, moved.start) == ("shifted", varroa_at - 0.5)
    if varroa_at - 780.0 < 5:
        (early,) = align_note(_claims(("00:12:56", claim)), index)  # 7.5 s before: the unit's start stays
        assert (early.status, early.start) == ("ok", 780.0)


def test_shared_words_counts_distinct_content_words_and_the_share_the_transcript_says() -> None:
    index = _index([(0.0, "Honeybees dance to show where the flowers are."), (6.0, "The queen lays eggs.")])
    # honeybees, dance, flowers said; octopuses, colours not; "for", "in" are no content words; 2025 is a number
    assert shared_words(["Honeybees dance for flowers", "octopuses colour in 2025", "flowers!"], index) == (5, 0.6)
    assert shared_words([], index) == (0, 1.0)


def test_a_passage_that_says_the_claim_only_before_the_cited_time_does_not_make_it_ok() -> None:
    # Varroa is said at 13:00-13:05.5; cited at 13:12, where filler runs. The three-sentence
    # passage from 13:00 contains the cited time, but from there on it says nothing of the claim.
    (a,) = _align(("00:13:12", "Varroa mites are the biggest threat to managed hives"))
    assert (a.status, a.start, a.end) == ("shifted", 780.0, 785.5)
    assert "Varroa" in a.evidence and "count slowly" not in a.evidence
    assert a.corrected_s == 780.0


def test_a_passage_saying_little_of_the_claim_from_the_cited_time_on_does_not_make_it_ok() -> None:
    # As above, but the sentence at the cited time shares one word ("managed") with the claim:
    # a word in passing is not where the claim is said.
    talk = [(t, "Managed or not, we count slowly on." if t == 786.0 else x) for t, x in TALK]
    claims = _claims(("00:13:08", "Varroa mites are the biggest threat to managed hives"))
    (a,) = align_note(claims, _index(talk))
    assert (a.status, a.start) == ("shifted", 780.0)
    # Only what counts as saying "nothing" made the difference: with any word counting, it is ok.
    (lenient,) = align_note(claims, _index(talk), tuning=Tuning(said_after=0.0))
    assert (lenient.status, lenient.start) == ("ok", 786.0)


def test_a_cited_time_that_shares_a_word_in_passing_does_not_outweigh_a_paraphrase_elsewhere() -> None:
    # Cited at 04:00, where only "guards" of the claim is said; 14:00 says it in other words.
    talk = [(t, "The guards rest in the afternoon." if t == 240.0 else x) for t, x in TALK]
    claims = _claims(("00:04:00", "The guards at the entrance are kept calm by beekeepers with a puff "
                                  "whenever frames get lifted"))
    (a,) = align_note(claims, _index(talk))
    assert (a.status, a.start) == ("shifted", 840.0)
    assert "Beekeepers smoke" in a.evidence
    # Trusting any cited time in full, as a flat bonus does, keeps the passing word.
    (flat,) = align_note(claims, _index(talk), tuning=Tuning(cited_evidence=1e-9))
    assert (flat.status, flat.start) == ("ok", 240.0)


def test_function_names_a_note_abbreviates_meet_the_words_the_speaker_says() -> None:
    # Notes write sin(θ) and √; the speaker says "sine of theta" and "square root". Only the
    # function tells the two sentences apart; the note cites a moment that says neither.
    talk = [(t, SAID.get(t, f"Now we count slowly, item {n}.")) for n, t in enumerate(range(0, 600, 6))]
    talk[5] = (30.0, "The pull along the arc is g times cosine of theta.")
    talk[50] = (300.0, "The pull along the arc is g times sine of theta.")
    claims = _claims(("00:07:06", "The pull along the arc is g·sin(θ)"))
    (a,) = align_note(claims, _index([(float(t), x) for t, x in talk], end_s=600.0))
    assert (a.status, a.start) == ("shifted", 300.0)


@pytest.mark.parametrize(("said", "claim"), [("three", "3"), ("3", "three"), ("sixteen", "16")])
def test_numbers_in_digits_meet_the_same_numbers_spelled_out(said: str, claim: str) -> None:
    # Only the number tells the two frames apart; the note cites a moment that says neither.
    other = "five" if said.isalpha() else "5"
    talk = [(t, SAID.get(t, f"Now we count slowly, item {n}.")) for n, t in enumerate(range(0, 600, 6))]
    talk[5] = (30.0, f"The old frame holds {other} combs of brood.")
    talk[50] = (300.0, f"The new frame holds {said} combs of brood.")
    claims = _claims(("00:07:06", f"A frame holds {claim} combs of brood"))
    (a,) = align_note(claims, _index([(float(t), x) for t, x in talk], end_s=600.0))
    assert (a.status, a.start) == ("shifted", 300.0)


def test_a_claim_said_twice_goes_where_the_notes_order_puts_it() -> None:
    # Pollination is said at 05:00 and 15:00; the claim's own time points at filler, but its
    # neighbours in the note are confirmed at 14:00 and 19:00.
    rows = (("00:14:00", "Beekeepers smoke the entrance so guards stay calm during inspections"),
            ("00:10:06", "Pollination feeds one third of everything we eat"),
            ("00:19:00", "Thanks for watching, see you next time"))
    a = _align(*rows)
    assert [x.status for x in a] == ["ok", "shifted", "ok"]
    assert a[1].start == 900.0
    # Without trust in the note's order the two places tie.
    unordered = align_note(_claims(*rows), _index(), tuning=Tuning(order_bonus=0.0))
    assert unordered[1].status == "ambiguous"
    assert {x.start for x in unordered[1].alternatives} == {300.0, 900.0}


def test_weak_evidence_elsewhere_does_not_overrule_a_cited_time_that_says_something() -> None:
    # The claim's cited 04:00 shares one word with it ("guards"); 11:06 shares three, still
    # little of the claim, but lies where the note's order points (between 10:00 and 12:00).
    said = {**SAID, 240.0: "Their guards know every sister.",
            666.0: "Robber flies and wasps are a nuisance at the entrance."}
    talk = [(t, said.get(t, f"Now we count slowly, item {n}.")) for n, t in
            enumerate(float(x) for x in range(0, int(END_S), 6))]
    claims = _claims(("00:10:00", "Winter clusters keep the colony warm by shivering flight muscles"),
                     ("00:04:00", "Guards check the scent of returning foragers, and bite wasps or robber bees "
                                  "trying the entrance"),
                     ("00:12:00", "Honey is stored in wax cells and capped when its water content drops"))
    index = _index(talk)

    def placed(**tuning: float) -> tuple[str, float | None]:
        a = align_note(claims, index, tuning=Tuning(**tuning))[1]
        return a.status, a.start

    # Evidence of 0.16 elsewhere is three times what the cited time says: enough to move unless
    # a move needs more than that.
    assert placed(min_moved=0.0) == ("shifted", 666.0)
    assert placed(min_moved=0.2, moved_ratio=4.0) == ("ok", 240.0)
    assert placed(min_moved=0.2, moved_ratio=3.0) == ("shifted", 666.0)
    assert placed(min_moved=0.15) == ("shifted", 666.0)


@pytest.mark.parametrize(("place", "said_at"), [(1, 300.0), (3, 900.0)])
def test_a_claim_said_twice_between_its_neighbours_goes_to_the_place_its_share_of_the_way_points_at(
        place: int, said_at: float) -> None:
    # Pollination is said at 05:00 and 15:00, both between the confirmed 01:00 and 19:00; the
    # claim's own time points at filler. A quarter of the way through the note's stretch
    # (01:00 + 270 s) is nearer 05:00; three quarters (01:00 + 810 s) nearer 15:00.
    invented = [("00:02:06", "Hornets build paper nests from chewed wood"),
                ("00:08:06", "Bumblebees buzz tomato flowers to shake the pollen loose")]
    rows = [("00:01:00", "A scout bee performs a waggle dance to tell the hive where the nectar is"),
            *invented, ("00:19:00", "Thanks for watching, see you next time")]
    rows.insert(place, ("00:10:06", "Pollination feeds one third of everything we eat"))
    a = _align(*rows)
    assert [x.status for x in a] == ["ok", *(["shifted" if k == place else "unsupported" for k in (1, 2, 3)]), "ok"]
    assert a[place].start == said_at
    # Without that prior the two places tie.
    even = align_note(_claims(*rows), _index(), tuning=Tuning(place_bonus=0.0))[place]
    assert even.status == "ambiguous" and {x.start for x in even.alternatives} == {300.0, 900.0}


def test_a_claims_place_among_its_neighbours_never_moves_a_cited_time_that_says_it() -> None:
    rows = (("00:01:00", "A scout bee performs a waggle dance to tell the hive where the nectar is"),
            ("00:15:00", "Pollination feeds one third of everything we eat"),
            ("00:02:06", "Hornets build paper nests from chewed wood"),
            ("00:08:06", "Bumblebees buzz tomato flowers to shake the pollen loose"),
            ("00:19:00", "Thanks for watching, see you next time"))
    # even with a prior far stronger than the tuned one, which would carry it to 05:00
    a = align_note(_claims(*rows), _index(), tuning=Tuning(place_bonus=0.5))
    assert (a[1].status, a[1].start) == ("ok", 900.0)


def _hive_talk(placed: dict[int, str]) -> TranscriptIndex:
    """Ten minutes of counting with the hive entrance said at 2:00, the guards at 5:00, and ``placed``."""
    talk = [(float(t), f"Now we count slowly, item {n}.") for n, t in enumerate(range(0, 600, 6))]
    for t, text in {120: "The hive entrance faces south in most apiaries.",
                    300: "Guard bees check the smell of every returning forager.", **placed}.items():
        talk[t // 6] = (float(t), text)
    return _index(talk, end_s=600.0)


# The neighbours' claims as a note paraphrases them: confirmed where cited, too weakly to anchor
# the order bracket.
_LOOSE_NEIGHBOURS = ("Keepers turn the entrance of a colony toward the warm southern side",
                     "Guards sniff each forager that comes home to the colony")


def _propolis_between(before: str, after: str) -> list[Claim]:
    """The propolis claim cited at 9:00, between claims cited right at 2:00 and 5:00."""
    return _claims(("00:02:00", before), ("00:09:00", "Propolis seals the small cracks and gaps of the hive walls"),
                   ("00:05:00", after))


@pytest.mark.parametrize("tolerance_s", [0.0, 5.0, 30.0])
def test_a_moved_claim_said_twice_goes_to_the_place_between_its_ok_neighbours(tolerance_s: float) -> None:
    # The neighbours are confirmed where they cite, but only loosely paraphrased (too weakly to
    # anchor the order bracket); the cited time of the claim between them says nothing of it.
    # It is said at 240 s, between them, and at 420 s in a few more words: the note is at 240.
    index = _hive_talk({240: "Propolis seals the small cracks and gaps of the hive.",
                        420: "Propolis is a resin that seals the small cracks and gaps of the hive walls."})
    claims = _propolis_between(*_LOOSE_NEIGHBOURS)
    a = align_note(claims, index, tolerance_s=tolerance_s)
    assert [(x.status, x.start) for x in a] == [("ok", 120.0), ("shifted", 240.0), ("ok", 300.0)]
    # Without ok neighbours on both sides nothing says where the note is: the fuller place wins.
    (alone,) = align_note(claims[1:2], index, tolerance_s=tolerance_s)
    assert (alone.status, alone.start) == ("shifted", 420.0)


@pytest.mark.parametrize(("at", "cited", "status"), [
    (540, "00:09:00", "shifted"),  # four minutes past its neighbours: the note's pace places it
    (390, "00:06:30", "ambiguous"),  # 80 s past them: the cited time is still weighed as evidence
])  # fmt: skip
def test_a_claim_said_twice_and_cited_minutes_outside_its_neighbours_goes_where_the_notes_pace_puts_it(
    at: int, cited: str, status: str
) -> None:
    # Said word for word at 150 s and 270 s, between neighbours confirmed at 120 s and 300 s; the
    # second of three claims between them is expected a third of the way, near 150 s. Its cited
    # time says a little of it ("hive walls"), which used to keep the note's pace out of it.
    index = _hive_talk({150: "Propolis seals the small cracks and gaps of the hive walls.",
                        270: "Propolis seals the small cracks and gaps of the hive walls.",
                        at: "The hive walls are thick and warm."})
    a = align_note(_claims(("00:02:00", "The hive entrance faces south in most apiaries"),
                           (cited, "Propolis seals the small cracks and gaps of the hive walls"),
                           ("00:04:00", "Varroa mites"),
                           ("00:05:00", "Guard bees check the smell of every returning forager")), index)
    assert [(x.status, x.start) for x in a] == [("ok", 120.0), (status, 150.0), ("unsupported", None), ("ok", 300.0)]
    if status == "ambiguous":
        assert sorted(loc.start for loc in a[1].alternatives) == [150.0, 270.0]


def test_a_moved_claims_second_look_leaves_out_its_ok_neighbours_own_sentences() -> None:
    # With punctuated captions the sentence a neighbour was confirmed on is that claim's place: the
    # order bonus goes to the passages between the two, not to theirs (a worked example's next step
    # says much of the same words).
    from cliptool.align import DEFAULT_TUNING, _between_prior

    index = _hive_talk({240: "Propolis seals the small cracks of the hive."})
    ok_t = np.array([120.0, np.nan, 300.0])
    lex = np.ones(len(index.starts))
    moved = _between_prior(ok_t, 1, index, lex, 0.5, DEFAULT_TUNING, moved=True)
    kept = _between_prior(ok_t, 1, index, lex, 0.5, DEFAULT_TUNING)
    assert moved is not None and kept is not None
    firsts = {float(index.sentences[f].start) for f in index.first[moved > 0]}
    assert 120.0 not in firsts and 300.0 not in firsts and {126.0, 240.0, 294.0} <= firsts
    assert {120.0, 300.0} <= {float(index.sentences[f].start) for f in index.first[kept > 0]}


_FULL = "Propolis seals the small cracks and gaps of the hive walls."


@pytest.mark.parametrize(("inside", "cited", "where"), [
    (_FULL, "Propolis seals gaps.", ("shifted", 240.0)),
    # says somewhat more than the cited passage, not twice as much: notes do jump back with right
    # times (a fixed MM:SS note's 03:36 was moved to a vaguer sentence between its neighbours)
    (_FULL, "Propolis seals small cracks and gaps in the hive.", ("ok", 540.0)),
    ("Propolis seals cracks.", "Propolis seals small cracks and gaps in the hive.", ("ok", 540.0)),  # says less
])  # fmt: skip
def test_a_claim_confirmed_outside_its_ok_neighbours_stretch_moves_into_it_only_for_far_more_evidence(
        inside: str, cited: str, where: tuple[str, float]) -> None:
    # A moved time can land on a passage that says a little of the claim: when the stretch between
    # the claim's ok neighbours says it twice as fully, that is where the note is.
    index = _hive_talk({240: inside, 540: cited})
    a = align_note(_propolis_between(*_LOOSE_NEIGHBOURS), index)
    assert [(x.status, x.start) for x in a] == [("ok", 120.0), where, ("ok", 300.0)]


def test_a_one_word_claim_said_at_two_places_is_ambiguous_whatever_the_notes_order_says() -> None:
    # "Pollination" is said at 5:00 and 15:00; its neighbours put it near the first, but one word
    # is said wherever it is said: which place is meant is a guess, and fix must not write it.
    a = _align(
        ("00:02:00", "The angle of the dance points toward the food relative to the sun"),
        ("00:10:00", "Pollination"),
        ("00:07:00", "Queens lay up to two thousand eggs in a single summer day"),
    )
    assert [x.status for x in a] == ["ok", "ambiguous", "ok"]
    assert sorted(loc.start for loc in a[1].alternatives) == [300.0, 900.0]
    # with more words, the note's order settles it
    (_, two, _) = _align(
        ("00:02:00", "The angle of the dance points toward the food relative to the sun"),
        ("00:10:00", "Pollination feeds a third of what we eat"),
        ("00:07:00", "Queens lay up to two thousand eggs in a single summer day"),
    )
    assert (two.status, two.start) == ("shifted", 300.0)


def test_a_claim_confirmed_at_a_recap_outside_its_neighbours_stretch_stays_ok() -> None:
    # Said at 4:00, between its confirmed neighbours, and recapped in the same words at 9:00,
    # where the note cites it: the recap says it as fully, so the cited time is right.
    index = _hive_talk({240: "Propolis seals the small cracks and gaps of the hive walls.",
                        540: "Recall: propolis seals the small cracks and gaps of the hive walls."})
    # neighbours in the talk's own words: confirmed without doubt
    a = align_note(_propolis_between("The hive entrance faces south in most apiaries",
                                     "Guard bees check the smell of every returning forager"), index)
    assert [(x.status, x.start) for x in a] == [("ok", 120.0), ("ok", 540.0), ("ok", 300.0)]


def test_a_claim_summing_up_two_sentences_before_the_cited_time_is_shifted_there() -> None:
    # Each sentence says under a third of the claim, together most of it; the cited time is on the
    # next, unrelated sentence, which must be neither confirmed nor where the claim goes.
    talk = [(0.0, "Welcome to a short talk about lighthouses."),
            (45.0, "The Cape Hatteras lighthouse was moved inland on rails in nineteen ninety nine."),
            (65.0, "Moving it took twenty three days and cost nearly twelve million dollars."),
            (85.0, "Lightships were anchored where no tower could be built on the seabed."),
            (105.0, "Their crews lived aboard for weeks in very rough conditions.")]
    sentences = [Sentence(i, t, t + 19.5, text) for i, (t, text) in enumerate(talk)]
    claims = _claims(("00:01:27", "The Cape Hatteras lighthouse was relocated inland on rails, a move that took "
                                  "23 days and cost almost 12 million dollars"))
    (a,) = align_note(claims, build_index(sentences, end_s=130.0))
    assert (a.status, a.start) == ("shifted", 45.0)
    assert "Hatteras" in a.evidence and "Lightships" not in a.evidence


def test_a_lead_in_after_a_silence_does_not_make_a_cited_time_ok() -> None:
    # Sentences of 5 s, 15 s apart: the one at the cited time shares a word with the claim, but a
    # silence parts it from where the claim is said, so it is no lead-in running into it.
    talk = [(t, SAID[t]) for t in (0.0, 60.0, 120.0)] + [(40.0, "Every morning a scout leaves the hive.")]
    sentences = [Sentence(i, t, t + 5.0, text) for i, (t, text) in enumerate(sorted(talk))]
    claims = _claims(("00:00:40", "A scout bee performs a waggle dance telling the hive where nectar is"))
    (a,) = align_note(claims, build_index(sentences, end_s=180.0))
    assert (a.status, a.start) == ("shifted", 60.0)
    (lenient,) = align_note(claims, build_index(sentences, end_s=180.0), tuning=Tuning(lead_in_gap_s=60.0))
    assert lenient.status == "ok"  # only the silence made the difference
    # Right after the lead-in, as in speech, it is the claim's lead-in and the cited time stands.
    near = [Sentence(i, t, t + (20.0 if t == 40.0 else 5.0), text) for i, (t, text) in enumerate(sorted(talk))]
    (b,) = align_note(claims, build_index(near, end_s=180.0))
    assert (b.status, b.start) == ("ok", 60.0)


def test_a_window_holding_the_claims_passage_is_no_second_place() -> None:
    # Sentences of 4 s every 20 s; cited two sentences early, on one sharing a word with the claim:
    # the three-sentence window from there holds the sentence that says it. That window starts 40 s
    # away, but it is the same place, not a second one.
    said = {545.0: "His method of dovetailed masonry is still studied by civil engineers.",
            565.0: "Volunteers maintain several historic towers through preservation societies.",
            585.0: "Tourism brings money that pays for repainting and structural repairs.",
            605.0: "Some towers are slowly being lost to coastal erosion."}
    talk = [(t, said.get(t, f"Now we count slowly, item {n}.")) for n, t in enumerate(float(x) for x in range(5, 1200, 20))]
    sentences = [Sentence(i, t, t + 4.0, text) for i, (t, text) in enumerate(talk)]
    claims = _claims(("00:09:25", "Some towers are slowly being lost to coastal erosion"))
    (a,) = align_note(claims, build_index(sentences, end_s=END_S))
    assert (a.status, a.start, a.alternatives) == ("shifted", 605.0, ())


def test_a_lone_time_ending_in_00_is_read_literally_not_as_mmss() -> None:
    # 00:09:00 is wrong (the guest is introduced at 00:00:12), but one ":00" among a note's times
    # is chance, not the MM:SS habit: read as 00:00:09 it would be "right", and fix would write 9 s.
    talk = [(t, "Our guest today is a queen breeder from Slovenia." if t == 12.0 else text) for t, text in TALK]
    a = align_note(_claims(("00:09:00", "Our guest is a queen breeder from Slovenia"),
                           ("00:13:03", "Varroa mites are the biggest threat to managed hives")), _index(talk))
    assert (a[0].status, a[0].start, a[0].corrected_s) == ("shifted", 12.0, 12.0)
