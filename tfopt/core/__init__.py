"""The small core every library module may use: errors, atomic files and JSON, progress bars, seeding.

Nothing here reads flags, imports absl or redirects file descriptors (that is
:mod:`tfopt.cli`, the command-line side, which library modules never import).

Example:
    from tfopt.core import InputError, progress, set_seed, write_summary
"""
from tfopt.core.errors import InputError
from tfopt.core.files import atomic_path, to_jsonable, write_json, write_summary
from tfopt.core.progress import progress
from tfopt.core.seeding import set_seed

__all__ = ["InputError", "atomic_path", "to_jsonable", "write_json", "write_summary", "progress", "set_seed"]
