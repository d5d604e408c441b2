"""Image attachments: bounded memory, a pixel limit checked before decoding, the web version."""

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PIL import Image

from jichikai.notices.attachments import ORIENTATION, prepare
from jichikai.notices.errors import NoticeError

from .helpers import png_bytes

ROOT = Path(__file__).resolve().parents[2]
GPS_IFD = 0x8825

# Images are made in one process and prepared in another, whose peak resident memory
# (getrusage's ru_maxrss) is read before and after: the growth is what one upload costs.
MAKE = textwrap.dedent(
    """
    import io, sys
    from PIL import Image, ImageDraw

    kind, path = sys.argv[1], sys.argv[2]
    if kind == "poster":  # a 6000x6000 PNG of few colours: about 150 KB, 36 million pixels
        image = Image.new("RGBA", (6000, 6000), (255, 255, 255, 0))
        draw = ImageDraw.Draw(image)
        for x in range(0, 6000, 500):
            draw.rectangle([x, x, x + 300, x + 300], fill="red")
        image.save(path, "PNG", optimize=True)
    else:  # a 24.5 MP phone photo, taken upright: orientation 6, a GPS position
        size = (5712, 4284)
        gradient = Image.linear_gradient("L").resize(size)
        image = Image.merge("RGB", [gradient, Image.effect_noise(size, 8), gradient.rotate(90)])
        exif = Image.Exif()
        exif[0x010F], exif[0x0112] = "PhoneMaker", 6
        exif.get_ifd(0x8825)[2] = (35.0, 51.0, 40.0)
        image.save(path, "JPEG", quality=85, exif=exif)
    """
)
MEASURE = textwrap.dedent(
    """
    import json, resource, sys
    from jichikai import create_app
    from jichikai.notices.attachments import prepare
    from jichikai.notices.errors import NoticeError

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    data = open(sys.argv[1], "rb").read()
    with app.test_request_context():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            prepared = prepare("image", data)
            outcome = {"web_version": len(prepared.web_version)}
        except NoticeError as error:
            outcome = {"refused": error.message}
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({**outcome, "growth_mb": (after - before) / 1024}))
    """
)


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _prepare_in_a_new_process(kind: str, tmp_path) -> dict:
    path = tmp_path / kind
    _run(MAKE, kind, str(path))
    return json.loads(_run(MEASURE, str(path)).splitlines()[-1])


def test_a_small_png_of_36_million_pixels_is_refused_before_it_is_decoded(tmp_path):
    """It made a worker grow from 164 MB to 734 MB; a notice takes five."""
    outcome = _prepare_in_a_new_process("poster", tmp_path)
    assert "2500万画素まで" in outcome.get("refused", ""), outcome
    assert outcome["growth_mb"] < 20, outcome


def test_a_phone_photo_at_the_limit_is_decoded_once_at_most(tmp_path):
    """24.5 MP decoded is 98 MB (Pillow keeps RGB in 4 bytes a pixel); that once, no copies."""
    outcome = _prepare_in_a_new_process("photo", tmp_path)
    assert outcome.get("web_version"), outcome
    assert outcome["growth_mb"] < 24.5 * 6, outcome


def _photo(size=(1600, 1200), orientation=6) -> bytes:
    exif = Image.Exif()
    exif[0x010F], exif[ORIENTATION] = "PhoneMaker", orientation
    exif.get_ifd(GPS_IFD)[2] = (35.0, 51.0, 40.0)
    buffer = io.BytesIO()
    Image.new("RGB", size, "orange").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_a_photo_keeps_its_orientation_and_loses_its_position(app):
    prepared = prepare("写真.jpg", _photo())
    original = Image.open(io.BytesIO(prepared.data))
    web = Image.open(io.BytesIO(prepared.web_version))
    assert dict(original.getexif()) == {ORIENTATION: 6}  # no maker, no GPS
    assert original.size == (1600, 1200)
    assert web.size == (960, 1280)  # turned upright, fitted in 1280
    assert not web.getexif()


def test_the_pixel_limit_is_a_setting_and_the_message_names_it(app):
    app.config["NOTICE_IMAGE_MAX_PIXELS"] = 1_000_000
    try:
        with pytest.raises(NoticeError, match="100万画素まで"):
            prepare("ポスター.png", png_bytes((1001, 1000)))
        assert prepare("ポスター.png", png_bytes((1000, 1000))).web_version
    finally:
        app.config["NOTICE_IMAGE_MAX_PIXELS"] = 25_000_000
