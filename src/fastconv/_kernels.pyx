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
    const char *fc_compiler()
    const char *fc_openmp()
    int fc_max_threads() nogil
    int fc_conv2d_f32(const fc_conv2d_desc *d, const float *x, const float *w,
                      const float *bias, float *y, int nthreads, int isa) nogil
    int fc_conv2d_f64(const fc_conv2d_desc *d, const double *x, const double *w,
                      const double *bias, double *y, int nthreads, int isa) nogil

ISA_COUNT = FC_ISA_COUNT


def isa_name(int isa):
    return fc_isa_name(isa).decode()


def isa_compiled(int isa):
    return bool(fc_isa_compiled(isa))


def isa_supported(int isa):
    return bool(fc_isa_supported(isa))


def isa_best():
    return fc_isa_best()


def build_info():
    return {"compiler": fc_compiler().decode(), "openmp": fc_openmp().decode()}


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


def conv2d(cnp.ndarray x, cnp.ndarray w, b, cnp.ndarray y, tuple stride, tuple padding,
           tuple dilation, int64_t groups, bint nhwc, int nthreads, int isa):
    """y <- conv2d(x, w) + b on validated arrays; padding is (top, left)."""
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
