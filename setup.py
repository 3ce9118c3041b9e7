"""Build the conversion's C inner loop; everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("csvdrop.conversion._core", ["app/csvdrop/conversion/_core.c"])
    ]
)
