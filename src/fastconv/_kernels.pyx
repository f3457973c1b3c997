# cython: language_level=3, boundscheck=False, wraparound=False
"""Thin Cython layer over the C core (csrc/fastconv.h).

Argument marshalling only: the Python API has already validated every argument
and made every array C-contiguous, aligned, native-endian and of one dtype.  The
C call runs with the GIL released; C error codes become Python exceptions.
"""
cimport numpy as cnp
from libc.stdint cimport int64_t

cnp.import_array()

cdef extern from "fastconv.h":
    enum:
        FC_OK
        FC_ENOMEM
        FC_EINVAL
        FC_EOVERFLOW
        FC_EISA
        FC_ISA_COUNT
        FC_LAYOUT_NCHW
        FC_LAYOUT_NHWC
    ctypedef struct fc_conv2d_desc:
        int64_t n, c, h, w
        int64_t o, kh, kw
        int64_t ho, wo
        int64_t stride_h, stride_w
        int64_t pad_h, pad_w
        int64_t dil_h, dil_w
        int64_t groups
        int layout
    const char *fc_isa_name(int isa)
    int fc_isa_compiled(int isa)
    int fc_isa_supported(int isa)
    int fc_isa_best()
    double fc_fma_probe(int isa, int64_t iters) nogil
    const char *fc_compiler()
    const char *fc_openmp()
    int fc_max_threads() nogil
    int fc_release_scratch()
    int fc_conv2d_f32(const fc_conv2d_desc *d, const float *x, const float *w,
                      const float *bias, float *y, int nthreads, int isa) nogil
    int fc_conv2d_f64(const fc_conv2d_desc *d, const double *x, const double *w,
                      const double *bias, double *y, int nthreads, int isa) nogil
    int fc_conv2d_threads(const fc_conv2d_desc *d, int elsize, int nthreads) nogil

ISA_COUNT = FC_ISA_COUNT


def isa_name(int isa):
    return fc_isa_name(isa).decode()


def isa_compiled(int isa):
    return bool(fc_isa_compiled(isa))


def isa_supported(int isa):
    return bool(fc_isa_supported(isa))


def isa_best():
    return fc_isa_best()


def fma_peak_gflops(int isa, double seconds=0.2):
    """Measured float32 FMA throughput of one core with the given ISA, GFLOP/s."""
    import time
    cdef int64_t iters = 1 << 16
    cdef double flops
    best = 0.0
    t_end = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        with nogil:
            flops = fc_fma_probe(isa, iters)
        dt = time.perf_counter() - t0
        if flops < 0:
            raise RuntimeError(f"isa {isa} is not available")
        if dt < 0.01:
            iters *= 4
            continue
        best = max(best, flops / dt / 1e9)
        if time.perf_counter() > t_end:
            return best


def build_info():
    return {"compiler": fc_compiler().decode(), "openmp": fc_openmp().decode()}


def release_scratch():
    return fc_release_scratch() == 0


def max_threads():
    return fc_max_threads()


cdef int check(int rc) except -1:
    if rc == FC_OK:
        return 0
    if rc == FC_ENOMEM:
        raise MemoryError("fastconv: could not allocate scratch memory")
    if rc == FC_EOVERFLOW:
        raise ValueError("fastconv: array sizes overflow 64-bit indexing")
    if rc == FC_EISA:
        raise RuntimeError("fastconv: the selected instruction set is not available in this build")
    raise ValueError(f"fastconv: the C core rejected the arguments (code {rc})")


cdef void *data(cnp.ndarray a):
    return cnp.PyArray_DATA(a)


cdef fc_conv2d_desc make_desc(cnp.ndarray x, cnp.ndarray w, cnp.ndarray y, tuple stride,
                              tuple padding, tuple dilation, int64_t groups, bint nhwc):
    """The descriptor of conv2d(x, w) -> y (shapes in the given layout, w OIHW)."""
    cdef fc_conv2d_desc d
    if nhwc:
        d.n, d.h, d.w, d.c = x.shape[0], x.shape[1], x.shape[2], x.shape[3]
        d.ho, d.wo = y.shape[1], y.shape[2]
    else:
        d.n, d.c, d.h, d.w = x.shape[0], x.shape[1], x.shape[2], x.shape[3]
        d.ho, d.wo = y.shape[2], y.shape[3]
    d.o, d.kh, d.kw = w.shape[0], w.shape[2], w.shape[3]
    d.stride_h, d.stride_w = stride
    d.pad_h, d.pad_w = padding
    d.dil_h, d.dil_w = dilation
    d.groups = groups
    d.layout = FC_LAYOUT_NHWC if nhwc else FC_LAYOUT_NCHW
    return d


def conv2d_threads(cnp.ndarray x, cnp.ndarray w, cnp.ndarray y, tuple stride, tuple padding,
                   tuple dilation, int64_t groups, bint nhwc, int nthreads):
    """The threads conv2d(x, w) -> y is worth, at most nthreads (<= 0: the default)."""
    cdef fc_conv2d_desc d = make_desc(x, w, y, stride, padding, dilation, groups, nhwc)
    return fc_conv2d_threads(&d, x.dtype.itemsize, nthreads)


def conv2d(cnp.ndarray x, cnp.ndarray w, b, cnp.ndarray y, tuple stride, tuple padding,
           tuple dilation, int64_t groups, bint nhwc, int nthreads, int isa,
           bint fit_threads=True):
    """y <- conv2d(x, w) + b on validated arrays; padding is (top, left).  With
    fit_threads, a layer too small to repay nthreads runs on fewer."""
    cdef fc_conv2d_desc d = make_desc(x, w, y, stride, padding, dilation, groups, nhwc)
    if fit_threads:
        nthreads = fc_conv2d_threads(&d, x.dtype.itemsize, nthreads)
    cdef void *bp = NULL if b is None else data(<cnp.ndarray>b)
    cdef void *xp = data(x)
    cdef void *wp = data(w)
    cdef void *yp = data(y)
    cdef int rc
    if x.dtype.itemsize == 4:
        with nogil:
            rc = fc_conv2d_f32(&d, <float *>xp, <float *>wp, <float *>bp, <float *>yp, nthreads, isa)
    else:
        with nogil:
            rc = fc_conv2d_f64(&d, <double *>xp, <double *>wp, <double *>bp, <double *>yp, nthreads, isa)
    check(rc)


# ==== building blocks of the convolution-design toolkit (csrc/blocks/) ========

cdef extern from "fastconv.h":
    int fc_channel_shuffle(const void *x, void *y, int64_t outer, int64_t c, int64_t inner,
                           int64_t groups, int64_t elsize, int nthreads) nogil
    int fc_separable_conv2d_f32(const fc_conv2d_desc *dw, int64_t o, const float *x,
                                const float *dw_w, const float *dw_b, const float *pw_w,
                                const float *pw_b, float *y, int nthreads, int isa) nogil
    int fc_separable_conv2d_f64(const fc_conv2d_desc *dw, int64_t o, const double *x,
                                const double *dw_w, const double *dw_b, const double *pw_w,
                                const double *pw_b, double *y, int nthreads, int isa) nogil
    int fc_squeeze_excitation_f32(int64_t n, int64_t c, int64_t hw, int64_t cr, const float *x,
                                  const float *w1, const float *b1, const float *w2,
                                  const float *b2, float *y, int nthreads, int isa) nogil
    int fc_squeeze_excitation_f64(int64_t n, int64_t c, int64_t hw, int64_t cr, const double *x,
                                  const double *w1, const double *b1, const double *w2,
                                  const double *b2, double *y, int nthreads, int isa) nogil


cdef void *data_or_null(a):
    return NULL if a is None else data(<cnp.ndarray>a)


def channel_shuffle(cnp.ndarray x, cnp.ndarray y, int64_t outer, int64_t c, int64_t inner,
                    int64_t groups, int nthreads):
    """y <- channel_shuffle(x) on C-contiguous arrays of one dtype (any element size)."""
    cdef void *xp = data(x)
    cdef void *yp = data(y)
    cdef int64_t elsize = x.dtype.itemsize
    cdef int rc
    with nogil:
        rc = fc_channel_shuffle(xp, yp, outer, c, inner, groups, elsize, nthreads)
    check(rc)


def separable_conv2d(cnp.ndarray x, cnp.ndarray dw_w, dw_b, cnp.ndarray pw_w, pw_b,
                     cnp.ndarray y, tuple stride, tuple padding, tuple dilation, bint nhwc,
                     int nthreads, int isa):
    """y <- pointwise(depthwise(x)) on validated arrays; padding is (top, left)."""
    cdef int64_t channels = x.shape[3] if nhwc else x.shape[1]
    # the depthwise stage: y's spatial size, dw_w's channels
    cdef fc_conv2d_desc d = make_desc(x, dw_w, y, stride, padding, dilation, channels, nhwc)
    cdef int64_t o = pw_w.shape[0]
    cdef void *xp = data(x)
    cdef void *dwp = data(dw_w)
    cdef void *dbp = data_or_null(dw_b)
    cdef void *pwp = data(pw_w)
    cdef void *pbp = data_or_null(pw_b)
    cdef void *yp = data(y)
    cdef int rc
    if x.dtype.itemsize == 4:
        with nogil:
            rc = fc_separable_conv2d_f32(&d, o, <float *>xp, <float *>dwp, <float *>dbp,
                                         <float *>pwp, <float *>pbp, <float *>yp, nthreads, isa)
    else:
        with nogil:
            rc = fc_separable_conv2d_f64(&d, o, <double *>xp, <double *>dwp, <double *>dbp,
                                         <double *>pwp, <double *>pbp, <double *>yp, nthreads, isa)
    check(rc)


def squeeze_excitation(cnp.ndarray x, cnp.ndarray w1, b1, cnp.ndarray w2, b2, cnp.ndarray y,
                       int nthreads, int isa):
    """y <- squeeze_excitation(x) on validated (N, C, H*W) arrays; y may be x."""
    cdef int64_t n = x.shape[0], c = x.shape[1], hw = x.shape[2], cr = w1.shape[0]
    cdef void *xp = data(x)
    cdef void *w1p = data(w1)
    cdef void *b1p = data_or_null(b1)
    cdef void *w2p = data(w2)
    cdef void *b2p = data_or_null(b2)
    cdef void *yp = data(y)
    cdef int rc
    if x.dtype.itemsize == 4:
        with nogil:
            rc = fc_squeeze_excitation_f32(n, c, hw, cr, <float *>xp, <float *>w1p, <float *>b1p,
                                           <float *>w2p, <float *>b2p, <float *>yp, nthreads, isa)
    else:
        with nogil:
            rc = fc_squeeze_excitation_f64(n, c, hw, cr, <double *>xp, <double *>w1p, <double *>b1p,
                                           <double *>w2p, <double *>b2p, <double *>yp, nthreads, isa)
    check(rc)


# ---- deformable convolution ----------------------------------------------------

cdef extern from "fastconv.h":
    ctypedef struct fc_deform_desc:
        int64_t n, c, h, w
        int64_t o, kh, kw
        int64_t ho, wo
        int64_t stride_h, stride_w
        int64_t pad_h, pad_w
        int64_t dil_h, dil_w
        int64_t groups
        int64_t offset_groups
    int fc_deform_conv2d_f32(const fc_deform_desc *d, const float *x, const float *offset,
                             const float *mask, const float *w, const float *bias, float *y,
                             int nthreads, int isa) nogil
    int fc_deform_conv2d_f64(const fc_deform_desc *d, const double *x, const double *offset,
                             const double *mask, const double *w, const double *bias,
                             double *y, int nthreads, int isa) nogil


def deform_conv2d(cnp.ndarray x, cnp.ndarray offset, mask, cnp.ndarray w, b, cnp.ndarray y,
                  tuple stride, tuple padding, tuple dilation, int64_t groups,
                  int64_t offset_groups, int nthreads, int isa):
    """y <- deform_conv2d(x, offset, mask, w) + b on validated NCHW arrays."""
    cdef fc_deform_desc d
    d.n, d.c, d.h, d.w = x.shape[0], x.shape[1], x.shape[2], x.shape[3]
    d.o, d.kh, d.kw = w.shape[0], w.shape[2], w.shape[3]
    d.ho, d.wo = y.shape[2], y.shape[3]
    d.stride_h, d.stride_w = stride
    d.pad_h, d.pad_w = padding
    d.dil_h, d.dil_w = dilation
    d.groups = groups
    d.offset_groups = offset_groups
    cdef void *mp = NULL if mask is None else data(<cnp.ndarray>mask)
    cdef void *bp = NULL if b is None else data(<cnp.ndarray>b)
    cdef void *xp = data(x)
    cdef void *op = data(offset)
    cdef void *wp = data(w)
    cdef void *yp = data(y)
    cdef int rc
    if x.dtype.itemsize == 4:
        with nogil:
            rc = fc_deform_conv2d_f32(&d, <float *>xp, <float *>op, <float *>mp, <float *>wp,
                                      <float *>bp, <float *>yp, nthreads, isa)
    else:
        with nogil:
            rc = fc_deform_conv2d_f64(&d, <double *>xp, <double *>op, <double *>mp, <double *>wp,
                                      <double *>bp, <double *>yp, nthreads, isa)
    check(rc)
