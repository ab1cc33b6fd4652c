"""CLI command modules: each module here defines click commands in COMMANDS; cli.py registers them all."""
