"""The glassnet command: its group (global ``--debug`` and ``--max-memory``), its commands,
and the last line of defence: bad input -> one line on stderr, exit 2; anything
unexpected -> one line naming it, exit 1 (``--debug`` shows the traceback)."""

from __future__ import annotations

import os
import sys
import traceback
import warnings

import click

from glassnet._version import __version__
from glassnet.cli.common import EXIT_BAD_INPUT
from glassnet.cli.inspect import evaluate, gradcheck, info
from glassnet.cli.predict import predict
from glassnet.cli.sample import sample
from glassnet.cli.search import search
from glassnet.cli.strategy import diagnose_command, errors, select
from glassnet.cli.train import train
from glassnet.core.errors import GlassnetError
from glassnet.core.limits import ENV_VAR, human_size, memory_budget, set_memory_budget

DEBUG_ENV = "GLASSNET_DEBUG"
EXIT_INTERNAL = 1  # a bug (or something glassnet did not foresee), not the user's input
EXIT_INTERRUPTED = 130  # Ctrl-C


_state = {"debug": False}  # --debug of the running command (the last line of defence reads it)


def _max_memory(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            set_memory_budget(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="glassnet")
@click.option("--debug", is_flag=True, is_eager=True,
              help=f"Show the traceback of an unexpected error (or set {DEBUG_ENV}=1).")
@click.option("--max-memory", metavar="SIZE", callback=_max_memory, expose_value=True,
              help="The most memory one array or file may take, e.g. 8G, 512M "
                   f"(default: ${ENV_VAR}, else half of this machine's memory).")
def cli(debug: bool, max_memory: str | None) -> None:
    """glassnet: the Deep Learning Specialization's networks, from scratch in NumPy."""
    _state["debug"] = _state["debug"] or debug


for _command in (train, evaluate, predict, info, gradcheck, search, errors, diagnose_command,
                 select, sample):
    cli.add_command(_command)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__


def _one_line_warning(message: Warning | str, category: type[Warning], filename: str,
                      lineno: int, file: object = None, line: str | None = None) -> None:
    """A warning on the command line: ``glassnet: warning: <its first line>`` on stderr
    (with ``--debug``: where it was raised)."""
    where = f" [{filename}:{lineno}]" if _state["debug"] else ""
    click.echo(f"glassnet: warning: {_first_line(Warning(str(message)))}{where}", err=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the command.  Bad input -> ``glassnet: error: <one line>``, exit 2;
    anything unexpected -> ``glassnet: internal error: <Type>: <message>``, exit 1 (with
    ``--debug``: the traceback too); Ctrl-C -> exit 130."""
    args = list(sys.argv[1:] if argv is None else argv)
    before = args[: args.index("--")] if "--" in args else args
    _state["debug"] = "--debug" in before or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    given_budget = any(a == "--max-memory" or a.startswith("--max-memory=") for a in args)
    shown_before = warnings.showwarning
    warnings.showwarning = _one_line_warning
    try:
        with cli.make_context("glassnet", args) as ctx:
            cli.invoke(ctx)
    except click.exceptions.Exit as exc:  # --help, --version
        return int(exc.exit_code or 0)
    except click.exceptions.Abort:
        click.echo("glassnet: aborted", err=True)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        click.echo("glassnet: aborted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as exc:
        click.echo(f"glassnet: error: {exc.format_message()}", err=True)
        return EXIT_BAD_INPUT
    except (GlassnetError, ValueError, KeyError, OSError) as exc:
        msg = _first_line(exc)
        if isinstance(exc, KeyError):
            msg = f"missing {msg}"
        _debug_traceback()
        click.echo(f"glassnet: error: {msg}", err=True)
        return EXIT_BAD_INPUT
    except MemoryError as exc:
        _debug_traceback()
        detail = f" ({_first_line(exc)})" if str(exc).strip() else ""
        click.echo(f"glassnet: error: out of memory{detail}; the memory budget is "
                   f"{human_size(memory_budget())}: use smaller batches (--batch-size) or "
                   "less data, or set the budget with --max-memory", err=True)
        return EXIT_BAD_INPUT
    except EOFError as exc:  # a truncated file read by a library: not Ctrl-C
        _debug_traceback()
        click.echo(f"glassnet: error: unexpected end of a file (truncated?): {_first_line(exc)}",
                   err=True)
        return EXIT_BAD_INPUT
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        _debug_traceback()
        hint = "" if _state["debug"] else " (run with --debug for the traceback)"
        click.echo(f"glassnet: internal error: {type(exc).__name__}: {_first_line(exc)}{hint}",
                   err=True)
        return EXIT_INTERNAL
    finally:
        warnings.showwarning = shown_before
        if given_budget:
            set_memory_budget(None)
    return 0


def _debug_traceback() -> None:
    if _state["debug"]:
        traceback.print_exc(file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
