"""What a file is, told from its bytes, and a filename safe to keep; no I/O."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
TEXT = "text/plain"
ZIP = "application/zip"
UNKNOWN = "application/octet-stream"

EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", XLSX: ".xlsx", PNG: ".png", JPEG: ".jpg", TEXT: ".txt"}
MAX_FILENAME_CHARS = 120
_UNSAFE = re.compile(r"[^\w.\- ()æøåÆØÅ]+")


def detect(head: bytes, whole: bytes | None = None) -> str:
    """The content type of a file from its first bytes (and, for a ZIP container, the whole
    file, whose entries tell DOCX from XLSX from any other ZIP)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith(b"PK\x03\x04"):
        return _office(whole if whole is not None else head)
    if _is_text(head):
        return TEXT
    return UNKNOWN


def _office(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return UNKNOWN
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return DOCX
        if any(n.startswith("xl/") for n in names):
            return XLSX
    return ZIP


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The head may end inside a multi-byte character.
        if error.start < len(head) - 3:
            return False
        text = head[: error.start].decode("utf-8")
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\r\n\t\f")
    return controls == 0


def sanitised_filename(given: str, content_type: str) -> str:
    """A filename with no path, no control or shell characters, at most 120 characters, and the
    extension of its detected type."""
    name = given.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE.sub("_", name).strip(" ._") or "dokument"
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    wanted = EXTENSIONS.get(content_type, "")
    if (
        wanted
        and f".{extension.lower()}" != wanted
        and not (wanted == ".jpg" and extension.lower() == "jpeg")
    ):
        stem, extension = name, wanted[1:]
    stem = stem[: MAX_FILENAME_CHARS - len(extension) - 1] or "dokument"
    return f"{stem}.{extension}" if extension else stem
