"""The version of glassnet (read by the model files it writes)."""

__version__ = "0.1.0"
