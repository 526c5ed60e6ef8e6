"""The fonts every generated PDF is printed with, and nothing else.

WeasyPrint finds fonts through Fontconfig, whose default configuration lists the machine's system
fonts: a character the shipped font lacks would silently come from whatever font the machine has,
and two machines would print different files. So the render gets a Fontconfig configuration of its
own that lists only ``settings.PORTAL_FONT_DIR`` (Noto Serif CJK SC cut to GB 18030's repertoire by
``scripts/subset-fonts``) and maps every family a template may name (``Portal Serif``, ``serif``,
``sans-serif``, ``monospace``) onto it. Before rendering, the text is checked against the font's
character map: a character it cannot print stops the render with :class:`MissingGlyphs`, naming the
characters, instead of printing a blank box in a legal document.
"""

import functools
import os
import tempfile
import threading
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils.translation import ngettext

FAMILY = "Noto Serif CJK SC"
# Families the document templates name, all printed with the shipped face.
ALIASES = ("Portal Serif", "serif", "sans-serif", "monospace", "system-ui")
# Characters that print nothing, so need no glyph: spaces, line breaks, controls, format marks.
SILENT_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf"}
_ENVIRONMENT_LOCK = threading.Lock()


class MissingGlyphs(ValueError):
    """The text holds characters the shipped font cannot print."""

    def __init__(self, characters: list[str]) -> None:
        self.characters = characters
        listed = "、".join(f"{c} (U+{ord(c):04X})" for c in characters[:20])
        super().__init__(
            ngettext(
                "The document contains a character the portal's font cannot print: %(chars)s. "
                "Correct the text, or ask the portal operator to add it to the font.",
                "The document contains %(count)d characters the portal's font cannot print: "
                "%(chars)s. Correct the text, or ask the portal operator to add them to the font.",
                len(characters),
            )
            % {"count": len(characters), "chars": listed}
        )


class SystemFontUsed(RuntimeError):
    """The render's font configuration holds a font from outside the shipped folder."""


def font_dir() -> Path:
    return Path(settings.PORTAL_FONT_DIR).resolve()


def font_files(folder: Path | None = None) -> list[Path]:
    return sorted((folder or font_dir()).glob("*.otf"))


@functools.cache
def _config_file(folder: Path) -> Path:
    """A Fontconfig file listing only ``folder``, written once per process."""
    aliases = "".join(
        f"<alias binding='same'><family>{escape(name)}</family>"
        f"<prefer><family>{FAMILY}</family></prefer></alias>"
        for name in ALIASES
    )
    cache = Path(tempfile.gettempdir()) / f"portal-fontconfig-{os.getuid()}"
    xml = (
        "<?xml version='1.0'?><!DOCTYPE fontconfig SYSTEM 'urn:fontconfig:fonts.dtd'>"
        f"<fontconfig><dir>{escape(str(folder))}</dir><cachedir>{escape(str(cache))}</cachedir>"
        f"{aliases}</fontconfig>"
    )
    handle, name = tempfile.mkstemp(prefix="portal-fonts-", suffix=".conf")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(xml)
    return Path(name)


def font_configuration() -> Any:
    """A WeasyPrint ``FontConfiguration`` that knows the shipped fonts and no other."""
    from weasyprint.text.fonts import FontConfiguration

    folder = font_dir()
    if not font_files(folder):
        raise SystemFontUsed(f"no shipped font in {folder}")
    conf = _config_file(folder)
    # WeasyPrint loads Fontconfig's configuration from FONTCONFIG_FILE when it builds one; the
    # variable is set only for that call, so other Fontconfig users of the process (a browser
    # started by the tests) keep the machine's fonts.
    with _ENVIRONMENT_LOCK:
        previous = os.environ.get("FONTCONFIG_FILE")
        os.environ["FONTCONFIG_FILE"] = str(conf)
        try:
            fonts = FontConfiguration()
        finally:
            if previous is None:
                del os.environ["FONTCONFIG_FILE"]
            else:
                os.environ["FONTCONFIG_FILE"] = previous
    shipped = {path.resolve() for path in font_files(folder)}
    outside = [path for path in configured_files(fonts) if path not in shipped]
    if outside:
        raise SystemFontUsed(f"fonts outside {folder}: {outside[:3]}")
    return fonts


def configured_files(fonts: Any) -> list[Path]:
    """The font files a WeasyPrint ``FontConfiguration`` can pick from."""
    from weasyprint.text.ffi import ffi, fontconfig

    found = fontconfig.FcConfigGetFonts(fonts._config, fontconfig.FcSetSystem)
    files = []
    value = ffi.new("FcChar8 **")
    for index in range(found.nfont if found != ffi.NULL else 0):
        if fontconfig.FcPatternGetString(found.fonts[index], b"file", 0, value) == 0:
            files.append(Path(ffi.string(value[0]).decode()).resolve())
    return files


@functools.cache
def _coverage(folder: Path) -> frozenset[int]:
    """Code points every shipped face maps to a glyph (so bold prints what regular does)."""
    from fontTools.ttLib import TTFont

    maps = [set(TTFont(path, lazy=True).getBestCmap()) for path in font_files(folder)]
    return frozenset(set.intersection(*maps)) if maps else frozenset()


def coverage() -> frozenset[int]:
    return _coverage(font_dir())


class _Text(HTMLParser):
    """The characters of an HTML document's text (not its markup, styles or scripts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.characters: set[str] = set()
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.characters.update(data)


def missing_characters(html: str) -> list[str]:
    """The printable characters of ``html``'s text that the shipped font has no glyph for."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    covered = coverage()
    return sorted(
        c
        for c in parser.characters
        if ord(c) not in covered and unicodedata.category(c) not in SILENT_CATEGORIES
    )


def check_printable(html: str) -> None:
    """Raise :class:`MissingGlyphs` when the shipped font cannot print some of the text."""
    missing = missing_characters(html)
    if missing:
        raise MissingGlyphs(missing)
