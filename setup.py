"""Build the fastconv extension: the C core in csrc/ plus the Cython wrapper.

OpenMP is used when the compiler supports it (GCC/Clang -fopenmp, MSVC /openmp,
Apple clang with libomp); otherwise the build goes on serially with a warning.
No -march=native: the ISA-specific micro-kernels are compiled with per-function
target attributes and chosen at run time, so one wheel runs on any CPU of its
architecture.
"""
import glob
import os
import sys
import tempfile
import warnings

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
C_HEADERS = sorted(glob.glob(os.path.join(HERE, "csrc", "**", "*.h"), recursive=True))
C_SOURCES = sorted(
    os.path.relpath(p, HERE)
    for p in glob.glob(os.path.join(HERE, "csrc", "**", "*.c"), recursive=True)
)


def _openmp_flags(compiler):
    """(compile_args, link_args) that enable OpenMP, or None when nothing works."""
    if compiler.compiler_type == "msvc":
        return ["/openmp"], []
    candidates = [(["-fopenmp"], ["-fopenmp"])]
    if sys.platform == "darwin":
        candidates.append((["-Xpreprocessor", "-fopenmp"], ["-lomp"]))
    src = "#include <omp.h>\nint main(void){int n=0;\n#pragma omp parallel\n{n=omp_get_num_threads();}\nreturn n<1;}\n"
    for cflags, lflags in candidates:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "omp_check.c")
            with open(path, "w") as f:
                f.write(src)
            try:
                objs = compiler.compile([path], output_dir=tmp, extra_postargs=cflags)
                compiler.link_executable(objs, "omp_check", output_dir=tmp, extra_postargs=lflags)
                return cflags, lflags
            except Exception:  # noqa: BLE001 - any failure means "no OpenMP this way"
                continue
    return None


class BuildExt(build_ext):
    def build_extensions(self):
        flags = _openmp_flags(self.compiler)
        if flags is None:
            warnings.warn("fastconv: the C compiler has no OpenMP support; building a serial extension")
            cflags, lflags = [], []
        else:
            cflags, lflags = flags
        if self.compiler.compiler_type == "msvc":
            opt = ["/O2"]
        else:
            opt = ["-O3", "-std=gnu11", "-fno-strict-aliasing", "-Wno-unused-function"]
        if os.environ.get("FASTCONV_EXTRA_CFLAGS"):
            opt += os.environ["FASTCONV_EXTRA_CFLAGS"].split()
        for ext in self.extensions:
            ext.extra_compile_args = opt + cflags
            ext.extra_link_args = lflags
        super().build_extensions()


extensions = [
    Extension(
        "fastconv._kernels",
        sources=["src/fastconv/_kernels.pyx"] + C_SOURCES,
        include_dirs=["csrc", numpy.get_include()],
        depends=C_HEADERS,  # rebuild when a header or a kernel template changes
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    )
]

setup(
    ext_modules=cythonize(extensions, language_level=3, compiler_directives={"boundscheck": False, "wraparound": False}),
    cmdclass={"build_ext": BuildExt},
)
