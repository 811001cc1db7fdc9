"""The glassnet command: its group, its commands, and the last line of defence
(bad input -> one line on stderr, exit 2)."""

from __future__ import annotations

import sys

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="glassnet")
def cli() -> None:
    """glassnet: the Deep Learning Specialization's networks, from scratch in NumPy."""


for _command in (train, evaluate, predict, info, gradcheck, search, errors, diagnose_command,
                 select, sample):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the command; bad input -> one line on stderr, exit 2."""
    try:
        cli.main(args=argv, prog_name="glassnet", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("glassnet: aborted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"glassnet: error: {exc.format_message()}", err=True)
        return EXIT_BAD_INPUT
    except (GlassnetError, ValueError, KeyError, OSError) as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        if isinstance(exc, KeyError):
            msg = f"missing {msg}"
        click.echo(f"glassnet: error: {msg}", err=True)
        return EXIT_BAD_INPUT
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
