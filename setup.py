"""Build shim: setuptools builds the cffi extension gatecore._native from native/ (see bindings/)."""
from setuptools import setup

setup(cffi_modules=["bindings/build_native.py:ffibuilder"])
