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

import re
from dataclasses import asdict, dataclass, replace
from functools import cached_property

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
from ..textnorm import PAGE_FOOTER, Compact, LineIndex, compact, normalize_lines
from .align import CONFIDENT, RowMatch, align_rows
from .detect import ANNUAL_REPORT, SECTION_HEADINGS, HeadingMatch, document_type, format_version
from .metadata import extract_metadata
from .values import VALUE_TOKEN, cell_of, read_tokens


@dataclass(frozen=True)
class _Span:
    """A stretch of the prepared text, in original offsets."""

    start: int
    end: int


class Document:
    """The prepared text of a source: page furniture dropped, NFKC-normalised, with maps back to lines.

    Made once per source: what the document is (:attr:`kind`) is decided on it, and the parser reads it.
    """

    def __init__(self, source: SourceText):
        self.source = source
        kept = [line for line in source.lines if not PAGE_FOOTER.match(line.text)]
        self.lines = kept
        self.texts = normalize_lines([line.text for line in kept])
        self.text = "\n".join(self.texts)
        self.compact = Compact.of(self.text)
        self.index = LineIndex(self.texts)

    def where(self, offset: int) -> str:
        return self.lines[self.index.line_of(offset)].where if self.lines else ""

    @cached_property
    def kind(self) -> str | None:
        """``annual_report``, ``work_plan`` or None (neither): decided once, on the prepared text."""
        return document_type(self.text, self.compact.text)

    @cached_property
    def headings(self) -> dict[str, HeadingMatch]:
        """The first heading of each section found (exactly, aligned to the form, or by its content)."""
        found = {}
        for name, pattern in SECTION_HEADINGS.items():
            match = pattern.search(self.compact.text)
            if match is not None:
                found[name] = match
        return found

    def section_range(self, name: str) -> tuple[int, int] | None:
        """Compact [start, end) of a section: from its heading to the next heading of any section (or the end).

        Any section, not only the form's next one: sections printed out of order still end where another begins.
        """
        heading = self.headings.get(name)
        if heading is None:
            return None
        ends = [m.start() for other, m in self.headings.items() if other != name and m.start() > heading.start()]
        return heading.end(), min(ends) if ends else len(self.compact.text)

    def tokens(self, span: _Span) -> list[Token]:
        """The values printed in a span, each with its location and note."""
        return read_tokens(self.text, span.start, span.end, self.where)


def _locate_rows(doc: Document, entries, start: int, end: int) -> dict[str, RowMatch]:
    """Row labels found by aligning the section to the form's ordered labels (see :mod:`.align`)."""
    return align_rows(doc.compact.text, entries, start, end)


def _value_spans(doc: Document, labels: dict[str, RowMatch], end: int) -> dict[str, _Span]:
    """Original text between each label's end and the next label's start."""
    ordered = sorted(labels.items(), key=lambda item: item[1].start)
    spans = {}
    for index, (code, match) in enumerate(ordered):
        label_end = match.end
        next_start = ordered[index + 1][1].start if index + 1 < len(ordered) else _prose_after(doc, label_end, end)
        spans[code] = _Span(_end(doc, label_end - 1) + 1, _end(doc, next_start))
    return spans


# A run of text no table cell prints: ten or more CJK characters outside brackets (a sentence, a sub-heading).
_PROSE = re.compile(r"[^\x00-\x7f()（）]{10,}")


def _prose_after(doc: Document, start: int, end: int) -> int:
    """Where the prose after a section's last row begins: its numbers (2021年, 198条) are not the row's.

    Prose is looked for only after the row's first value: header text may stand between a label and its values.
    """
    first_value = next((i for i in range(start, end) if doc.compact.text[i].isdigit()), end)
    match = _PROSE.search(doc.compact.text, first_value, end)
    return match.start() if match else end


def _after_header(doc: Document, start: int, end: int, labels: tuple[str, ...]) -> int:
    """The end of a table's column header (the last of its column labels printed in [start, end)).

    Prose printed between a section heading and its table (2023年，没有…情况) is then not read as data.
    """
    text = doc.compact.text
    ends = [text.rfind(label, start, end) + len(label) for label in labels if text.rfind(label, start, end) >= 0]
    return max(ends) if ends else start


def _end(doc: Document, compact_end: int) -> int:
    if compact_end >= len(doc.compact.offsets):
        return len(doc.text)
    return doc.compact.offsets[compact_end]


def _with_blanks(doc: Document, span: _Span, width: int) -> list[Token] | None:
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


_BRACKETED = re.compile(r"[(（][^()（）]*[)）]")
_LABEL_TEXT = re.compile(r"[\u4e00-\u9fff]{2,}")


def _interrupted(text: str) -> bool:
    """Label text (two or more CJK characters outside brackets) between a row's first and last value.

    Ordinals (1.属于…) are label text, not values: only digits that read as values count.
    """
    if _LABEL_TEXT.search(text) is None:  # most rows print numbers only (blanking brackets adds no CJK run)
        return False
    text = _BRACKETED.sub(" ", text)
    digits = [m.start() for m in VALUE_TOKEN.finditer(text) if m.group("number")]
    return bool(digits) and _LABEL_TEXT.search(text, digits[0], digits[-1]) is not None


def _read_row(
    doc: Document, span: _Span, columns: tuple[str, ...], whole_label: bool = False
) -> tuple[dict[str, Cell], list[Token] | None]:
    """Cells of one row, or (unreadable cells, printed tokens) when the values do not fit the columns.

    ``whole_label``: the row's whole label was found, so nothing printed after it is a row of blanks (a label
    found by a fragment may have its digits inside it: 其他法律行92010012政法规禁止公开).
    """
    tokens = doc.tokens(span)
    if _interrupted(doc.text[span.start : span.end]):
        # Values, then label text, then more values: the span runs over a row whose label was not found (a short
        # label misprinted: （六）他处理). Reading across it would take a neighbour's numbers.
        tokens = [Token(t.text, t.location, t.note) for t in tokens]
        raw = " ".join(t.text + (f"（{t.note}）" if t.note else "") for t in tokens)
        where = tokens[0].location if tokens else doc.where(span.start)
        return {column: Cell(None, UNREADABLE, raw, where) for column in columns}, tokens
    if len(tokens) < len(columns):
        tokens = _with_blanks(doc, span, len(columns)) or tokens
    if whole_label and not tokens and not any(ch.isdigit() for ch in doc.text[span.start : span.end]):
        # Nothing printed between this label and the next: a row of blank cells (crawler copies drop them).
        where = doc.where(span.start)
        return {column: Cell(None, BLANK, "", where) for column in columns}, None
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


def _parse_requests(doc: Document, report: Report) -> None:
    bounds = doc.section_range("requests")
    columns = codebook.applicants()
    rows = codebook.request_rows(report.format_version)
    if bounds is None:
        report.requests = {e.code: _missing(columns) for e in rows}
        report.problems.append("section 三 (requests) not found")
        return
    start, end = bounds
    report.one_row_other, rows, labels = _other_layout(doc, report.format_version, start, end)
    spans = _value_spans(doc, labels, end)
    for entry in rows:
        if entry.code not in spans:
            report.requests[entry.code] = _missing(columns)
            report.problems.append(f"requests.{entry.code}: row not found")
            continue
        cells, unread = _read_matched_row(doc, report, f"requests.{entry.code}", spans[entry.code], columns, labels)
        report.requests[entry.code] = cells
        if unread is not None:
            report.unread_rows[("requests", entry.code)] = unread
            report.problems.append(
                f"requests.{entry.code}: {len(unread)} values printed where {len(columns)} columns are expected"
            )
    _note_truncation(report, rows, labels, end, len(doc.compact.text), "三 (requests)")


def _other_layout(doc: Document, format_version: str, start: int, end: int):
    """（六）其他处理 as the report prints it, whatever its form: three numbered rows where any of the first two is
    found, else one row where its label is, else the form's own layout. Returns (one_row_other, rows, labels)."""
    three = codebook.request_rows(format_version, one_row_other=False)
    labels = _locate_rows(doc, three, start, end)
    if {"other_no_correction", "other_unpaid_fee"} & set(labels):
        return False, three, labels
    one = codebook.request_rows(format_version, one_row_other=True)
    single = _locate_rows(doc, one, start, end)
    if "other" in single:
        return True, one, single
    own = format_version == codebook.FORMAT_2019
    return own, (one if own else three), (single if own else labels)


def _read_matched_row(
    doc: Document, report: Report, name: str, span: _Span, columns: tuple[str, ...], labels: dict[str, RowMatch]
) -> tuple[dict[str, Cell], list[Token] | None]:
    """A row's cells, with the confidence of its label match in their provenance when it was not exact.

    A confident aligned match adds ``label aligned 93%: <label as printed>`` to each cell's location. A weak one
    is not trusted with placing numbers: its cells are unreadable and its tokens go to recovery, where only the
    identities can place them.
    """
    match = labels[name.split(".", 1)[1]]
    cells, unread = _read_row(doc, span, columns, match.whole and match.exact)
    if match.exact:
        return cells, unread
    note = f"label aligned {match.confidence:.0%}: {match.printed}"
    report.problems.append(f"{name}: {note}")
    if match.confidence >= CONFIDENT:
        return {column: replace(cell, location=f"{cell.location}; {note}") for column, cell in cells.items()}, unread
    tokens = unread if unread is not None else doc.tokens(span)
    where = f"{tokens[0].location if tokens else doc.where(span.start)}; {note}"
    raw = " ".join(t.text + (f"（{t.note}）" if t.note else "") for t in tokens)
    report.problems.append(f"{name}: weak label match, cells left to the identities")
    return {column: Cell(None, UNREADABLE, raw, where) for column in columns}, list(tokens)


def _note_truncation(report: Report, rows, labels, section_end: int, text_end: int, name: str) -> None:
    found = [e.code for e in rows if e.code in labels]
    if found and found[-1] != rows[-1].code and section_end >= text_end:
        report.problems.append(f"truncated table: section {name} ends after row {found[-1]}")


def _parse_review(doc: Document, report: Report) -> None:
    bounds = doc.section_range("review_litigation")
    outcomes = codebook.outcomes()
    proceedings = codebook.proceedings()
    if bounds is None:
        report.review_litigation = {p: _missing(outcomes) for p in proceedings}
        report.problems.append("section 四 (review and litigation) not found")
        return
    header = tuple(
        compact(codebook.label(table, code))
        for table, codes in (("outcome", outcomes), ("proceeding", proceedings))
        for code in codes
    )
    values_start = _after_header(doc, bounds[0], bounds[1], header)
    if not any(ch.isdigit() for ch in doc.compact.text[values_start : bounds[1]]):
        values_start = bounds[0]  # the numbers stand before the header (a garbled copy): read the whole section
    span = _Span(_end(doc, values_start), _end(doc, _prose_after(doc, values_start, bounds[1])))
    flat = tuple(f"{p}.{o}" for p in proceedings for o in outcomes)
    cells, unread = _read_row(doc, span, flat)
    for key, cell in cells.items():
        proceeding, outcome = key.split(".")
        report.review_litigation.setdefault(proceeding, {})[outcome] = cell
    if unread is not None:
        report.unread_rows[("review_litigation", "all")] = unread
        report.problems.append(f"review_litigation: {len(unread)} values printed where {len(flat)} are expected")


def _parse_proactive(doc: Document, report: Report) -> None:
    bounds = doc.section_range("proactive")
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
        cells, unread = _read_matched_row(
            doc, report, f"proactive.{entry.code}", spans[entry.code], entry.measures, labels
        )
        report.proactive[entry.code] = cells
        if unread is not None:
            report.unread_rows[("proactive", entry.code)] = unread
            report.problems.append(
                f"proactive.{entry.code}: {len(unread)} values printed where {len(entry.measures)} are expected"
            )


def parse_source(source: SourceText) -> Report:
    """Parse an annual report. Raises :class:`NotAReport` for anything else (a work plan, a random page)."""
    return parse_document(Document(source))


def parse_document(doc: Document) -> Report:
    """Parse the prepared text of an annual report (:class:`NotAReport` for anything else)."""
    source = doc.source
    if doc.kind != ANNUAL_REPORT:
        what = "a work plan (政务公开工作要点)" if doc.kind else "no report sections (二、三、四) found"
        raise NotAReport(source.path, what)
    meta = extract_metadata(doc.texts, doc.text)
    report = Report(
        report_id=source.path,
        flavor=source.flavor,
        document=ANNUAL_REPORT,
        text=doc.text,
        format_version=format_version(doc.text, doc.compact.text),
        **asdict(meta),
    )
    if "replaced" in source.encoding:
        report.problems.append(f"encoding: {source.encoding}")
    _parse_proactive(doc, report)
    _parse_requests(doc, report)
    _parse_review(doc, report)
    _note_second_report(doc, report)
    return report


def _note_second_report(doc: Document, report: Report) -> None:
    """A file that holds two reports (a page listing two years, two agencies' reports pasted together) is said so:
    only the first is read, and the second must never vanish without a word."""
    first_review = doc.headings.get("review_litigation")
    if first_review is None:
        return
    for match in SECTION_HEADINGS["requests"].finditer(doc.compact.text, first_review.end()):
        if match.method == "content":
            break
        following = SECTION_HEADINGS["review_litigation"].search(doc.compact.text, match.end())
        if following is not None and following.method != "content":
            where = doc.where(_end(doc, match.start()))
            report.problems.append(f"second report in the file: section 三 again at {where}; only the first is read")
            return
