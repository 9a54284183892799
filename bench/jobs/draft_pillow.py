"""bench/jobs/draft_pillow.py — reference for the draft provider: the same kind of panel drawn with Pillow.

Sky bands, sun, ground, two figures, a caption box with wrapped text, labels,
border, PNG-encoded in memory — the work moonreel's draft provider does per
frame. Prints frames per second for each size. Run with /usr/bin/python3.
"""
import io
import sys
import time

from PIL import Image, ImageDraw, ImageFont

N = int(sys.argv[1]) if len(sys.argv) > 1 else 30


def panel(w, h, prompt, seed):
    img = Image.new("RGB", (w, h), (120, 200, 150))
    d = ImageDraw.Draw(img, "RGBA")
    hz = int(h * 0.6)
    for i in range(6):
        d.rectangle([0, hz * i // 6, w, hz * (i + 1) // 6], fill=(120 - i * 5, 200 - i * 8, 150 - i * 4))
    d.ellipse([w * 0.6, h * 0.2, w * 0.6 + h * 0.1, h * 0.3], fill=(230, 60, 180))
    d.rectangle([0, hz, w, h], fill=(110, 70, 110))
    d.line([0, hz, w, hz], fill=(30, 30, 36), width=max(1, h // 300))
    for x in (w // 3, 2 * w // 3):
        s = int(h * 0.18)
        d.ellipse([x - s * 0.3, hz - s - s * 0.3, x + s * 0.3, hz - s + s * 0.3], fill=(40, 90, 80))
        d.rectangle([x - s * 0.3, hz - s * 0.75, x + s * 0.3, hz], fill=(40, 90, 80))
    size = max(10, h // 28)
    font = ImageFont.load_default()
    words, lines, line = prompt.split(), [], ""
    for word in words:
        trial = (line + " " + word).strip()
        if d.textlength(trial, font=font) * size / 11 > w - 4 * size and line:
            lines.append(line)
            line = word
        else:
            line = trial
    lines.append(line)
    box = len(lines) * int(size * 1.6) + size
    d.rectangle([0, h - box, w, h], fill=(255, 255, 255, 215))
    for i, l in enumerate(lines[:3]):
        d.text((2 * size, h - box + size // 2 + i * int(size * 1.6)), l, fill=(30, 30, 36), font=font)
    d.text((size, size), "DRAFT", fill=(200, 30, 30), font=font)
    d.text((w - 8 * size, size), "seed %d" % seed, fill=(30, 30, 36), font=font)
    d.rectangle([0, 0, w - 1, h - 1], outline=(30, 30, 36), width=max(2, h // 120))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


for w, h in ((512, 512), (1920, 1080)):
    t0 = time.monotonic()
    for i in range(N):
        panel(w, h, "a knight rides at dawn over misty hills towards a distant castle", i)
    print("pillow %dx%d: %.1f frames/s" % (w, h, N / (time.monotonic() - t0)))
