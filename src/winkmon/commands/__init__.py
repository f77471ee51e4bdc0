"""One module per ``winkmon`` subcommand; each exposes ``register(subparsers)``.

A command's ``run(args) -> int`` raises :class:`~winkmon.errors.WinkmonError` for user
mistakes; :func:`winkmon.cli.main` prints those on one line.
"""
