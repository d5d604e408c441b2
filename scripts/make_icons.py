"""Draw the app icons into static/icons (run from the repository root)."""

from PIL import Image, ImageDraw

BLUE = (8, 69, 127, 255)
WHITE = (255, 255, 255, 255)


def draw(size, maskable=False, badge=False):
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0) if badge else BLUE)
    d = ImageDraw.Draw(img)
    s = size / 100
    if not maskable and not badge:
        img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        d.rounded_rectangle([0, 0, size - 1, size - 1], radius=int(18 * s), fill=BLUE)
    # safe zone of maskable icons: inner 80% circle -> keep the drawing within 20..80
    inset = 0 if not maskable else 6

    def p(x, y):
        c = 50
        return (c + (x - c) * (1 - inset / 50)) * s, (c + (y - c) * (1 - inset / 50)) * s

    fg = WHITE
    d.polygon(
        [p(50, 18), p(84, 48), p(76, 48), p(76, 82), p(24, 82), p(24, 48), p(16, 48)], fill=fg
    )
    check = BLUE if not badge else (0, 0, 0, 0)
    d.line([p(36, 62), p(47, 72), p(66, 52)], fill=check, width=max(2, int(7 * s)), joint="curve")
    return img


draw(192).save("static/icons/icon-192.png", optimize=True)
draw(512).save("static/icons/icon-512.png", optimize=True)
draw(192, maskable=True).save("static/icons/maskable-192.png", optimize=True)
draw(512, maskable=True).save("static/icons/maskable-512.png", optimize=True)
draw(96, badge=True).save("static/icons/badge-96.png", optimize=True)
draw(180, maskable=True).convert("RGB").save("static/icons/apple-touch-icon.png", optimize=True)
