# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module runs when executed the way AnsiballZ executes it (``runpy`` with ``__name__ == "__main__"``): a module
whose entry point is not wired to main() would exit without a result. No API call: the argspec refuses first."""

from __future__ import annotations

import os
import re
import runpy

import pytest

from ansible_collections.coolops.coolify.plugins import modules
from ansible_collections.coolops.coolify.tests.e2e.module_runner import ModuleExit, make_runner, module_args

NAMES = sorted(name[:-3] for name in os.listdir(list(modules.__path__)[0])
               if name.startswith("coolify_") and name.endswith(".py"))


def test_every_module_is_listed():
    assert len(NAMES) == 8 and "coolify_app_batch" in NAMES


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # runpy: the module is already imported by other tests
@pytest.mark.parametrize("name", NAMES)
def test_running_the_module_as_main_calls_its_main(name, monkeypatch):
    make_runner(monkeypatch)
    args = {"api_url": "http://127.0.0.1:9", "api_token": "1|entrypointtoken", "no_such_option": True}
    with module_args(args):
        with pytest.raises(ModuleExit) as info:
            runpy.run_module("ansible_collections.coolops.coolify.plugins.modules.%s" % name, run_name="__main__",
                             alter_sys=True)
    result = info.value.result
    # The argspec (an unknown option, or a selector some modules require first) refused: main() ran.
    assert result["failed"] and re.search("no_such_option|required", result["msg"]), result
    assert "entrypointtoken" not in str(result)
