# pyzbar looks for libzbar with ctypes.util.find_library, which asks `ldconfig -p` and, failing
# that, a compiler. Under a systemd unit /sbin is often off PATH and no compiler is installed, so
# the library that Debian's libzbar0 put in place is not found and scanning falls back to one
# decoder. Here the soname is tried directly first.
import ctypes
import ctypes.util

_find_library = ctypes.util.find_library


def _find(name):
    if name == "zbar":
        for soname in ("libzbar.so.0", "libzbar.so"):
            try:
                ctypes.CDLL(soname)
            except OSError:
                continue
            return soname
    return _find_library(name)


ctypes.util.find_library = _find
