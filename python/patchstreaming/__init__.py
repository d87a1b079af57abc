"""PatchStreaming for Python: patch-based inference and training patches on ITK images.

``sliding_window_inference`` runs any PyTorch model (or callable) over a volume patch by
patch and blends the outputs back, streaming through ITK's pipeline one batch of patches at a
time; ``PatchDataset`` draws training patches as a ``torch.utils.data.IterableDataset``.
Both sit on the module's ITK wrapping (``itk.PatchExtractor``, ``itk.PatchMerger``,
``itk.PatchBatchImageFilter``, ``itk.ComponentArgmaxImageFilter``, the samplers).
"""
from ._images import ShapeError
from .inference import sliding_window_inference
from .dataset import PatchDataset

__all__ = ["sliding_window_inference", "PatchDataset", "ShapeError"]
