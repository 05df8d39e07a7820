"""Locate each claim of a note in the transcript and judge its cited time.

Why not a window scan: notes are right most of the time, so a lexical best match that merely
edges out the passage at the cited time is usually noise. The aligner scores every passage of
1-3 consecutive sentences by how much of the claim's *rare* vocabulary it covers (IDF weights over
the transcript's own sentences, words and word pairs, with long sentences weighed down as BM25
does) and by an edit-distance similarity of the content words; it then trusts the cited time,
and the note's order, unless a passage elsewhere is clearly better, and calls a claim unsupported
when nothing in the video says it. Every constant lives in :class:`Tuning` and was measured on
the dev corpus, never fitted to one note.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from cliptool.models import Alignment, Claim, Location, Sentence, Status
from cliptool.timecode import mmss_reading

__all__ = ["DEFAULT_TUNING", "TranscriptIndex", "Tuning", "align_note", "build_index", "shared_words", "tokens"]

# Letters and digits of any script: notes and captions are not always English.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")

# Function words carry no evidence of *where* something is said.
_STOP = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just let like me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves one two get got
    make makes made way thing things really actually kind sort going go gonna want s t re ve ll d m
    said says say use used using well even much many still might may must shall""".split()
)


def _stem(word: str) -> str:
    """Truncate to five letters: joins 'recognize'/'recognition', 'refers'/'reference'.

    Hand-written because truncation measured as well as suffix stripping on the corpus, costs
    nothing, and also absorbs the spelling variants of automatic captions.
    """
    return word if word.isdigit() else word[:5]


# Notes about maths write symbols that the speaker says as words ("θ-double-dot" is "theta
# double dot" in the captions); spelling them out lets both meet.
_SPOKEN = str.maketrans({
    ch: f" {name} " for ch, name in {
        "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "Δ": "delta", "ε": "epsilon",
        "θ": "theta", "λ": "lambda", "μ": "mu", "π": "pi", "σ": "sigma", "Σ": "sum", "∑": "sum",
        "φ": "phi", "ϕ": "phi", "ω": "omega", "∫": "integral", "√": "square root", "∞": "infinity",
        "²": "squared", "³": "cubed", "∂": "partial",
    }.items()
})
# ... and write function names short that the speaker says in full ("sin(θ)" is "sine of theta").
# Notes write "3 layers" where the speaker says "three layers", and the other way round: small
# numbers spelled out are read as digits on both sides. "one" and "two" stay function words
# ("one of the", "the two"): read as digits they matched any "1" or "2" and lost on the corpus.
_NUMBERS = {w: str(i) for i, w in enumerate(
    "zero - - three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty".split()) if w != "-"}
_SPOKEN_WORDS = {"sin": "sine", "cos": "cosine", "tan": "tangent", "sqrt": "square root", "ln": "natural log",
                 "det": "determinant"}


def tokens(text: str) -> list[str]:
    """Content-word stems of ``text``, in order.

    >>> tokens("The networks are recognizing handwritten digits!")
    ['netwo', 'recog', 'handw', 'digit']
    >>> tokens("Three layers of 16 neurons") == tokens("3 layers of sixteen neurons")
    True
    >>> tokens("θ-double-dot = −g/L·sin(θ)")
    ['theta', 'doubl', 'dot', 'sine', 'theta']
    """
    out: list[str] = []
    for w in _WORD.findall(text.translate(_SPOKEN).lower()):
        w = w.split("'")[0]
        w = _NUMBERS.get(w, w)
        if w in _STOP or (len(w) < 2 and not w.isdigit()):
            continue
        out.extend(_stem(p) for p in _SPOKEN_WORDS.get(w, w).split())
    return out


def _features(toks: Sequence[str]) -> frozenset[str]:
    """Stems plus adjacent-stem pairs: pairs reward a passage that says the words in order."""
    return frozenset(toks) | frozenset(f"{a}_{b}" for a, b in pairwise(toks))


@dataclass(frozen=True, slots=True)
class TranscriptIndex:
    """Sentences, where each word and word pair occurs, IDF weights and the candidate passages.

    Built once per video and reused for every note about it.
    """

    sentences: tuple[Sentence, ...]
    postings: dict[str, np.ndarray]  # feature -> indices of the sentences that have it
    idf: dict[str, float]
    default_idf: float
    starts: np.ndarray  # per passage
    ends: np.ndarray
    first: np.ndarray  # first sentence of each passage
    length: np.ndarray  # sentences in each passage
    end_s: float
    punctuated: bool  # sentences are real sentences (manual captions), not pause-split chunks
    passage_words: tuple[str, ...]  # each passage's content stems in order, for fuzzy matching
    length_excess: np.ndarray  # per passage: log of its content words over a sentence's mean, if above


def build_index(sentences: Sequence[Sentence], *, max_span: int = 3, end_s: float | None = None) -> TranscriptIndex:
    """Index ``sentences`` for :func:`align_note` (passages of 1..``max_span`` sentences)."""
    sents = tuple(sentences)
    sent_toks = [tokens(s.text) for s in sents]
    n = len(sents)
    where: dict[str, list[int]] = {}
    for j, toks in enumerate(sent_toks):
        for t in _features(toks):
            where.setdefault(t, []).append(j)
    postings = {t: np.array(js, dtype=np.int64) for t, js in where.items()}
    idf = {t: math.log((n + 1) / (len(js) + 0.5)) for t, js in where.items()}
    default_idf = math.log((n + 1) / 0.5)
    first, length = [], []
    for k in range(1, max_span + 1):
        for i in range(n - k + 1):
            first.append(i)
            length.append(k)
    first_a = np.array(first, dtype=np.int64)
    length_a = np.array(length, dtype=np.int64)
    s_start = np.array([s.start for s in sents], dtype=float)
    s_end = np.array([s.end for s in sents], dtype=float)
    starts = s_start[first_a] if n else np.zeros(0)
    ends = s_end[first_a + length_a - 1] if n else np.zeros(0)
    last_end = float(s_end.max()) if n else 0.0
    ended = sum(1 for s in sents if s.text.rstrip().endswith((".", "?", "!", '"')))
    sent_words = [" ".join(toks) for toks in sent_toks]
    passage_words = tuple(" ".join(sent_words[f : f + k]) for f, k in zip(first, length, strict=True))
    sizes = np.cumsum([0, *(len(toks) for toks in sent_toks)])
    words = (sizes[first_a + length_a] - sizes[first_a]).astype(float) if n else np.zeros(0)
    mean = max(float(sizes[-1]) / n, 1.0) if n else 1.0
    length_excess = np.maximum(0.0, np.log(np.maximum(words, 1.0) / mean))
    return TranscriptIndex(sents, postings, idf, default_idf, starts, ends, first_a, length_a,
                           end_s if end_s else last_end, punctuated=ended > 0.5 * n,
                           passage_words=passage_words, length_excess=length_excess)


def shared_words(texts: Sequence[str], index: TranscriptIndex) -> tuple[int, float]:
    """How many distinct content words ``texts`` hold (numbers aside), and the share the transcript says.

    Notes share two thirds or more of their words with their own video's captions (0.66-0.85
    over the corpus); against the same video's captions in another language, 0.05 at most. A low
    share means the aligner has nothing to go on, which "unsupported" must not be mistaken for.
    """
    words = {t for text in texts for t in tokens(text) if not t.isdigit()}
    if not words:
        return 0, 1.0
    return len(words), sum(t in index.idf for t in words) / len(words)


def _coverage(claim_toks: Sequence[Sequence[str]], index: TranscriptIndex, *,
              pair_weight: float = 0.3) -> np.ndarray:
    """Share of each claim's IDF weight found in each passage: (n_claims, n_passages).

    Words and word pairs are scored separately and mixed, so a pair match lifts a passage
    without letting long claims (many pairs) drown single-word evidence.
    """
    feats = [_features(toks) for toks in claim_toks]
    uni = _coverage_of([sorted(f for f in fs if "_" not in f) for fs in feats], index)
    pairs = _coverage_of([sorted(f for f in fs if "_" in f) for fs in feats], index)
    has_pairs = np.array([any("_" in f for f in fs) for fs in feats])[:, None]
    return np.where(has_pairs, (1 - pair_weight) * uni + pair_weight * pairs, uni)


def _similarity(claim_toks: Sequence[Sequence[str]], index: TranscriptIndex, lex: np.ndarray, near: np.ndarray,
                *, candidates: int) -> np.ndarray:
    """Indel similarity (0-1) of each claim's content words to its candidate passages' words.

    Only the ``candidates`` passages with the most lexical evidence, and those at the cited
    time, are compared (the rest stay 0): they are the only ones that can win, and this keeps a
    long video's cost per claim flat.
    """
    from rapidfuzz import fuzz, process

    out = np.zeros(lex.shape, dtype=np.float32)
    k = min(candidates, lex.shape[1])
    for i, toks in enumerate(claim_toks):
        top = np.argpartition(-lex[i], k - 1)[:k] if k < lex.shape[1] else np.arange(lex.shape[1])
        cols = np.union1d(top, np.flatnonzero(near[i]))
        words = [index.passage_words[j] for j in cols]
        out[i, cols] = process.cdist([" ".join(toks)], words, scorer=fuzz.ratio, dtype=np.float32)[0] / 100.0
    return out


def _coverage_of(claim_toks: list[list[str]], index: TranscriptIndex) -> np.ndarray:
    """IDF-weighted share of each claim's features present in each passage.

    A passage of k sentences has a feature when any of them has it; the presence of longer
    passages is built by OR-ing shifted copies, so one matrix product scores them all.
    """
    max_span = int(index.length.max()) if index.length.size else 1
    vocab: dict[str, int] = {}
    for toks in claim_toks:
        for t in toks:
            vocab.setdefault(t, len(vocab))
    n_s = len(index.sentences)
    weights = np.zeros((len(claim_toks), max(len(vocab), 1)), dtype=np.float32)
    for i, toks in enumerate(claim_toks):
        for t in toks:
            weights[i, vocab[t]] = index.idf.get(t, index.default_idf)
    present = np.zeros((n_s, max(len(vocab), 1)), dtype=bool)
    for t, k in vocab.items():
        rows = index.postings.get(t)
        if rows is not None:
            present[rows, k] = True
    blocks = []
    acc = present.copy()
    for k in range(1, max_span + 1):
        if k > 1:
            acc = acc[:-1] | present[k - 1 :]
        blocks.append(acc)
    passages = np.concatenate(blocks, axis=0).astype(np.float32) if n_s else np.zeros((0, weights.shape[1]), np.float32)
    total = weights.sum(axis=1, keepdims=True)
    total[total == 0] = 1.0
    return (weights @ passages.T) / total


@dataclass(frozen=True, slots=True)
class Tuning:
    """The aligner's constants, measured on the dev corpus (bench/accuracy.py), not per note."""

    span_penalty: float = 0.03  # per extra sentence, so a passage is no longer than it must be
    length_penalty: float = 0.025  # per e-fold a passage's words exceed a sentence's mean (punctuated only)
    fuzzy_weight: float = 0.2  # weight of the word-order similarity in the ranking
    candidates: int = 64  # passages per claim worth that comparison
    cited_bonus: float = 0.2  # trust in the note's own time
    cited_window_s: float = 5.0  # ... for passages starting up to this much after it
    cited_evidence: float = 0.08  # ... in full once its passage says this much of the claim
    order_bonus: float = 0.15  # trust in the note's order of claims
    place_bonus: float = 0.05  # trust in a claim's place between its neighbours, when its cited time says nothing
    place_width: float = 0.5  # ... fading to nothing this share of the neighbours' gap away
    implausible_s: float = 120.0  # ... or when the cited time, saying less than elsewhere, lies this far outside it
    trust_coverage: float = 0.45  # a claim this well confirmed at its cited time anchors others
    min_coverage: float = 0.11  # below this nowhere in the video says the claim
    min_chosen: float = 0.05  # the chosen passage must say at least this much of it
    min_moved: float = 0.15  # a move from a cited time that says something needs this much evidence
    moved_ratio: float = 2.0  # ... or this many times what the cited time says
    fallback_coverage: float = 0.3  # ... else a passage elsewhere saying this much takes its place
    lead_in_ratio: float = 0.1  # a lead-in sentence saying this share of the core keeps "ok"
    lead_in_gap_s: float = 5.0  # ... unless a silence longer than this parts it from the core
    said_before: float = 0.3  # a sentence before the cited time saying this much, when the rest says nothing
    said_after: float = 0.25  # "nothing": under this share of what the passage's best sentence says
    start_window: int = 12  # words of auto captions that must say the claim most densely (see _refine_start)
    ambiguity_margin: float = 0.03  # rivals this close in score make a claim ambiguous
    far_s: float = 30.0  # two places closer than this are one place
    offset_coverage: float = 0.5  # claims this clearly found anywhere measure a note's offset
    offset_min_claims: int = 5  # ... and it takes this many of them agreeing
    between_ratio: float = 2 / 3  # a moved claim goes between its `ok` neighbours where a passage says this share as much
    ok_move_ratio: float = 2.0  # ... and an `ok` one cited outside them only where one says this many times as much


DEFAULT_TUNING = Tuning()


@dataclass(frozen=True, slots=True)
class _NoteScores:
    """Every claim of a note scored against every passage: rows are claims, columns passages."""

    cov: np.ndarray  # share of the claim's IDF weight the passage covers
    lex: np.ndarray  # cov minus the length penalty: the evidence measure
    rank: np.ndarray  # lex plus word-order similarity: what picks among candidates
    readings: np.ndarray  # cited second of each claim under the note's chosen reading
    near: np.ndarray  # passage contains the cited time (from cited_window_s before its start)
    best: np.ndarray  # best lex anywhere, per claim
    near_best: np.ndarray  # best lex at the cited time, per claim
    trusted_t: np.ndarray  # cited time of claims confirmed where cited, else NaN


def align_note(
    claims: Sequence[Claim],
    index: TranscriptIndex,
    *,
    tolerance_s: float = 5.0,
    tuning: Tuning = DEFAULT_TUNING,
) -> tuple[Alignment, ...]:
    """Align every claim of one note; returns one :class:`Alignment` per claim, same order.

    A passage's score is its lexical evidence for the claim, plus ``cited_bonus`` when the cited
    time falls in it (the note is usually right), plus ``order_bonus`` when it lies between the
    times of the nearest confirmed claims before and after (notes mostly follow the video), and,
    when the cited time says next to nothing of the claim, ``place_bonus`` fading with the distance
    from where its place in the note puts it between those two. A claim this moves away from its
    cited time is then weighed again with ``order_bonus`` between its nearest ``ok`` neighbours
    (see :func:`_between_prior`).

    Which passage is chosen does not depend on ``tolerance_s``: the priors use the tuned
    ``cited_window_s``; the tolerance judges the cited time against the passage chosen. (Used
    for both, a tolerance of 1000 s spread the cited bonus over half the video and moved claims.)
    """
    if not claims:
        return ()
    if not index.sentences:
        return tuple(Alignment(index=c.index, status="unsupported") for c in claims)
    claim_toks = [tokens(c.text) for c in claims]
    scores = _score_note(claims, claim_toks, index, tuning.cited_window_s, tuning)
    words = [frozenset(toks) for toks in claim_toks]
    out = [_align_claim(i, claim, index, scores, words[i], tolerance_s, tuning) for i, claim in enumerate(claims)]
    # A second look at the claims moved away from their cited times, among their neighbours as
    # the first pass placed them. Those are judged at the tuned window, not at ``tolerance_s``,
    # so that a user's tolerance still never moves a claim.
    first = tuple(out) if tolerance_s == tuning.cited_window_s else tuple(
        _align_claim(i, claim, index, scores, words[i], tuning.cited_window_s, tuning) for i, claim in enumerate(claims))
    ok_t = np.array([a.start if a.status == "ok" and a.start is not None else np.nan for a in first])
    for i, a in enumerate(first):
        if a.status in ("shifted", "ambiguous", "out-of-range"):
            extra = _between_prior(ok_t, i, index, scores.lex[i], tuning.between_ratio * a.score, tuning,
                                   moved=True)
        elif a.status == "ok":
            # Confirmed where it cites, but outside the stretch its `ok` neighbours span: a moved
            # time landing on a passage that says the claim too. Only a passage in that stretch
            # saying more (by more than the margin that makes two places equal) may take its
            # place: notes do jump back with right times, and a recap says the claim as well.
            lo, hi = _bracket(ok_t, i)
            if lo <= scores.readings[i] <= hi:
                continue
            extra = _between_prior(ok_t, i, index, scores.lex[i],
                                   max(a.score + tuning.ambiguity_margin, tuning.ok_move_ratio * a.score), tuning)
        else:
            continue
        if extra is not None:
            out[i] = _align_claim(i, claims[i], index, scores, words[i], tolerance_s, tuning, extra)
    return tuple(out)


def _between_prior(ok_t: np.ndarray, i: int, index: TranscriptIndex, lex_row: np.ndarray, floor: float,
                   tuning: Tuning, *, moved: bool = False) -> np.ndarray | None:
    """For a claim moved away from its cited time (``moved``), or confirmed at one outside its
    neighbours' stretch:
    ``order_bonus`` for the passages between the claims before and after it that the video confirms
    at their own cited times (``ok``, times ``ok_t``), when they say at least ``floor`` of it
    (``between_ratio`` of what the chosen passage says; for an ``ok`` claim, more than its cited
    passage says); None without such neighbours on both sides.

    The order bracket leans only on claims confirmed without doubt (``trust_coverage``), so where a
    note's neighbouring times were moved it can span half the video, and a claim said twice (a
    definition and its recap) goes to the place that says it in slightly more words. The claims
    next to it in the note, confirmed where they cite however weakly, are the nearer evidence of
    where the note is at that point. An ``ok`` verdict inside that stretch stands on its own cited
    time.

    For a moved claim with punctuated captions, the sentences those two neighbours were confirmed
    on are theirs, not part of the stretch between them: a moved claim drawn to its neighbour's
    sentence (the worked example's next step, said in the same words) is another claim's place.
    Pause-split units of automatic captions are long enough to hold two claims of a note, so
    there a neighbour's unit stays in the stretch.
    """
    lo, hi = _bracket(ok_t, i)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return None
    inside = (index.starts >= lo) & (index.starts <= hi)
    if moved and index.punctuated:
        # The neighbours' own times (the bracket's slack taken off) fall in the sentences they
        # were confirmed on; passages of one sentence come first in the index, in sentence order.
        nearest = np.array([lo + _BRACKET_SLACK_S, hi - _BRACKET_SLACK_S])
        taken = np.searchsorted(index.starts[: len(index.sentences)], nearest + 0.01, side="right") - 1
        inside &= ~np.isin(index.first, taken)
    return tuning.order_bonus * (inside & (lex_row >= floor))


def _near(readings: np.ndarray, index: TranscriptIndex, tolerance_s: float) -> np.ndarray:
    """Which passages each cited time falls in, with ``tolerance_s`` before their start."""
    return (index.starts[None, :] - tolerance_s <= readings[:, None]) & (readings[:, None] <= index.ends[None, :])


def _score_note(claims: Sequence[Claim], claim_toks: Sequence[Sequence[str]], index: TranscriptIndex,
                window_s: float, tuning: Tuning) -> _NoteScores:
    """Score the whole note at once: matrices for the evidence, the cited times for the priors."""
    cov = _coverage(claim_toks, index)
    lex = cov - tuning.span_penalty * (index.length - 1)[None, :]
    if index.punctuated:
        # A long sentence shares words with many claims by chance: weigh its evidence down, as
        # BM25 normalises document length. Automatic captions are cut into units of near-constant
        # length, where this would only penalise the several units a claim across a pause needs.
        lex = lex - tuning.length_penalty * index.length_excess[None, :]
    readings = np.array(_note_readings(claims, lex, index, window_s))
    # Coverage ignores word order; an edit-distance similarity of the content words ranks the
    # passage that says the claim in the same words above one that merely shares them.
    near = _near(readings, index, window_s)
    rank = lex + tuning.fuzzy_weight * _similarity(claim_toks, index, lex, near, candidates=tuning.candidates)
    offset = _systematic_offset(readings, lex, rank, index, window_s, tuning)
    if offset:
        readings = readings - offset
        near = _near(readings, index, window_s)
        rank = lex + tuning.fuzzy_weight * _similarity(claim_toks, index, lex, near, candidates=tuning.candidates)
    near_best = np.where(near, lex, -np.inf).max(axis=1)
    best = lex.max(axis=1)
    trusted = (near_best >= tuning.trust_coverage) & (near_best >= best - tuning.cited_bonus)
    trusted_t = np.where(trusted, readings, np.nan)
    return _NoteScores(cov, lex, rank, readings, near, best, near_best, trusted_t)


def _systematic_offset(readings: np.ndarray, lex: np.ndarray, rank: np.ndarray, index: TranscriptIndex,
                       tolerance_s: float, tuning: Tuning) -> float:
    """Seconds by which the whole note cites late (positive) or early, else 0.

    Some notes are written against a copy of the video with an intro cut or added; every time
    is then off by the same amount. Measured from the claims found without doubt anywhere,
    and used only when most of them agree on it.
    """
    clear = np.where(lex.max(axis=1) >= tuning.offset_coverage)[0]
    if clear.size < tuning.offset_min_claims:
        return 0.0
    offsets = readings[clear] - index.starts[np.argmax(rank[clear], axis=1)]
    median = float(np.median(offsets))
    agree = np.abs(offsets - median) <= 2 * tolerance_s
    if agree.mean() < 0.5:
        return 0.0
    median = float(np.median(offsets[agree]))
    return median if abs(median) > tolerance_s else 0.0


def _align_claim(i: int, claim: Claim, index: TranscriptIndex, sc: _NoteScores, words: frozenset[str],
                 tolerance_s: float, tuning: Tuning, between: np.ndarray | float = 0.0) -> Alignment:
    row, cited = sc.lex[i], float(sc.readings[i])
    unsupported = Alignment(index=claim.index, status="unsupported", score=_clip01(sc.best[i]))
    if sc.best[i] < tuning.min_coverage:
        return unsupported
    lo, hi = _bracket(sc.trusted_t, i)
    prior = tuning.order_bonus * ((index.starts >= lo) & (index.starts <= hi)) + between
    # Minutes outside the stretch its confirmed neighbours span, a cited time saying less than
    # elsewhere is weak evidence (one saying as much is a recap, cited right).
    far_off = (not lo - tuning.implausible_s <= cited <= hi + tuning.implausible_s
               and sc.near_best[i] < tuning.between_ratio * sc.best[i])
    if sc.near_best[i] < tuning.cited_evidence or far_off:
        # The cited time says next to nothing of the claim, or is that far off: where the note
        # puts it among its confirmed neighbours is then the best guess of where it is said (a
        # claim said twice in that stretch goes to the place nearer its share of the way).
        prior = prior + _place_prior(sc.trusted_t, i, index, tuning)
    total = sc.rank[i] + tuning.cited_bonus * sc.near[i] + prior
    j = int(np.argmax(total))
    if row[j] >= tuning.min_chosen:
        # The claim is said where the priors point. Trust in the cited time now grows with what
        # its passage says: a moved time landing on a sentence that shares one word of the claim
        # must not outweigh a clear paraphrase elsewhere. (Whether the claim is said at all was
        # judged with the full bonus: an invented claim must not drift to a passage sharing a
        # few words of it.)
        trust = np.clip(row / tuning.cited_evidence, 0.0, 1.0)
        total = sc.rank[i] + tuning.cited_bonus * sc.near[i] * trust + prior
        j = int(np.argmax(total))
    if row[j] < tuning.min_chosen:
        # The priors picked a passage that says next to nothing of the claim: pointing there
        # would be a guess. Only clear evidence elsewhere can still place the claim.
        if sc.best[i] < tuning.fallback_coverage:
            return unsupported
        total = sc.rank[i]
        j = int(np.argmax(total))
    if (not sc.near[i, j] and sc.near_best[i] >= tuning.min_chosen
            and row[j] < min(tuning.min_moved, tuning.moved_ratio * sc.near_best[i])):
        # Weak evidence elsewhere does not overrule the note's own time when that says something
        # of the claim too: such a move "corrects" right times into wrong ones as often as not.
        j = int(np.argmax(np.where(sc.near[i], total, -np.inf)))
    status: Status = "ok" if index.starts[j] - tolerance_s <= cited <= index.ends[j] else "shifted"
    alternatives: tuple[Location, ...] = ()
    if status == "shifted":
        # A claim of one content word ("Notice", "Determinant") is said wherever that word is:
        # which place it means is then the priors' guess, so places that say it as fully are rivals.
        scores = row if len(words) < 2 else total
        rivals = _rivals(scores, index, j, margin=tuning.ambiguity_margin, far_s=tuning.far_s)
        if rivals:
            status = "ambiguous"
            alternatives = tuple(
                Location(round(float(index.starts[r]), 2), round(float(index.ends[r]), 2), _clip01(row[r]))
                for r in [j, *rivals]
            )
    # With a right cited time the passage is anchored; without one, start where the claim is
    # said most fully, since lead-in sentences share its words.
    if status == "ok":
        first, k = _trim(sc.cov[i], index, j, floor_s=cited, ratio=0.5)
        first, k = _nearer_next(sc.cov[i], index, first, k, cited, tolerance_s)
        whole = float(sc.cov[i, int(index.first[j]) : int(index.first[j] + index.length[j])].max())
        if float(sc.cov[i, first : first + k].max()) <= tuning.said_after * whole:
            # From the cited time on the passage says next to nothing of the claim: it won the
            # cited bonus only by running on past the sentence that says it. A sentence before
            # that says the claim clearly is where it is; weak evidence there is left to the cited
            # time, which on the corpus is more often a paraphrase than a wrong time.
            before = int(index.first[j])
            said = [q for q in range(before, first) if sc.cov[i, q] >= tuning.said_before]
            if said:
                first, k, status = said[-1], 1, "shifted"
            elif first > before and sc.cov[i, _passage_of(index, before, first - before)] >= tuning.said_before:
                # ... or the sentences before it together, as a claim summing up two of them
                first, k, status = before, first - before, "shifted"
        # The verdict tolerates a lead-in that says a little of the claim before its core;
        # a cited time that only meets sentences saying nothing of it is not "ok".
        lead, _ = _trim(sc.cov[i], index, j, floor_s=cited, ratio=tuning.lead_in_ratio)
        lead = min(lead, first)
        if index.sentences[lead].start - tolerance_s > cited:
            status = "shifted"
        elif any(index.sentences[q + 1].start - index.sentences[q].end > tuning.lead_in_gap_s for q in range(lead, first)):
            status = "shifted"  # a lead-in runs straight into the claim: after a silence it is another passage
    else:
        first, k = _trim(sc.cov[i], index, j, ratio=1.0)
    start = index.sentences[first].start
    end = index.sentences[first + k - 1].end
    if not index.punctuated:
        # Pause-split units start wherever the speaker breathed: where the unit says the claim
        # most densely is a better start than its edge; a confirmed cited time keeps "ok" only
        # while that word follows it within the tolerance, else the start stays at the cited time.
        densest_at = _refine_start(index.sentences[first], words, index, tuning.start_window)
        if status != "ok" or cited <= densest_at <= cited + tolerance_s:
            start = densest_at
        else:
            start = max(start, min(cited, end))
    if status == "shifted" and int(start) == cited:
        status = "ok"  # notes cite whole seconds: 3:04 is where a passage starting at 184.02 s is
    # Right under the MM:SS reading only: the written time is wrong, but the reading is the
    # note's own second, which a fix should keep rather than round to the passage's start;
    # unless only a wide --tolerance calls it right (1 s for a claim said at 80 s).
    kept = status == "ok" and index.starts[j] - tuning.cited_window_s <= cited
    corrected = cited if kept else float(int(start))
    reading = None
    if claim.cited_s > index.end_s:
        status = "out-of-range"
        # Only the plain slip (07:35:00): 03:00:05 read as 03:00 is a guess, not the note's own second.
        reading = mmss_reading(claim.raw) if claim.raw.endswith(":00") else None
        reading = reading if reading is not None and reading <= index.end_s else None
    elif cited != claim.cited_s and status in ("ok", "shifted"):
        # Read otherwise (MM:SS, or less the note's offset), the verdict is on the time as written:
        # a claim of a note cited 2 minutes late throughout may itself be cited right.
        written_ok = start - tolerance_s <= claim.cited_s <= end or int(start) == claim.cited_s
        status = "ok" if written_ok else "shifted"
    return Alignment(
        index=claim.index, status=status, start=round(start, 2), end=round(end, 2),
        score=_clip01(row[j]), evidence=" ".join(s.text for s in index.sentences[first : first + k]),
        alternatives=alternatives,
        corrected_s=corrected if status in ("shifted", "out-of-range") else None, reading_s=reading,
    )


def _refine_start(sentence: Sentence, words: frozenset[str], index: TranscriptIndex, window: int) -> float:
    """Time of the first claim word of the run of ``window`` words in ``sentence`` that says most of the claim.

    Pause-split auto captions start a unit wherever the speaker breathed, often a clause before
    the claim, and a lone claim word early in the unit is as likely chance: the run of words
    that holds the most of the claim's IDF weight is where it is said, and its first claim word
    (half a second before it) is where to jump. Auto captions time every word; without word times
    the unit's start stands.
    """
    said = sentence.text.split()
    if len(sentence.word_starts) != len(said):
        return sentence.start
    hits = [words.intersection(tokens(w)) for w in said]
    best, at = 0.0, sentence.start
    for p, hit in enumerate(hits):
        if hit:
            weight = sum(index.idf.get(t, index.default_idf) for t in set().union(*hits[p : p + window]))
            if weight > best:
                best, at = weight, max(sentence.start, sentence.word_starts[p] - 0.5)
    return at


def _nearer_next(cov_row: np.ndarray, index: TranscriptIndex, first: int, k: int, cited: float,
                 tolerance_s: float) -> tuple[int, int]:
    """Move to the next sentence when the cited time is really its start.

    Notes cite the moment just before a sentence begins; the sentence then running out is a
    lead-in, not the claim, when the next one also says the claim.
    """
    nxt = first + 1
    if nxt >= len(index.sentences):
        return first, k
    cur_s, nxt_s = index.sentences[first].start, index.sentences[nxt].start
    if nxt_s - tolerance_s <= cited and abs(nxt_s - cited) < abs(cur_s - cited) and cov_row[nxt] >= 0.5 * cov_row[first]:
        return nxt, max(1, k - 1)
    return first, k


def _passage_of(index: TranscriptIndex, first: int, length: int) -> int:
    """Column of the passage of ``length`` sentences from sentence ``first`` (passages are laid out by
    length, then start: see :func:`build_index`)."""
    n = len(index.sentences)
    return (length - 1) * (n + 1) - (length - 1) * length // 2 + first


def _clip01(x: float) -> float:
    return round(float(min(1.0, max(0.0, x))), 3)


def _bracket(trusted_t: np.ndarray, i: int) -> tuple[float, float]:
    """Times of the nearest trusted claims before and after claim ``i`` in note order."""
    before = trusted_t[:i][~np.isnan(trusted_t[:i])]
    after = trusted_t[i + 1 :][~np.isnan(trusted_t[i + 1 :])]
    lo = float(before[-1]) if before.size else -np.inf
    hi = float(after[0]) if after.size else np.inf
    if lo > hi:  # the note jumps back here: no order to lean on
        return -np.inf, np.inf
    return lo - _BRACKET_SLACK_S, hi + _BRACKET_SLACK_S


_BRACKET_SLACK_S = 10.0  # a claim said just before or after a neighbour's time is still between them


def _place_prior(trusted_t: np.ndarray, i: int, index: TranscriptIndex, tuning: Tuning) -> np.ndarray | float:
    """A bonus per passage peaking where claim ``i`` falls if the note spreads its claims evenly in
    time between its nearest trusted neighbours (by their places in the note), else 0.

    Notes summarise a video in its order at a roughly even pace, so a claim a third of the way
    from one confirmed claim to the next is most likely said a third of the way between them.
    """
    before = np.flatnonzero(~np.isnan(trusted_t[:i]))
    after = np.flatnonzero(~np.isnan(trusted_t[i + 1 :]))
    if not before.size or not after.size:
        return 0.0
    i_lo, i_hi = int(before[-1]), i + 1 + int(after[0])
    t_lo, t_hi = float(trusted_t[i_lo]), float(trusted_t[i_hi])
    if t_hi < t_lo:  # the note jumps back here: no pace to go by
        return 0.0
    expected = t_lo + (t_hi - t_lo) * (i - i_lo) / (i_hi - i_lo)
    reach = max(tuning.place_width * (t_hi - t_lo), 1.0)
    return tuning.place_bonus * np.clip(1.0 - np.abs(index.starts - expected) / reach, 0.0, 1.0)


def _rivals(total: np.ndarray, index: TranscriptIndex, j: int, *, margin: float, far_s: float) -> list[int]:
    """Passages far from ``j`` scoring within ``margin`` of it: the claim is said twice. A window that
    holds ``j``'s passage (from a cited sentence well before it, say) is the same place, not a rival."""
    apart = (index.ends <= index.starts[j]) | (index.starts >= index.ends[j])
    close = np.where((total >= total[j] - margin) & (np.abs(index.starts - index.starts[j]) > far_s) & apart)[0]
    picked: list[int] = []
    for r in close[np.argsort(-total[close])]:
        if all(abs(index.starts[r] - index.starts[q]) > far_s for q in picked):
            picked.append(int(r))
    return picked[:3]


def _trim(cov_row: np.ndarray, index: TranscriptIndex, j: int, *, floor_s: float | None = None,
          ratio: float = 0.5) -> tuple[int, int]:
    """Drop leading sentences of passage ``j`` that say little of the claim.

    A passage's start is what a user jumps to, so it should be the first sentence that carries
    the claim, not a lead-in that merely shares a word or two; sentences ending before
    ``floor_s`` (a cited time the passage confirms) go too.
    """
    first, k = int(index.first[j]), int(index.length[j])
    n = len(index.sentences)
    single = cov_row[:n]  # passages of length 1 come first, in sentence order
    best = float(single[first : first + k].max())
    while k > 1 and (single[first] < ratio * best or (floor_s is not None and index.sentences[first].end < floor_s)):
        first += 1
        k -= 1
    return first, k


def _mmss_reading(claim: Claim, end_s: float) -> float | None:
    """``17:30:00`` read as 17:30: generators write MM:SS into the HH:MM slots.

    Only a time ending in ``:00`` or one past the video's end can be that slip; ``00:00:06``
    means six seconds.
    """
    reading = mmss_reading(claim.raw)
    if reading is None or (not claim.raw.endswith(":00") and claim.cited_s <= end_s):
        return None
    return reading


_MMSS_SHARE = 0.2  # of a note's times ending in ":00" before their MM:SS reading is weighed


def _note_readings(claims: Sequence[Claim], lex: np.ndarray, index: TranscriptIndex, tolerance_s: float) -> list[float]:
    """The cited second of each claim under the reading the transcript supports best.

    The MM:SS-in-HH:MM quirk affects a whole note at once, so the choice is made per note:
    the alternative reading wins when more of its cited times land on passages that say the claim.
    A time past the video's end takes the alternative whatever the note's choice: its literal
    reading points at nothing. (After ``fix`` has rewritten most of a note's slips, the few it
    left for want of evidence would otherwise lose their reading and be moved on a second run.)
    """
    literal = [c.cited_s for c in claims]
    alt = [_mmss_reading(c, index.end_s) for c in claims]
    if not any(a is not None and a != c.cited_s for a, c in zip(alt, claims, strict=True)):
        return literal
    slots = sum(c.raw.endswith(":00") for c in claims)
    if slots < 2 or slots < _MMSS_SHARE * len(claims):
        # One time in sixty ends in ":00" by chance: a note that does not write them as a habit
        # reads its times literally (a wrong 00:09:00 must not turn into the intro's 00:00:09).
        return [a if a is not None and c > index.end_s >= a else c for a, c in zip(alt, literal, strict=True)]

    def support(times: Sequence[float]) -> float:
        t = np.array(times)
        near = _near(t, index, tolerance_s) & (t <= index.end_s)[:, None]
        return float(np.where(near, lex, 0.0).max(axis=1).sum())

    alt_times = [a if a is not None else c for a, c in zip(alt, literal, strict=True)]
    if support(alt_times) > support(literal):
        return alt_times
    return [a if a is not None and c > index.end_s >= a else c for a, c in zip(alt, literal, strict=True)]
