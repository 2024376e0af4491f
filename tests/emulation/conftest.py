"""The emulation's tests (local/: what `make dev` runs), apart from the product's; the devserver test runs it as e2e."""

from tests.e2e.conftest import local_api

__all__ = ["local_api"]  # the fixture that starts `make dev` in a subprocess
