"""Recura: run a recurring-services business."""

__version__ = "0.1.0"
