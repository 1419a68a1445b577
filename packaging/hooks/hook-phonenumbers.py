"""PyInstaller hook for phonenumbers, in place of the contributed one that bundles every
submodule: the app parses and formats numbers, so the geocoder, carrier and time-zone data
(about 43 MB of Python modules) stay out. Their names are in bundle.EXCLUDES."""

import sys
from pathlib import Path

from PyInstaller.utils.hooks import collect_submodules

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import bundle

_UNUSED = tuple(name for name in bundle.EXCLUDES if name.startswith("phonenumbers."))

hiddenimports = collect_submodules(
    "phonenumbers",
    filter=lambda name: not any(name == p or name.startswith(p + ".") for p in _UNUSED),
)
