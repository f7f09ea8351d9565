"""One command typed in the box, answered: parse, run as the user, print as kubectl."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from cluster.apiserver import ApiError, ApiServer
from cluster.apiserver.authn import COMMAND_BOX_USER_AGENT, caller_for_user
from cluster.models import Sandbox
from kubeapi.command_box.commands import Context, execute, server_error
from kubeapi.command_box.grammar import NotInTheBox, UsageError, parse
from kubeapi.kubeconfig import sandbox_server_url
from kubeapi.views import VERSION

MAX_LINE = 2000  # characters: a command, not a manifest


@dataclass(frozen=True)
class Answer:
    command: str  # as typed
    text: str  # what kubectl would print (its output, or its error)
    ok: bool
    not_in_the_box: bool = False  # real kubectl has it; the box leaves it to it


def answer(sandbox: Sandbox, user, line: str) -> Answer:
    line = line.strip()
    if len(line) > MAX_LINE:
        return Answer(line[:80] + "…", f"error: a command of at most {MAX_LINE} characters", False)
    try:
        invocation = parse(line)
        api = command_api(sandbox, user, invocation.line)
        context = Context(api, sandbox_server_url(sandbox), VERSION["gitVersion"])
        return Answer(line, execute(context, invocation), True)
    except NotInTheBox as error:
        return Answer(line, f"Not in the command box: {error}", False, not_in_the_box=True)
    except UsageError as error:
        return Answer(line, str(error), False)
    except ApiError as error:
        return Answer(line, server_error(error), False)


def command_api(sandbox: Sandbox, user, command: str) -> ApiServer:
    """The API server as the user, through the box: traced with the command line typed,
    and told apart from the page's own clicks by its user agent."""
    return ApiServer(
        sandbox, partial(caller_for_user, user, COMMAND_BOX_USER_AGENT), command=command
    )
