"""Rich results of a run, inside the sandbox: matplotlib figures and PIL images as PNG, pandas
tables as bounded text plus JSON records.

Loaded by the worker only when a run leaves matplotlib figures open or returns an image or a
table, so runs that use none of them never pay for it. Every size is capped here (pixels, bytes,
count, rows); the server checks the caps again, since code in a session can tamper with this.
"""

import base64
import io
import math
import sys

LABEL_CHARS = 120  # a title or an axis label, as described in the text
DESCRIBED_AXES = 4  # axes described per figure
MAX_OMITTED = 20  # images described (not attached) per call; the rest are only counted
RENDER_ATTEMPTS = 3  # renders at smaller sizes before an image is dropped as too large


def _clip(text):
    text = " ".join(str(text).split())
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 3] + "..."


def _png_size(data):
    """Width and height from a PNG's IHDR chunk."""
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _scale_for(width, height, caps):
    """The factor (<= 1) that brings an image within the side and pixel caps."""
    if width <= 0 or height <= 0:
        return 1.0
    return min(
        1.0,
        caps["max_side"] / width,
        caps["max_side"] / height,
        math.sqrt(caps["max_pixels"] / (width * height)),
    )


def describe_figure(fig):
    """Title, axes titles and labels: what a model without image support reads instead."""
    parts = []
    suptitle = getattr(fig, "_suptitle", None)
    if suptitle is not None and suptitle.get_text():
        parts.append(f'title "{_clip(suptitle.get_text())}"')
    axes = fig.get_axes()
    for number, ax in enumerate(axes[:DESCRIBED_AXES], 1):
        bits = []
        for what, text in (("title", ax.get_title()), ("x", ax.get_xlabel()), ("y", ax.get_ylabel())):
            if text:
                bits.append(f'{what} "{_clip(text)}"')
        prefix = f"axes {number}" if len(axes) > 1 else "axes"
        parts.append(f"{prefix}: {', '.join(bits) if bits else 'no title or labels'}")
    if len(axes) > DESCRIBED_AXES:
        parts.append(f"{len(axes) - DESCRIBED_AXES} more axes")
    if not axes:
        parts.append("no axes")
    return "; ".join(parts)


def _render_figure(fig, caps):
    """PNG bytes of a figure within the caps, and whether it was scaled down; None if too large."""
    width_in, height_in = fig.get_size_inches()
    dpi = fig.dpi
    scale = _scale_for(width_in * dpi, height_in * dpi, caps)
    for _ in range(RENDER_ATTEMPTS):
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=max(1.0, dpi * scale))
        data = buffer.getvalue()
        width, height = _png_size(data)
        if len(data) <= caps["max_bytes"] and max(width, height) <= caps["max_side"]:
            return data, scale < 1.0
        scale *= min(0.9, math.sqrt(caps["max_bytes"] / len(data)) * 0.9)
    return None, True


def _render_pil(image, caps):
    from PIL import Image

    if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        image = image.convert("RGBA")
    scale = _scale_for(image.width, image.height, caps)
    for _ in range(RENDER_ATTEMPTS):
        shown = image
        if scale < 1.0:
            size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
            shown = image.resize(size, Image.LANCZOS)
        buffer = io.BytesIO()
        shown.save(buffer, format="PNG", optimize=False)
        data = buffer.getvalue()
        if len(data) <= caps["max_bytes"]:
            return data, scale < 1.0
        scale *= min(0.9, math.sqrt(caps["max_bytes"] / len(data)) * 0.9)
    return None, True


class ImageCollector:
    """Images of one call, within the count cap and the call's byte budget."""

    def __init__(self, caps):
        self.caps = caps
        self.left = caps["total_bytes"]
        self.images = []
        self.omitted = []
        self.omitted_count = 0

    def _omit(self, label, reason):
        self.omitted_count += 1
        if len(self.omitted) < MAX_OMITTED:
            self.omitted.append({"label": label, "reason": reason})

    def add(self, kind, label, render):
        if self.caps["max_count"] == 0:
            self._omit(label, "images are turned off on this server (--image-kb 0)")
            return
        if len(self.images) >= self.caps["max_count"]:
            self._omit(label, f"over the limit of {self.caps['max_count']} images per call")
            return
        if self.left <= 0:
            self._omit(label, "over the image budget of this call")
            return
        caps = dict(self.caps, max_bytes=min(self.caps["max_bytes"], self.left))
        try:
            data, scaled = render(caps)
        except Exception as exc:  # a broken artist or image must not lose the whole result
            self._omit(label, f"could not be rendered: {type(exc).__name__}: {_clip(exc)}")
            return
        if data is None:
            if self.left < self.caps["max_bytes"]:
                self._omit(label, "over the image budget of this call, even scaled down")
            else:
                self._omit(label, "too large even when scaled down")
            return
        width, height = _png_size(data)
        self.left -= len(data)
        self.images.append(
            {
                "kind": kind,
                "label": label,
                "width": width,
                "height": height,
                "scaled": scaled,
                "data": base64.b64encode(data).decode("ascii"),
            }
        )


def _is_instance(value, module, name):
    mod = sys.modules.get(module)
    cls = getattr(mod, name, None) if mod is not None else None
    return isinstance(cls, type) and isinstance(value, cls)


def is_rich(value):
    """Whether the last expression's value is shown as an image or a table."""
    return (
        _is_instance(value, "matplotlib.figure", "Figure")
        or _is_instance(value, "PIL.Image", "Image")
        or _is_instance(value, "pandas", "DataFrame")
        or _is_instance(value, "pandas", "Series")
    )


def collect_images(value, caps):
    """The returned image or figure, then every open pyplot figure (closed once captured)."""
    collector = ImageCollector(caps)
    seen = set()
    if _is_instance(value, "PIL.Image", "Image"):
        label = f"returned image ({value.width}x{value.height} px, mode {value.mode})"
        collector.add("image", label, lambda c: _render_pil(value, c))
    elif _is_instance(value, "matplotlib.figure", "Figure"):
        seen.add(id(value))
        collector.add("figure", "returned figure: " + describe_figure(value), lambda c: _render_figure(value, c))
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        for number in plt.get_fignums():
            fig = plt.figure(number)
            if id(fig) not in seen:
                label = f"figure {number}: {describe_figure(fig)}"
                collector.add("figure", label, lambda c, fig=fig: _render_figure(fig, c))
            # Captured (or dropped) once: a session does not send it again next call.
            plt.close(fig)
    return collector


def table_of(value, caps):
    """A DataFrame or Series as bounded text and JSON records, or None for other values."""
    pd = sys.modules.get("pandas")
    if pd is None:
        return None
    if isinstance(value, pd.Series):
        name = value.name if value.name is not None else "value"
        frame = value.to_frame(name=name)
        header = f"Series {_clip(repr(value.name))}: {len(value)} rows, dtype {value.dtype}"
        text = value.to_string(max_rows=caps["text_rows"])
        kind = "Series"
    elif isinstance(value, pd.DataFrame):
        frame = value
        header = f"DataFrame: {frame.shape[0]} rows x {frame.shape[1]} columns"
        text = frame.to_string(
            max_rows=caps["text_rows"], max_cols=caps["text_cols"], max_colwidth=caps["text_colwidth"]
        )
        kind = "DataFrame"
    else:
        return None
    rows, columns = frame.shape
    records, shown = _records(pd, frame, caps)
    return {
        "kind": kind,
        "rows": int(rows),
        "columns": int(columns),
        "column_names": [_clip(c) for c in list(frame.columns[: caps["record_cols"]])],
        "text": f"{header}\n{text}",
        "records": records,
        "records_rows": shown,
    }


def _records(pd, frame, caps):
    """JSON records of the first rows (and columns), at most caps['records_bytes'] long."""
    head = frame.iloc[: caps["record_rows"], : caps["record_cols"]]
    if not isinstance(head.index, pd.RangeIndex):
        head = head.reset_index()
    if not head.columns.is_unique:
        return None, 0
    rows = len(head)
    while True:
        try:
            text = head.iloc[:rows].to_json(
                orient="records", date_format="iso", default_handler=str, force_ascii=False
            )
        except Exception:
            return None, 0
        size = len(text.encode("utf-8", "replace"))
        if size <= caps["records_bytes"] or rows == 0:
            return text, rows
        rows = min(rows - 1, int(rows * caps["records_bytes"] / size * 0.9))
