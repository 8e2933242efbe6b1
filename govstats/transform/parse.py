"""The report parser: from a document's text lines to its three tables as cells.

Every reader (text, HTML, DOCX, PDF) hands over a :class:`SourceText`; table readers put one table row per line
with cells separated by tabs, so this one parser serves every flavor. The parser

1. finds the sections by their numbered headings;
2. finds each row label of section 三 (and each item of section 二) in printed order, matching the codebook's
   labels and variants on a compact form of the text (no white space, full-width folded), so labels wrapped over
   lines still match;
3. reads the values printed between one label and the next. A row whose values do not come out as exactly one per
   column is *not* guessed: its cells are marked unreadable and the printed runs kept for the recovery step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .. import codebook
from ..errors import NotAReport
from ..model import (
    BLANK,
    MISSING,
    UNREADABLE,
    Cell,
    Report,
    SourceText,
    Token,
)
from ..textnorm import PAGE_FOOTER, Compact, LineIndex, compact, normalize_line
from .detect import ANNUAL_REPORT, SECTION_HEADINGS, document_type, format_version
from .metadata import extract_metadata
from .values import VALUE_TOKEN, cell_of, read_tokens


@dataclass(frozen=True)
class _Span:
    """A stretch of the prepared text, in original offsets."""

    start: int
    end: int


class _Document:
    """The prepared text of a source: page furniture dropped, NFKC-normalised, with maps back to lines."""

    def __init__(self, source: SourceText):
        kept = [line for line in source.lines if not PAGE_FOOTER.match(line.text)]
        self.lines = kept
        self.texts = [normalize_line(line.text) for line in kept]
        self.text = "\n".join(self.texts)
        self.compact = Compact.of(self.text)
        self.index = LineIndex(self.texts)

    def where(self, offset: int) -> str:
        return self.lines[self.index.line_of(offset)].where if self.lines else ""

    def section(self, name: str, after: int = 0) -> int | None:
        """Compact offset of a section heading (its end), searching from ``after``."""
        match = SECTION_HEADINGS[name].search(self.compact.text, after)
        return match.end() if match else None

    def heading_start(self, name: str, after: int = 0) -> int | None:
        match = SECTION_HEADINGS[name].search(self.compact.text, after)
        return match.start() if match else None

    def tokens(self, span: _Span) -> list[Token]:
        """The values printed in a span, each with its location and note."""
        return read_tokens(self.text, span.start, span.end, self.where)


@cache
def _candidates(entry: codebook.Entry) -> list[str]:
    """Compact label forms to look for, the most specific first."""
    forms = [entry.ordinal + entry.label_zh, entry.label_zh, *entry.variants]
    return list(dict.fromkeys(compact(form) for form in forms if form))


def _find_label(doc: _Document, entry: codebook.Entry, start: int, end: int) -> tuple[int, int] | None:
    """Compact [start, end) of the earliest label form of ``entry`` in the compact range, ordinal included."""
    best = None
    for form in _candidates(entry):
        position = doc.compact.text.find(form, start, end)
        if position < 0:
            continue
        if best is None or position < best[0] or (position == best[0] and len(form) > best[1] - best[0]):
            best = (position, position + len(form))
    if best is None:
        best = _find_with_typo(doc.compact.text, compact(entry.label_zh), start, end)
    if best is None:
        return None
    ordinal = compact(entry.ordinal)
    if ordinal and doc.compact.text.startswith(ordinal, best[0] - len(ordinal)):
        best = (best[0] - len(ordinal), best[1])
    return best


def _find_with_typo(text: str, form: str, start: int, end: int) -> tuple[int, int] | None:
    """The first place where a long label is printed with one wrong character (申清人 for 申请人, OCR slips).

    Only tried when no exact form matched, and only for labels long enough that one character cannot turn one
    label into another.
    """
    if len(form) < 6:
        return None
    for position in range(start, min(end, len(text)) - len(form) + 1):
        window = text[position : position + len(form)]
        if window[0] != form[0] and window[-1] != form[-1]:
            continue
        if sum(a != b for a, b in zip(window, form, strict=True)) <= 1:
            return position, position + len(form)
    return None


def _locate_rows(doc: _Document, entries, start: int, end: int) -> dict[str, tuple[int, int]]:
    """Compact spans of the labels found, in printed order; a label not found is skipped."""
    found: dict[str, tuple[int, int]] = {}
    position = start
    for entry in entries:
        span = _find_label(doc, entry, position, end)
        if span is not None:
            found[entry.code] = span
            position = span[1]
    return found


def _value_spans(doc: _Document, labels: dict[str, tuple[int, int]], end: int) -> dict[str, _Span]:
    """Original text between each label's end and the next label's start."""
    ordered = sorted(labels.items(), key=lambda item: item[1][0])
    spans = {}
    for index, (code, (_, label_end)) in enumerate(ordered):
        next_start = ordered[index + 1][1][0] if index + 1 < len(ordered) else end
        spans[code] = _Span(_end(doc, label_end - 1) + 1, _end(doc, next_start))
    return spans


def _end(doc: _Document, compact_end: int) -> int:
    if compact_end >= len(doc.compact.offsets):
        return len(doc.text)
    return doc.compact.offsets[compact_end]


def _with_blanks(doc: _Document, span: _Span, width: int) -> list[Token] | None:
    """Read a tab-separated row that has empty cells: the fields after the label, when there are exactly ``width``."""
    line_end = doc.text.find("\n", span.start)
    line = doc.text[span.start : line_end if 0 <= line_end < span.end else span.end]
    if "\t" not in line:
        return None
    # The first field is what is left of the label's cell; empty fields beyond ``width`` are merged label
    # columns (leading) or a trailing separator, and only those are dropped: an empty value cell is a blank.
    fields = line.split("\t")[1:]
    while len(fields) > width and not fields[0].strip():
        fields.pop(0)
    while len(fields) > width and not fields[-1].strip():
        fields.pop()
    if len(fields) != width or not all(VALUE_TOKEN.fullmatch(f.strip()) or not f.strip() for f in fields):
        return None
    where = doc.where(span.start)
    return [Token(f.strip(), where) if f.strip() else Token("", where) for f in fields]


def _read_row(doc: _Document, span: _Span, columns: tuple[str, ...]) -> tuple[dict[str, Cell], list[Token] | None]:
    """Cells of one row, or (unreadable cells, printed tokens) when the values do not fit the columns."""
    tokens = doc.tokens(span)
    if len(tokens) < len(columns):
        tokens = _with_blanks(doc, span, len(columns)) or tokens
    if len(tokens) == len(columns):
        cells = {
            column: cell_of(token) if token.text else Cell(None, BLANK, "", token.location)
            for column, token in zip(columns, tokens, strict=True)
        }
        return cells, None
    raw = " ".join(t.text + (f"（{t.note}）" if t.note else "") for t in tokens)
    where = tokens[0].location if tokens else doc.where(span.start)
    return {column: Cell(None, UNREADABLE, raw, where) for column in columns}, [
        Token(t.text, t.location, t.note) for t in tokens
    ]


def _missing(columns: tuple[str, ...]) -> dict[str, Cell]:
    return {column: Cell(None, MISSING) for column in columns}


def _section_range(doc: _Document, name: str, following: tuple[str, ...], after: int = 0) -> tuple[int, int] | None:
    """Compact [start, end) of a section: from its heading to the next section heading (or the end)."""
    start = doc.section(name, after)
    if start is None:
        return None
    ends = [doc.heading_start(other, start) for other in following]
    ends = [e for e in ends if e is not None]
    return start, min(ends) if ends else len(doc.compact.text)


def _parse_requests(doc: _Document, report: Report) -> None:
    bounds = _section_range(doc, "requests", ("review_litigation", "problems", "other_matters"))
    columns = codebook.applicants()
    rows = codebook.request_rows(report.format_version)
    if bounds is None:
        report.requests = {e.code: _missing(columns) for e in rows}
        report.problems.append("section 三 (requests) not found")
        return
    start, end = bounds
    labels = _locate_rows(doc, rows, start, end)
    if report.format_version == codebook.FORMAT_2021 and not {"other_no_correction", "other_unpaid_fee"} & set(labels):
        one_row = codebook.request_rows(report.format_version, one_row_other=True)
        single = _locate_rows(doc, one_row, start, end)
        if "other" in single:
            report.one_row_other, rows, labels = True, one_row, single
    spans = _value_spans(doc, labels, end)
    for entry in rows:
        if entry.code not in spans:
            report.requests[entry.code] = _missing(columns)
            report.problems.append(f"requests.{entry.code}: row not found")
            continue
        cells, unread = _read_row(doc, spans[entry.code], columns)
        report.requests[entry.code] = cells
        if unread is not None:
            report.unread_rows[("requests", entry.code)] = unread
            report.problems.append(
                f"requests.{entry.code}: {len(unread)} values printed where {len(columns)} columns are expected"
            )
    _note_truncation(report, rows, labels, end, len(doc.compact.text), "三 (requests)")


def _note_truncation(report: Report, rows, labels, section_end: int, text_end: int, name: str) -> None:
    found = [e.code for e in rows if e.code in labels]
    if found and found[-1] != rows[-1].code and section_end >= text_end:
        report.problems.append(f"truncated table: section {name} ends after row {found[-1]}")


def _parse_review(doc: _Document, report: Report) -> None:
    bounds = _section_range(doc, "review_litigation", ("problems", "other_matters"))
    outcomes = codebook.outcomes()
    proceedings = codebook.proceedings()
    if bounds is None:
        report.review_litigation = {p: _missing(outcomes) for p in proceedings}
        report.problems.append("section 四 (review and litigation) not found")
        return
    span = _Span(_end(doc, bounds[0]), _end(doc, bounds[1]))
    flat = tuple(f"{p}.{o}" for p in proceedings for o in outcomes)
    cells, unread = _read_row(doc, span, flat)
    for key, cell in cells.items():
        proceeding, outcome = key.split(".")
        report.review_litigation.setdefault(proceeding, {})[outcome] = cell
    if unread is not None:
        report.unread_rows[("review_litigation", "all")] = unread
        report.problems.append(f"review_litigation: {len(unread)} values printed where {len(flat)} are expected")


def _parse_proactive(doc: _Document, report: Report) -> None:
    bounds = _section_range(doc, "proactive", ("requests", "review_litigation", "problems"))
    items = codebook.proactive_items(report.format_version)
    if bounds is None:
        report.proactive = {e.code: _missing(e.measures) for e in items}
        report.problems.append("section 二 (proactive disclosure) not found")
        return
    start, end = bounds
    labels = _locate_rows(doc, items, start, end)
    spans = _value_spans(doc, labels, end)
    for entry in items:
        if entry.code not in spans:
            report.proactive[entry.code] = _missing(entry.measures)
            report.problems.append(f"proactive.{entry.code}: item not found")
            continue
        cells, unread = _read_row(doc, spans[entry.code], entry.measures)
        report.proactive[entry.code] = cells
        if unread is not None:
            report.unread_rows[("proactive", entry.code)] = unread
            report.problems.append(
                f"proactive.{entry.code}: {len(unread)} values printed where {len(entry.measures)} are expected"
            )


def parse_source(source: SourceText) -> Report:
    """Parse an annual report. Raises :class:`NotAReport` for anything else (a work plan, a random page)."""
    doc = _Document(source)
    kind = document_type(doc.text)
    if kind != ANNUAL_REPORT:
        what = "a work plan (政务公开工作要点)" if kind else "no report sections (二、三、四) found"
        raise NotAReport(source.path, what)
    meta = extract_metadata(doc.texts, doc.text)
    report = Report(
        source=source.path,
        flavor=source.flavor,
        document=ANNUAL_REPORT,
        text=doc.text,
        format_version=format_version(doc.text),
        **meta.__dict__,
    )
    if "replaced" in source.encoding:
        report.problems.append(f"encoding: {source.encoding}")
    _parse_proactive(doc, report)
    _parse_requests(doc, report)
    _parse_review(doc, report)
    return report
