"""File names of any bytes as report ids: one printable line, lossless, and readable where it can be.

A name from a Windows zip is often GBK bytes that are not UTF-8; Python hands such names over with surrogate
escapes (``'\\udcd6'``), which Arrow, Parquet and UTF-8 files cannot store. ``report_id`` escapes what cannot be
printed the way Python writes a string literal: a byte that is not UTF-8 becomes ``\\xd6``, a control character
``\\n``, ``\\t`` or ``\\x1b`` (C1 controls and line separators ``\\u0085``, ``\\u2028``), and a backslash ``\\\\``
(so the escaping is lossless: ``name_bytes`` undoes it).
A name that is plain UTF-8 without backslashes or control characters is its own report id.
"""

from __future__ import annotations

import re

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
# Characters that would break a line or a table cell, or print invisibly: C0, DEL, C1, line/paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\\\\\udc80-\udcff]")
_ESCAPE = re.compile(r"\\(x[0-9a-f]{2}|u[0-9a-f]{4}|[nrt\\])")


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as os.fsdecode hands it over
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF:  # another lone surrogate (only in free text: report ids never hold one)
        return f"\\u{code:04x}"
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"  # \\x80 and up are bytes, never characters


def _as_surrogate_escaped(name: str) -> str:
    """Lone surrogates outside U+DC80–U+DCFF (not from fsdecode) are encoded byte by byte, so each is escaped too."""
    try:
        name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogatepass").decode("utf-8", "surrogateescape")
    return name


def report_id(name: str | bytes) -> str:
    """The printable, lossless form of a file name (a ``str`` as the OS gives it, or its bytes)."""
    if isinstance(name, bytes):
        name = name.decode("utf-8", "surrogateescape")
    return _UNPRINTABLE.sub(_escape, _as_surrogate_escaped(name))


def name_bytes(escaped: str) -> bytes:
    """The file name's bytes back from its report id (the inverse of :func:`report_id`)."""
    out = bytearray()
    position = 0
    for match in _ESCAPE.finditer(escaped):
        out += escaped[position : match.start()].encode("utf-8")
        code = match.group(1)
        if code[0] == "x":
            value = int(code[1:], 16)
            out.append(value)  # below 0x80 an ASCII control, from 0x80 a byte that is not UTF-8
        elif code[0] == "u":
            out += chr(int(code[1:], 16)).encode("utf-8")
        else:
            out += {"n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\"}[code]
        position = match.end()
    return bytes(out + escaped[position:].encode("utf-8"))


def legible(escaped: str) -> str | None:
    """For a name with undecodable bytes: the same name read as GB18030 (the usual case: GBK from a Windows zip)."""
    if "\\x" not in escaped:
        return None
    try:
        readable = report_id(name_bytes(escaped).decode("gb18030"))
    except UnicodeDecodeError:
        return None
    return None if readable == escaped else readable


def escape_controls(text: str) -> str:
    """A text on one line that UTF-8 and Arrow can store: control characters and lone surrogates escaped
    (backslashes kept as they are, for legibility)."""
    return _CONTROL.sub(_escape, text)
