"""What the bundle leaves out and what it adds: the spec (kiosk.spec) and the tests read this
one list, so the size report and the checks agree with the build."""

from __future__ import annotations

from pathlib import Path, PurePath

# The languages the catalogues ship (kiosk/i18n.py LANGUAGES): only their Qt and CLDR data go in.
LANGUAGES = ("en", "es", "fr", "ar")

# Never imported by the app; some are pulled in by an optional import inside a library.
EXCLUDED_MODULES = [
    "tkinter", "_tkinter", "pydoc_data", "lib2to3", "idlelib", "test",
    "pytest", "_pytest", "hypothesis", "respx", "aiosmtpd", "IPython", "matplotlib",
    "numpy.f2py", "numpy.distutils", "setuptools", "pkg_resources", "pip", "PyInstaller",
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtNetwork", "PySide6.QtOpenGL",
    "PySide6.QtPrintSupport", "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtXml",
    "PySide6.QtDBus", "PySide6.QtConcurrent", "PySide6.QtSvg", "PySide6.QtHelp",
    # Pillow only reads the headers of the images `kiosk decode` is given; AVIF (5 MB of
    # codec) and Tk are left out. (YAML stays: python-escpos reads its printer profiles with it.)
    "PIL._avif", "PIL.AvifImagePlugin", "PIL._imagingtk", "PIL.ImageTk",
]

# Qt plugin folders the screens use: the X11 and Wayland platforms (cage is a Wayland
# compositor), offscreen for `kiosk doctor`, input methods and the raster image formats (no SVG:
# the screens draw none). No platform themes: both screens draw their own, and the GTK one
# would bring a copy of GTK's libraries.
_QT_PLUGINS_KEPT = {
    "platforms": ("libqxcb.so", "libqoffscreen.so", "libqwayland.so", "libqwayland-generic.so",
                  "libqwayland-egl.so", "qwindows.dll", "qoffscreen.dll", "libqcocoa.dylib",
                  "libqoffscreen.dylib"),
    "platforminputcontexts": None, "xcbglintegrations": None,
    "imageformats": ("libqjpeg.so", "libqgif.so", "libqico.so", "qjpeg.dll", "qgif.dll", "qico.dll",
                     "libqjpeg.dylib", "libqgif.dylib", "libqico.dylib"),
    "wayland-shell-integration": None, "wayland-decoration-client": ("libbradient.so",),  # adwaita needs QtSvg
    "wayland-graphics-integration-client": None, "styles": None,
}


def _parts(dest: str) -> tuple[str, ...]:
    return PurePath(dest.replace("\\", "/")).parts


def keep_binary(dest: str) -> bool:
    """False for a library or plugin the app never loads."""
    parts = _parts(dest)
    if "plugins" in parts:
        i = parts.index("plugins")
        if len(parts) <= i + 2:
            return True
        folder, name = parts[i + 1], parts[-1]
        if folder not in _QT_PLUGINS_KEPT:
            return False
        names = _QT_PLUGINS_KEPT[folder]
        return names is None or name in names
    name = parts[-1]
    # Quick, QML, the designer and 3D are only reached through plugins left out above.
    return not any(name.startswith(prefix) for prefix in (
        "libQt6Quick", "libQt6Qml", "libQt6Designer", "libQt6Pdf", "libQt6Labs", "libQt6Lottie",
        "libQt6Help", "libQt6Sql", "libQt6Test", "libQt6Virtual", "libQt6ShaderTools", "libQt6Svg",
        "libQt6Concurrent", "libQt6PrintSupport", "libQt6Network", "libQt6EglFs", "libQt6EglFS"))


# Debian's own libraries (libxcb, libX11, OpenSSL, GLib, ...): on Linux the .deb depends on
# their packages (dpkg-shlibdeps names them), so the bundle takes them from the system, as
# every Debian package does, and gets the distribution's security fixes.
SYSTEM_LIBRARY_DIRS = ("/lib/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu/", "/lib64/", "/usr/lib64/")


def from_the_system(source: str) -> bool:
    """True for a library PyInstaller found in the distribution's folders, not in a wheel."""
    return source.startswith(SYSTEM_LIBRARY_DIRS)


def _babel_kept(name: str) -> bool:
    stem = name.split(".")[0]
    return stem in ("root", "global") or stem.split("_")[0] in LANGUAGES


def keep_data(dest: str) -> bool:
    """False for a data file of a language the app doesn't ship."""
    parts = _parts(dest)
    name = parts[-1]
    if "translations" in parts and name.endswith(".qm"):
        return any(name == f"qtbase_{lang}.qm" for lang in LANGUAGES)
    if "locale-data" in parts and name.endswith(".dat"):
        return _babel_kept(name)
    if parts[:1] == ("kiosk_resources",) and name.endswith(".po"):
        return False  # the catalogues' sources; gettext reads the compiled .mo
    return True


def resources_data(root: Path) -> list[tuple[str, str]]:
    """resources/ as the package kiosk_resources, the way the wheel lays it out."""
    found = []
    for path in sorted((root / "resources").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".py", ".po", ".pyc"):
            rel = path.relative_to(root / "resources").parent
            found.append((str(path), str(PurePath("kiosk_resources") / rel)))
    return found
