# Copyright: (c) 2026, coolops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Selection fails closed (issue 11, row 1, 7 and max_resources), over HTTP against the emulator.

* A selector or narrowing option that is given but empty ("", [], a list of blanks, null) is a one-sentence error
  naming the option, before any API call; only an absent option means "not given".
* ``max_resources`` refuses a larger selection before any write, naming the count, in check mode too.
* A zero or negative number where a positive one is needed is a one-sentence error, never a traceback.
"""

from __future__ import annotations

import pytest

from ansible_collections.coolops.coolify.plugins.modules import coolify_app_batch, coolify_env, coolify_info, coolify_service_batch

# pylint: disable=import-error
from _support import NEW_SECRET, api_log, assert_no_secret, assert_one_sentence, assert_refused, connection, count, writes

MODULES = {"app": coolify_app_batch, "service": coolify_service_batch, "env": coolify_env, "info": coolify_info}


def args_for(which, api_url, **extra):
    if which in ("app", "service"):
        args = connection(api_url, state="restarted")
    elif which == "env":
        args = connection(api_url, env={"API_KEY": NEW_SECRET})
    else:
        args = connection(api_url)
        for key in ("poll_interval", "wait_timeout"):
            args.pop(key)
    args.update(extra)
    return args


def assert_refused_before_any_call(result, emu, *needles):
    assert_refused(result, emu, *needles, no_calls=True)


EMPTY_CASES = [
    ("app", {"project": "shop", "environment": ""}, "environment"),
    ("app", {"server": ""}, "server"),
    ("app", {"names": ["app-1"], "server": ""}, "server"),
    ("app", {"project": "   "}, "project"),
    ("app", {"project": None, "names": ["app-1"]}, "project"),
    ("app", {"names": []}, "names"),
    ("app", {"application_uuids": []}, "uuids"),
    ("app", {"tags": [" ", ""]}, "tags"),
    ("service", {"project": "shop", "environment": ""}, "environment"),
    ("service", {"names": ["svc-1"], "server": ""}, "server"),
    ("service", {"service_uuids": [""]}, "uuids"),
    ("env", {"project": "shop", "environment": ""}, "environment"),
    ("env", {"server": ""}, "server"),
    ("env", {"names": []}, "names"),
    ("info", {"project": "shop", "environment": ""}, "environment"),
    ("info", {"status": []}, "status"),
    ("info", {"names": [""]}, "names"),
]


@pytest.mark.parametrize("check_mode", [False, True], ids=["apply", "check"])
@pytest.mark.parametrize("which,extra,option", EMPTY_CASES,
                         ids=["%s-%s" % (case[0], "-".join("%s=%r" % item for item in sorted(case[1].items())))
                              for case in EMPTY_CASES])
def test_option_given_but_empty_fails_before_any_api_call(emu, run_module, which, extra, option, check_mode):
    result = run_module(MODULES[which], args_for(which, emu.api_url, **extra), check_mode=check_mode)
    assert_refused_before_any_call(result, emu, option, "given but empty")


def test_absent_environment_still_means_the_whole_project(emu, run_module):
    """The other side of the rule: leaving the option out is not an error."""
    result = run_module(coolify_app_batch, args_for("app", emu.api_url, project="shop"), check_mode=True)
    assert not result["failed"], result["msg"]
    assert result["summary"]["total"] == 8
    assert not writes(api_log(emu))


# -- max_resources -----------------------------------------------------------------------------------------------------

MAX_CASES = [
    ("app", {"project": "shop", "max_resources": 3}, 8, "applications"),
    ("app", {"project": "shop", "environment": "production", "max_resources": 6}, 7, "applications"),
    ("service", {"project": "shop", "max_resources": 2}, 3, "services"),
    ("env", {"project": "shop", "max_resources": 5}, 8, "applications"),
]


@pytest.mark.parametrize("check_mode", [False, True], ids=["apply", "check"])
@pytest.mark.parametrize("which,extra,total,noun", MAX_CASES, ids=["max-%d" % index for index in range(len(MAX_CASES))])
def test_selection_larger_than_max_resources_fails_before_any_write(emu, run_module, which, extra, total, noun,
                                                                    check_mode):
    result = run_module(MODULES[which], args_for(which, emu.api_url, **extra), check_mode=check_mode)
    assert result["failed"] and not result.get("changed"), result
    assert_one_sentence(result["msg"])
    assert "%d %s" % (total, noun) in result["msg"], result["msg"]
    assert "max_resources=%d" % extra["max_resources"] in result["msg"], result["msg"]
    assert not writes(api_log(emu)), writes(api_log(emu))
    assert_no_secret(result)


@pytest.mark.parametrize("which", ["app", "service", "env"])
def test_selection_of_exactly_max_resources_runs(emu, run_module, which):
    names = ["svc-1", "svc-2"] if which == "service" else ["app-1", "app-2"]
    extra = {"names": names, "max_resources": 2}
    result = run_module(MODULES[which], args_for(which, emu.api_url, **extra))
    assert not result["failed"], result["msg"]
    log = api_log(emu)
    if which == "env":
        assert count(log, "PATCH", r"/envs/bulk$") == 2
    else:
        assert count(log, "POST", r"/restart$") == 2


# -- numbers -----------------------------------------------------------------------------------------------------------

NUMBER_CASES = [
    ("app", {"max_workers": -1}, "max_workers"),
    ("app", {"max_workers": 0}, "max_workers"),
    ("app", {"max_resources": 0}, "max_resources"),
    ("app", {"batch_size": -2, "strategy": "rolling"}, "batch_size"),
    ("app", {"timeout": 0}, "timeout"),
    ("app", {"max_retries": -1}, "max_retries"),
    ("service", {"max_workers": -3}, "max_workers"),
    ("service", {"poll_interval": 0}, "poll_interval"),
    ("env", {"max_workers": -1}, "max_workers"),
    ("env", {"max_workers": 0}, "max_workers"),
    ("env", {"max_resources": -1}, "max_resources"),
    ("info", {"max_workers": -1, "gather": ["deployments"]}, "max_workers"),
    ("info", {"deployment_limit": 0}, "deployment_limit"),
]


@pytest.mark.parametrize("which,extra,option", NUMBER_CASES,
                         ids=["%s-%s" % (case[0], "-".join("%s=%s" % item for item in sorted(case[1].items())))
                              for case in NUMBER_CASES])
def test_non_positive_numbers_are_a_one_sentence_error(emu, run_module, which, extra, option):
    if which != "info":
        extra = dict(extra, names=["svc-1"] if which == "service" else ["app-1"])
    result = run_module(MODULES[which], args_for(which, emu.api_url, **extra))
    assert_refused_before_any_call(result, emu, option)
    assert "exception" not in result
