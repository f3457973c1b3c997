"""Parameter, cost and receptive-field arithmetic for convolution designs.

The numbers behind the usual design arguments -- two 3x3 layers instead of one
5x5, 1x3 then 3x1 instead of 3x3, grouped or depthwise-separable instead of
dense -- computed for your own layer shapes::

    >>> from fastconv import analysis
    >>> analysis.conv_params(64, 64, 5), 2 * analysis.conv_params(64, 64, 3)
    (102400, 73728)
    >>> analysis.receptive_field([(3, 1), (3, 1)])
    5
    >>> print(analysis.summarize([(64, 3), (64, 3)], input_size=56, in_channels=64))  # doctest: +SKIP

Output sizes follow exactly the rule of :func:`fastconv.conv2d` (integer
padding, ``'valid'`` or ``'same'``), so a summary describes what conv2d computes.
Sizes are per image; MACs are multiply-accumulates (one multiplication and one
addition each), without the bias additions.
"""
import numpy as np

from . import _validate as V
from ._conv import conv_output_size, normalize_padding

__all__ = ["conv_params", "conv_macs", "conv_output_shape", "receptive_field", "summarize",
           "StackSummary"]


def _positive(name, v):
    v = V.as_int(name, v)
    if v < 1:
        raise ValueError(f"{name} must be a positive int, got {v}")
    return v


def _channels(in_channels, out_channels, groups):
    c = _positive("in_channels", in_channels)
    o = _positive("out_channels", out_channels)
    g = _positive("groups", groups)
    if c % g or o % g:
        raise ValueError(f"groups={g} must divide both in_channels={c} and out_channels={o}")
    return c, o, g


def conv_params(in_channels, out_channels, kernel_size, groups=1, bias=False):
    """Number of weights of a 2-D convolution layer: O * (C/groups) * kh * kw (+ O with bias).

    ``kernel_size`` is an int or a pair (kh, kw).

    >>> conv_params(10, 10, 5), conv_params(12, 6, 5, groups=3)
    (2500, 600)
    """
    c, o, g = _channels(in_channels, out_channels, groups)
    kh, kw = V.pair("kernel_size", kernel_size, 1)
    if not isinstance(bias, (bool, np.bool_)):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    return o * (c // g) * kh * kw + (o if bias else 0)


def conv_output_shape(input_size, kernel_size, stride=1, padding=0, dilation=1):
    """(Ho, Wo) of :func:`fastconv.conv2d` for an (H, W) input (or an int for a square one).

    Raises ValueError, naming the axis, when the dilated kernel does not fit in
    the padded input -- exactly when conv2d does.
    """
    h, w = V.pair("input_size", input_size, 1)
    kh, kw = V.pair("kernel_size", kernel_size, 1)
    sh, sw = V.pair("stride", stride, 1)
    dh, dw = V.pair("dilation", dilation, 1)
    (pt, pb), (pl, pr) = normalize_padding(padding, (kh, kw), (sh, sw), (dh, dw))
    for axis, size, k, d, p in (("height", h, kh, dh, pt + pb), ("width", w, kw, dw, pl + pr)):
        if d * (k - 1) + 1 > size + p:
            raise ValueError(
                f"kernel {axis} {k} (dilation {d}, effective {d * (k - 1) + 1}) is larger than "
                f"the padded input {axis} {size + p} (input size {h}x{w}, padding {padding!r})")
    return conv_output_size(h, kh, sh, pt + pb, dh), conv_output_size(w, kw, sw, pl + pr, dw)


def conv_macs(input_size, in_channels, out_channels, kernel_size, stride=1, padding=0,
              dilation=1, groups=1):
    """Multiply-accumulates of one 2-D convolution on one image: Ho * Wo * O * (C/groups) * kh * kw.

    ``input_size`` is H (square) or (H, W); the output size is conv2d's.

    >>> conv_macs(5, 1, 1, 3), conv_macs(5, 1, 1, (1, 3)), conv_macs((5, 3), 1, 1, (3, 1))
    (81, 45, 27)
    """
    c, o, g = _channels(in_channels, out_channels, groups)
    kh, kw = V.pair("kernel_size", kernel_size, 1)
    ho, wo = conv_output_shape(input_size, (kh, kw), stride, padding, dilation)
    return ho * wo * o * (c // g) * kh * kw


def _rf_layer(i, layer):
    """((kh, kw), (sh, sw), (dh, dw)) of one receptive_field() entry."""
    if isinstance(layer, dict):
        unknown = set(layer) - {"kernel_size", "stride", "dilation"}
        if "kernel_size" not in layer or unknown:
            raise ValueError(f"layer {i}: a dict needs 'kernel_size' and may have 'stride' and "
                             f"'dilation', got keys {sorted(layer)}")
        k, s, d = layer["kernel_size"], layer.get("stride", 1), layer.get("dilation", 1)
    elif isinstance(layer, (tuple, list)) and len(layer) in (2, 3):
        k, s, d = (*layer, 1) if len(layer) == 2 else layer
    else:
        raise ValueError(f"layer {i} must be (kernel_size, stride) or (kernel_size, stride, "
                         f"dilation), got {layer!r}")
    return (V.pair(f"layer {i} kernel_size", k, 1), V.pair(f"layer {i} stride", s, 1),
            V.pair(f"layer {i} dilation", d, 1))


def _rf_value(rf):
    return rf[0] if rf[0] == rf[1] else tuple(rf)


def receptive_field(layers):
    """Receptive field of a stack of layers, in input pixels.

    ``layers`` is a sequence of (kernel_size, stride) or (kernel_size, stride,
    dilation), first layer first; each entry is an int or an (h, w) pair.  The
    recurrence is ``RF += (k_eff - 1) * jump`` with ``k_eff = dilation*(k-1)+1``
    and ``jump`` the product of the strides of the earlier layers.  Returns an
    int, or an (h, w) pair when the two axes differ.

    >>> receptive_field([(3, 1)] * 3), receptive_field([(3, 1, 2), (3, 1, 4)])
    (7, 13)
    """
    if isinstance(layers, (str, bytes, dict)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a sequence of (kernel_size, stride[, dilation]), got {layers!r}")
    rf, jump = [1, 1], [1, 1]
    for i, layer in enumerate(layers):
        k, s, d = _rf_layer(i, layer)
        for a in range(2):
            rf[a] += d[a] * (k[a] - 1) * jump[a]
            jump[a] *= s[a]
    return _rf_value(rf)


# ---- stack summary -------------------------------------------------------------

_LAYER_KEYS = ("out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
               "name")
_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": False, "name": None}


def _layer_spec(i, layer):
    """A summarize() entry as a full dict of _LAYER_KEYS."""
    if isinstance(layer, dict):
        unknown = set(layer) - set(_LAYER_KEYS)
        if unknown:
            raise ValueError(f"layer {i}: unknown keys {sorted(unknown)}; allowed: {list(_LAYER_KEYS)}")
        missing = {"out_channels", "kernel_size"} - set(layer)
        if missing:
            raise ValueError(f"layer {i}: missing {sorted(missing)}")
        spec = {**_DEFAULTS, **layer}
    elif isinstance(layer, (tuple, list)) and 2 <= len(layer) <= 6:
        spec = {**_DEFAULTS, **dict(zip(_LAYER_KEYS, layer))}
    else:
        raise ValueError(
            f"layer {i} must be a dict or a tuple (out_channels, kernel_size[, stride[, padding"
            f"[, dilation[, groups]]]]), got {layer!r}")
    return spec


def _fmt_pair(p):
    return f"{p[0]}x{p[1]}"


def _fmt_rf(rf):
    return str(rf) if isinstance(rf, int) else _fmt_pair(rf)


class StackSummary:
    """Per-layer and total arithmetic of a convolution stack (see :func:`summarize`).

    ``rows`` is a list of dicts with keys name, kernel, stride, dilation, groups,
    input (C, H, W), output (C, H, W), params, macs, receptive_field; totals are
    ``params``, ``macs``, ``receptive_field`` and ``output``.  ``str()`` gives
    a table.
    """

    def __init__(self, rows, input_shape):
        self.rows = rows
        self.input = input_shape
        self.params = sum(r["params"] for r in rows)
        self.macs = sum(r["macs"] for r in rows)
        self.receptive_field = rows[-1]["receptive_field"] if rows else 1
        self.output = rows[-1]["output"] if rows else input_shape

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def __repr__(self):
        return (f"StackSummary({len(self.rows)} layers, input={self.input}, output={self.output}, "
                f"params={self.params}, macs={self.macs}, receptive_field={self.receptive_field})")

    def table(self):
        """The summary as a fixed-width text table, one line per layer plus totals."""
        head = ("layer", "kernel", "stride", "dil", "groups", "output (CxHxW)", "params", "MACs", "RF")
        body = [(r["name"], _fmt_pair(r["kernel"]), _fmt_pair(r["stride"]), _fmt_pair(r["dilation"]),
                 str(r["groups"]), "x".join(map(str, r["output"])), f"{r['params']:,}",
                 f"{r['macs']:,}", _fmt_rf(r["receptive_field"])) for r in self.rows]
        total = ("total", "", "", "", "", "x".join(map(str, self.output)), f"{self.params:,}",
                 f"{self.macs:,}", _fmt_rf(self.receptive_field))
        lines = [head] + body + [total]
        widths = [max(len(line[j]) for line in lines) for j in range(len(head))]

        def fmt(line):
            # names and shapes left-aligned, numbers right-aligned
            return "  ".join(c.ljust(w) if j in (0, 5) else c.rjust(w)
                             for j, (c, w) in enumerate(zip(line, widths))).rstrip()
        rule = "-" * len(fmt(head))
        return "\n".join([f"input {'x'.join(map(str, self.input))}", fmt(head), rule]
                         + [fmt(b) for b in body] + [rule, fmt(total)])

    __str__ = table


def summarize(layers, input_size, in_channels):
    """Output size, parameters, MACs and receptive field of each layer of a stack, and totals.

    Parameters
    ----------
    layers : sequence of dict or tuple, first layer first
        A dict has keys ``out_channels`` and ``kernel_size`` (required) and
        ``stride``, ``padding``, ``dilation``, ``groups``, ``bias``, ``name``
        (conv2d's defaults); a tuple is ``(out_channels, kernel_size[, stride
        [, padding[, dilation[, groups]]]])``.
    input_size : int or (H, W)
    in_channels : int

    Returns
    -------
    StackSummary -- ``print()`` it for a table; ``.params``, ``.macs``,
    ``.receptive_field``, ``.output`` are the totals and ``.rows`` the layers.

    Example: one 5x5 against two 3x3 on 64 channels::

        >>> s = summarize([(64, 3, 1, 1), (64, 3, 1, 1)], 56, 64)
        >>> s.params, s.receptive_field, s.output
        (73728, 5, (64, 56, 56))
    """
    if isinstance(layers, (str, bytes, dict)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a sequence of dicts or tuples, got {layers!r}")
    c = _positive("in_channels", in_channels)
    hw = V.pair("input_size", input_size, 1)
    input_shape = (c, *hw)
    rows, rf, jump = [], [1, 1], [1, 1]
    for i, layer in enumerate(layers):
        spec = _layer_spec(i, layer)
        name = spec["name"] if spec["name"] is not None else f"conv{i + 1}"
        try:
            o = _positive("out_channels", spec["out_channels"])
            k = V.pair("kernel_size", spec["kernel_size"], 1)
            s = V.pair("stride", spec["stride"], 1)
            d = V.pair("dilation", spec["dilation"], 1)
            g = spec["groups"]
            params = conv_params(c, o, k, g, spec["bias"])
            out_hw = conv_output_shape(hw, k, s, spec["padding"], d)
            macs = conv_macs(hw, c, o, k, s, spec["padding"], d, g)
        except (ValueError, TypeError) as exc:
            raise type(exc)(f"layer {i} ({name}, input {c}x{hw[0]}x{hw[1]}): {exc}") from None
        for a in range(2):
            rf[a] += d[a] * (k[a] - 1) * jump[a]
            jump[a] *= s[a]
        rows.append({"name": str(name), "kernel": k, "stride": s, "dilation": d,
                     "groups": V.as_int("groups", g), "input": (c, *hw), "output": (o, *out_hw),
                     "params": params, "macs": macs, "receptive_field": _rf_value(rf)})
        c, hw = o, out_hw
    return StackSummary(rows, input_shape)
