"""A local tile server for the map's browser tests: every /tiles/{z}/{x}/{y}.png answers the
same small PNG (a pale square), and the requests are counted."""

import struct
import zlib

from aiohttp import web

from ..aioserver import ThreadedSite


def png(size: int = 256, rgb: tuple[int, int, int] = (232, 240, 232)) -> bytes:
    """A one-colour RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * size, 9))
        + chunk(b"IEND", b"")
    )


class TileServer:
    def __init__(self) -> None:
        self.site = ThreadedSite("tile-server")
        self.requested: list[str] = []
        self.broken = False
        self.tile = png()

    @property
    def url(self) -> str:
        """The URL template, as MAP_TILE_URL."""
        return self.site.origin + "/tiles/{z}/{x}/{y}.png"

    def start(self) -> "TileServer":
        self.site.start(lambda app: app.router.add_get("/tiles/{z}/{x}/{y}.png", self._tile))
        return self

    def stop(self) -> None:
        self.site.stop()

    async def _tile(self, request: web.Request) -> web.Response:
        self.requested.append(request.path)
        if self.broken:
            return web.Response(status=503)
        return web.Response(body=self.tile, content_type="image/png")
