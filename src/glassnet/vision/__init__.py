"""Computer-vision helpers of Course 4: edge detection with the notes' filters."""

from glassnet.vision.edges import (
    FILTERS,
    detect_edges,
    edge_figure,
    edge_filter,
    load_example_image,
    to_grayscale,
)

__all__ = [
    "FILTERS",
    "detect_edges",
    "edge_figure",
    "edge_filter",
    "load_example_image",
    "to_grayscale",
]
