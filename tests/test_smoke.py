import numpy as np

import fastconv
from fastconv import reference


def test_conv2d_matches_reference_smoke():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 9, 11)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 2)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    y = fastconv.conv2d(x, w, b, stride=2, padding=1, dilation=(1, 2), groups=2)
    r = reference.conv2d(x, w, b, stride=2, padding=1, dilation=(1, 2), groups=2)
    np.testing.assert_allclose(y, r, rtol=1e-5, atol=1e-5)
