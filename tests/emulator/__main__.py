# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`python3 tests/emulator [flags]`: load this directory as a package (relative imports work) and run the CLI."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys


def _load_cli():
    if __package__:
        return importlib.import_module(__package__ + ".cli")
    here = os.path.dirname(os.path.abspath(__file__))
    name = "coolops_coolify_emulator"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, os.path.join(here, "__init__.py"), submodule_search_locations=[here])
        package = importlib.util.module_from_spec(spec)
        sys.modules[name] = package
        spec.loader.exec_module(package)
    return importlib.import_module(name + ".cli")


if __name__ == "__main__":
    sys.exit(_load_cli().main())
