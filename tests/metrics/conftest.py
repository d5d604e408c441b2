from ..push.conftest import emulator  # noqa: F401 (the push service emulator fixture)
