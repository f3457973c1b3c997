"""Build the fastconv extension: the C core in csrc/ plus the Cython wrapper.

OpenMP is used when the compiler supports it (GCC/Clang -fopenmp, clang-cl /openmp on Windows,
Apple clang with libomp); otherwise the build goes on serially with a warning.
No -march=native: the ISA-specific micro-kernels are compiled with per-function
target attributes and chosen at run time, so one wheel runs on any CPU of its
architecture.
"""
import glob
import os
import shutil
import subprocess
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


def _libomp_prefixes():
    """Where a macOS libomp may live: $LIBOMP_PREFIX, Homebrew (keg-only, so not on
    the default search paths), MacPorts."""
    found = [os.environ.get("LIBOMP_PREFIX", "")]
    try:
        found.append(subprocess.run(["brew", "--prefix", "libomp"], capture_output=True, text=True,
                                    timeout=60).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    found += ["/opt/homebrew/opt/libomp", "/usr/local/opt/libomp", "/opt/local"]
    return [p for i, p in enumerate(found) if p and os.path.isdir(p) and p not in found[:i]]


def _openmp_flags(compiler):
    """(compile_args, link_args) that enable OpenMP, or None when nothing works."""
    if compiler.compiler_type == "msvc":
        return ["/openmp"], []  # clang-cl too (links LLVM's libomp)
    candidates = [(["-fopenmp"], ["-fopenmp"])]
    if sys.platform == "darwin":  # Apple clang: no driver support, libomp by hand
        candidates.append((["-Xpreprocessor", "-fopenmp"], ["-lomp"]))
        for prefix in _libomp_prefixes():
            inc, lib = os.path.join(prefix, "include"), os.path.join(prefix, "lib")
            candidates.append((["-Xpreprocessor", "-fopenmp", "-I" + inc],
                               ["-L" + lib, "-lomp", "-Wl,-rpath," + lib]))
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


def _use_clang_cl(compiler):
    """The C core is written with GCC/Clang vector extensions and builtins, which
    MSVC's cl.exe does not have; clang-cl has them and takes MSVC's flags (and
    /openmp).  Swap it in for cl.exe: $FASTCONV_CLANG_CL, else clang-cl on PATH
    (LLVM is on the usual Windows CI images)."""
    clang_cl = os.environ.get("FASTCONV_CLANG_CL") or shutil.which("clang-cl")
    if not clang_cl:
        raise RuntimeError(
            "fastconv needs clang-cl on Windows (MSVC's cl.exe lacks the GCC/Clang vector "
            "extensions the C core uses): install LLVM or set FASTCONV_CLANG_CL to clang-cl.exe")
    if not compiler.initialized:
        compiler.initialize()
    compiler.cc = clang_cl
    # __builtin_cpu_supports (ISA dispatch) lives in compiler-rt's builtins,
    # which clang-cl does not link by default
    try:
        rt = subprocess.run([clang_cl, "/clang:--rtlib=compiler-rt", "/clang:-print-libgcc-file-name"],
                            capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rt = ""
    return [rt] if rt and os.path.isfile(rt) else []


class BuildExt(build_ext):
    def build_extensions(self):
        rt_libs = _use_clang_cl(self.compiler) if self.compiler.compiler_type == "msvc" else []
        flags = _openmp_flags(self.compiler)
        if flags is None:
            warnings.warn("fastconv: the C compiler has no OpenMP support; building a serial extension")
            cflags, lflags = [], []
        else:
            cflags, lflags = flags
        if self.compiler.compiler_type == "msvc":
            opt = ["/O2"]
        else:
            # -fno-wrapv undoes the -fwrapv of Python's own CFLAGS: the C core checks
            # its sizes for overflow explicitly (and runs clean under UBSan), and
            # wrapping arithmetic made the depthwise 5x5 kernels ~6% slower
            opt = ["-O3", "-fno-wrapv", "-std=gnu11", "-fno-strict-aliasing",
                   "-Wno-unused-function"]
        if os.environ.get("FASTCONV_EXTRA_CFLAGS"):
            opt += os.environ["FASTCONV_EXTRA_CFLAGS"].split()
        for ext in self.extensions:
            ext.extra_compile_args = opt + cflags
            ext.extra_link_args = lflags + rt_libs
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
