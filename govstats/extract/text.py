"""Plain-text reader: decodes the encodings seen in the wild and numbers the lines."""

from __future__ import annotations

import codecs
import operator
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import EmptyFile, UndecodableBytes
from ..model import Line, SourceText

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes, path: str = "<bytes>") -> tuple[str, str]:
    """Decode a report's bytes: a BOM decides; else UTF-8, else GB18030 (which covers GBK and GB2312).

    Returns (text, encoding). Bytes that are none of these raise :class:`UndecodableBytes`.
    """
    if not data.strip():
        raise EmptyFile(path, "the file has no content")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding.replace("-sig", "")
            except UnicodeDecodeError as error:
                raise UndecodableBytes(path, f"declares {encoding} by its byte-order mark but {error.reason}") from None
    if data.count(b"\x00") > len(data) // 4:
        # UTF-16 without a byte-order mark: every other byte of CJK-free text is NUL.
        for encoding in ("utf-16-le", "utf-16-be"):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                continue
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            if encoding == "gb18030" and not _reads_as_report(text):
                return _big5_or(data, text)
            return text, encoding
    big5 = _decode_big5(data)
    if big5 is not None:
        return big5
    # UTF-8 with a few broken bytes (a file cut mid-character, a flipped byte): keep the text and say what was lost.
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    if broken <= max(2, len(text) // 1000) and _looks_like_text(text):
        return text, f"utf-8 ({broken} undecodable bytes replaced)"
    raise UndecodableBytes(path, "not UTF-8, GB18030/GBK, Big5 or UTF-16 text")


# --- Big5 and Traditional Chinese ----------------------------------------------------------------------------------
# Big5 bytes decode as GB18030 without an error, into nonsense (寶山區 → 畐跋): what tells them apart is whether the
# text is made of the characters reports are written in. Those are the characters of the codebook's labels (every
# table label, in every variant), a fact kept once, as data, in the codebook.
_CJK = re.compile("[\u4e00-\u9fff]")
_REPORT_SHARE = 0.2  # a report (or work plan): 0.5–0.75 of its Chinese characters are label characters; Big5 read
# as GB18030: 0.02
_TRADITIONAL_SHARE = 0.05  # characters that OpenCC changes: a few in Simplified text (0–1%), many in Traditional


@lru_cache(maxsize=1)
def _report_characters() -> frozenset[str]:
    from ..codebook import entries

    labels = "".join(entry.label_zh + "".join(entry.variants) for entry in entries())
    return frozenset(_CJK.findall(labels + "政府信息公开工作年度报告年本总体情况主要问题及改进"))


def _report_share(text: str) -> float:
    """The share of the Chinese characters (those _CJK matches) in the first 20,000 that are label characters."""
    chinese, label = _character_tables()
    # Counted on the UTF-16 code units, by table look-up in numpy: a regex scan or a list of 20,000 one-character
    # strings costs 0.3 ms a page. The CJK block is in the BMP, so a character is one unit (a surrogate never counts).
    units = np.frombuffer(text[:20_000].encode("utf-16-le", "surrogatepass"), dtype="<u2")
    total = int(np.count_nonzero(chinese[units]))
    return int(np.count_nonzero(label[units])) / total if total else 1.0


@lru_cache(maxsize=1)
def _character_tables() -> tuple[np.ndarray, np.ndarray]:
    """Whether each UTF-16 code unit is a Chinese character (_CJK), and whether it is a label character."""
    units = range(0x10000)  # told by _CJK itself, so the two never disagree
    chinese = np.fromiter((_CJK.fullmatch(chr(unit)) is not None for unit in units), dtype=bool, count=len(units))
    label = np.zeros(0x10000, dtype=bool)
    label[[ord(char) for char in _report_characters()]] = True
    return chinese, label


def _reads_as_report(text: str) -> bool:
    return _report_share(text) >= _REPORT_SHARE or _report_share(simplified(text) or text) >= _REPORT_SHARE


def _decode_big5(data: bytes) -> tuple[str, str] | None:
    try:
        text = data.decode("big5hkscs")
    except UnicodeDecodeError:
        return None
    if not (_looks_like_text(text) and _reads_as_report(text)):
        return None
    return text, "big5"


def _big5_or(data: bytes, gb_text: str) -> tuple[str, str]:
    """GB18030 decoded text that does not read as a report: Big5 if that reads as one, else the GB18030 text."""
    big5 = _decode_big5(data)
    if big5 is not None and _report_share(simplified(big5[0]) or big5[0]) > _report_share(gb_text):
        return big5
    return gb_text, "gb18030"


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")  # character by character (with OpenCC's phrase table for one-to-many characters)


def is_traditional(text: str) -> bool:
    """Whether a text is written in Traditional characters: OpenCC changes a good share of its Chinese ones."""
    sample = text[:20_000]
    converted = _converter().convert(sample)
    if converted == sample:  # nothing changes (every Simplified text): no count needed
        return False
    chinese = _CJK.findall(sample)
    if len(chinese) < 20:
        return False
    changed = sum(map(operator.ne, sample, converted)) if len(converted) == len(sample) else 1  # counted in C
    return changed >= _TRADITIONAL_SHARE * len(chinese)


def simplified(text: str) -> str | None:
    """A Traditional-Chinese text in Simplified characters (OpenCC t2s), or None when it is not Traditional.

    Only Chinese characters change: a line whose digits, marks or spacing would differ is kept as printed.
    """
    if not is_traditional(text):
        return None
    return "\n".join(simplified_line(line) for line in text.split("\n"))


def simplified_line(line: str) -> str:
    """One line in Simplified characters, or as printed if anything but its Chinese characters would change."""
    converted = _converter().convert(line)
    return converted if _CJK.sub("", converted) == _CJK.sub("", line) else line


# Control characters (but tab, newline, carriage return, form feed) and private-use code points.
_ODD = re.compile("[\x00-\x08\x0b\x0e-\x1f\ue000-\uf8ff]")


def _looks_like_text(text: str) -> bool:
    """Reject decodings full of control characters or private-use code points (random bytes decode as GB18030)."""
    return bool(text) and len(_ODD.findall(text)) <= max(2, len(text) // 200)


def lines_of(text: str) -> list[Line]:
    """Number the lines of a text from 1, as an editor does."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [Line(line, f"line {number}") for number, line in enumerate(text.split("\n"), start=1)]


def read_text(path: str | Path, data: bytes | None = None) -> SourceText:
    """Read a text file (any supported encoding) into numbered lines."""
    path = Path(path)
    data = path.read_bytes() if data is None else data
    text, encoding = decode(data, str(path))
    return SourceText(path=str(path), flavor="text", lines=lines_of(text), encoding=encoding)
