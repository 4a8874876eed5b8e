# SPDX-License-Identifier: GPL-3.0-or-later
"""Review: does the model match its input views, and is it worth printing?

Silhouette comparison per view (IoU, a difference image, the disagreement located and named),
a keep / fix / regenerate verdict in words, heat-map colours from the print check's maps, and
the two outputs: ``review.json`` and a self-contained ``report.html``. No Blender here; the
renders come from ``blender/review.py``.
"""

from .heatmap import face_colors, thickness_colors
from .report import REVIEW_FORMAT, material_estimate, render_html, write_html, write_review_json
from .silhouette import Region, ViewComparison, compare_view, compare_views
from .verdict import KEEP_IOU, LOST_PART, REGENERATE_IOU, Verdict, decide

__all__ = [
    "KEEP_IOU", "LOST_PART", "REGENERATE_IOU", "REVIEW_FORMAT", "Region", "Verdict", "ViewComparison",
    "compare_view", "compare_views", "decide", "face_colors", "material_estimate", "render_html", "thickness_colors",
    "write_html", "write_review_json",
]
