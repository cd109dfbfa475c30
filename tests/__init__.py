"""Recura's tests, as a package: `tests.conftest`, `tests.fakes` and the like must resolve
here, not to the top-level `tests` package a dependency (apimatic-core) installs."""
