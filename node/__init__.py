"""One bureau's Archipel node: its domain, local API, pages and command line."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("archipel")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
