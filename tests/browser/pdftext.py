"""The text of a PDF that Chromium printed, for tests (no PDF library is installed for them).

Chromium (Skia) writes plain objects, Flate streams, and fonts with a ToUnicode map; text is
shown with `<hex> Tj` and `[...] TJ` after `/Fn size Tf`. This reads exactly that, page by page,
in drawing order, without spaces or line breaks (a phrase wrapped over two lines reads whole).
It is not a general PDF reader: anything else fails loudly.
"""

import re
import unicodedata
import zlib

OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
REFERENCE = rb"(\d+) 0 R"


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Each object's dictionary text and its (inflated) stream, if any."""
    objects = {}
    for match in OBJECT.finditer(pdf):
        body = match.group(2)
        head, marker, rest = body.partition(b"stream")
        stream = None
        if marker:
            data = rest.lstrip(b"\r\n").rsplit(b"endstream", 1)[0]
            stream = zlib.decompress(data) if b"/FlateDecode" in head else data
        objects[int(match.group(1))] = (head, stream)
    if not objects:
        raise ValueError("no PDF objects found")
    return objects


def _to_unicode(cmap: bytes) -> tuple[int, dict[int, str]]:
    """A ToUnicode CMap: the code width in bytes and code -> text."""
    width = len(re.search(rb"begincodespacerange\s*<([0-9A-Fa-f]+)>", cmap).group(1)) // 2
    codes: dict[int, str] = {}

    def text(hex_string: bytes) -> str:
        return bytes.fromhex(hex_string.decode()).decode("utf-16-be")

    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for source, target in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            codes[int(source, 16)] = text(target)
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for first, last, target in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            start = int(target, 16)
            for offset, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                codes[code] = chr(start + offset)
    return width, codes


def _decode(hex_string: bytes, font: tuple[int, dict[int, str]]) -> str:
    width, codes = font
    data = bytes.fromhex(re.sub(rb"\s", b"", hex_string).decode())
    return "".join(
        codes.get(int.from_bytes(data[i : i + width], "big"), "\ufffd")
        for i in range(0, len(data), width)
    )


def flat(text: str) -> str:
    """Text as compared with a PDF's: NFKC (fonts map some kanji to their Kangxi radical
    look-alikes, 自 as ⾃) and without white space."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def _same(printed: str, wanted: str) -> bool:
    # A CJK radical (U+2E80-U+2EFF, 長 printed as ⻑) has no NFKC mapping: it stands for any kanji.
    return printed == wanted or 0x2E80 <= ord(printed) <= 0x2EFF


def contains(page: str, text: str) -> bool:
    """Whether `text` (flattened) is in a page's text from page_texts."""
    wanted = flat(text)
    return any(
        all(_same(p, w) for p, w in zip(page[i : i + len(wanted)], wanted, strict=True))
        for i in range(len(page) - len(wanted) + 1)
    )


SHOW = re.compile(rb"/(\w+) [\d.]+ Tf|<([0-9A-Fa-f\s]*)> ?Tj|\[((?:[^\]])*)\] ?TJ")


def page_texts(pdf: bytes) -> list[str]:
    """The text of each page, in drawing order, as `flat` gives it."""
    objects = _objects(pdf)
    pages = []
    for head, _stream in objects.values():
        if not re.search(rb"/Type /Page\b", head):
            continue
        fonts = {}
        font_block = re.search(rb"/Font <<(.*?)>>", head, re.S)
        for name, number in re.findall(rb"/(\w+) " + REFERENCE, font_block.group(1)):
            font_head = objects[int(number)][0]
            cmap_ref = re.search(rb"/ToUnicode " + REFERENCE, font_head)
            fonts[name] = _to_unicode(objects[int(cmap_ref.group(1))][1])
        contents = re.search(rb"/Contents " + REFERENCE, head)
        content = objects[int(contents.group(1))][1]
        text, font = [], None
        for match in SHOW.finditer(content):
            if match.group(1):
                font = fonts[match.group(1)]
            elif match.group(2) is not None:
                text.append(_decode(match.group(2), font))
            else:
                for part in re.findall(rb"<([0-9A-Fa-f\s]*)>", match.group(3)):
                    text.append(_decode(part, font))
        pages.append(flat("".join(text)))
    return pages
