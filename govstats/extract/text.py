"""Plain-text reader: decodes the encodings seen in the wild and numbers the lines."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

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
            return text, encoding
    # UTF-8 with a few broken bytes (a file cut mid-character, a flipped byte): keep the text and say what was lost.
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    if broken <= max(2, len(text) // 1000) and _looks_like_text(text):
        return text, f"utf-8 ({broken} undecodable bytes replaced)"
    raise UndecodableBytes(path, "not UTF-8, GB18030/GBK or UTF-16 text")


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
