"""Edge detection with the notes' filters (Course 4, week 1), through a Conv2D layer.

Prints the notes' 6 x 6 example (bright left half, dark right half, vertical filter:
a 4 x 4 output with a bright band of 30s in the middle), then writes ``edges.png``:
a real image and its edge maps under the vertical, horizontal, Sobel and Scharr filters.

    python examples/edges.py [--out DIR] [--image FILE]
"""

from __future__ import annotations

from pathlib import Path

import _common
import numpy as np
from PIL import Image

from glassnet.vision import edges


def add_options(parser) -> None:
    parser.add_argument("--image", type=Path, default=None,
                        help="an image file to use (default: a cat from the course's data, "
                             "or scikit-learn's sample photo without it)")


def main() -> None:
    args = _common.parse_args("edges", __doc__.splitlines()[0], add_options)
    notes = np.array([[10, 10, 10, 0, 0, 0]] * 6, dtype=float)
    out = edges.detect_edges(notes, "vertical")
    print("the notes' 6x6 image (10 | 0) * vertical filter ->")
    print(out.astype(int))
    if args.image is not None:
        try:
            image = np.asarray(Image.open(args.image).convert("RGB"))
        except OSError as exc:
            raise SystemExit(f"{args.image}: not an image PIL can read ({exc})") from None
        title = f"Edge detection ({args.image.name})"
    else:
        image, description = edges.load_example_image()
        title = f"Edge detection ({description})"
    path = edges.edge_figure(args.out / "edges.png", image, title=title)
    for name in ("vertical", "sobel", "scharr"):
        response = np.abs(edges.detect_edges(image, name))
        print(f"{name:9s} filter: mean |response| {response.mean():.3f} (image scaled 0-255)")
    _common.write_results(args.out, {"notes_example": out.tolist(), "figure": str(path)})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
