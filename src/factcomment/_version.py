"""The package version, in a module of its own so that library modules can name it without importing the
package ``__init__`` (nothing below the CLI imports upward). pyproject.toml reads it from here too."""

__version__ = "0.1.0"
