"""Import reidlab before any test module imports torch, so its thread settings apply to the tests
as they do to the chapters (see reidlab.cpu)."""

import reidlab  # noqa: F401
