"""cffi builder (API mode, out of line) for gatecore._native, the C reference core in native/.

The cdef is the part of native/gatecore.h between the GC_CDEF_BEGIN and GC_CDEF_END markers, with the enum
values replaced by `...` so cffi takes them from the header. Set GATECORE_WERROR=1 to compile with -Werror.
setup.py names this file in cffi_modules; paths are relative to the project root, where setuptools runs it.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from cffi import FFI

ROOT = Path(__file__).resolve().parent.parent
NATIVE = ROOT / "native"
SOURCES = ["status.c", "lstm.c", "gru.c", "rnn.c"]
DEPENDS = ["gatecore.h", "layout.h", "real.h", "ops.inc", "lstm.inc", "gru.inc", "rnn.inc"]


def cdef_text() -> str:
    """The declarations of gatecore.h for cffi: its marked block, comments dropped, enum values as `...`."""
    header = (NATIVE / "gatecore.h").read_text()
    block = header.split("GC_CDEF_BEGIN", 1)[1].split("\n", 1)[1].split("/* GC_CDEF_END */", 1)[0]
    block = re.sub(r"/\*.*?\*/", "", block, flags=re.S)
    return re.sub(r"(\b[A-Z][A-Z0-9_]*)\s*=\s*-?\d+", r"\1 = ...", block)


def compile_args() -> list[str]:
    """C99 with warnings on, -Werror when GATECORE_WERROR=1 (CI).

    -pedantic is left to native/Makefile: cffi's generated glue casts object pointers to function pointers.
    """
    args = ["-std=c99", "-O2", "-Wall", "-Wextra"]
    if os.environ.get("GATECORE_WERROR") == "1":
        args.append("-Werror")
    return args


ffibuilder = FFI()
ffibuilder.cdef(cdef_text())
ffibuilder.set_source(
    "gatecore._native",
    '#include "gatecore.h"',
    sources=[f"native/{name}" for name in SOURCES],
    include_dirs=["native"],
    depends=[f"native/{name}" for name in DEPENDS],
    extra_compile_args=compile_args(),
    libraries=["m"],
)
