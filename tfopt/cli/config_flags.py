"""absl flags defined once from a config dataclass: one flag per field, its help from the docstring.

A config is a dataclass whose fields are either plain values or dataclass sections
(as :class:`tfopt.gan.GANConfig`: model, data, optimizer, train, eval). Each leaf
becomes one flag named by its flat name, typed by its annotation (``bool``, ``int``,
``float``, ``str``), defaulting to the field's default (``None`` means "the model's
default" and stays unset), with the text of the section's ``Attributes:`` docstring as
help and ``metadata["choices"]`` as an enum. :func:`config_from_flags` builds the config
back, so a binary lists no field twice.

Example:
    define_config_flags(GANConfig, choices={"model": zoo.names()})
    ...
    config = config_from_flags(GANConfig, FLAGS)
"""
import dataclasses
import inspect
import re
import sys

from absl import flags

__all__ = ["define_config_flags", "config_from_flags", "attribute_docs"]


def _flat_name(field):
    return field.metadata.get("flat", field.name)


def attribute_docs(cls):
    """``{field name: one-line help}`` from the ``Attributes:`` section of a class docstring."""
    doc = inspect.getdoc(cls) or ""
    if "Attributes:" not in doc:
        return {}
    block = doc.split("Attributes:", 1)[1]
    docs, name = {}, None
    for line in block.splitlines():
        entry = re.match(r"^    (\w+): (.*)$", line)
        if entry:
            name = entry.group(1)
            docs[name] = entry.group(2).strip()
        elif name and line.startswith("        "):
            docs[name] += " " + line.strip()
        elif line.strip() and not line.startswith(" "):
            break
    return docs


def _leaves(config_cls):
    """``[(section class or None, field, default)]`` for every leaf of a (sectioned) config."""
    leaves = []
    for field in dataclasses.fields(config_cls):
        factory = field.default_factory if field.default_factory is not dataclasses.MISSING else None
        section = factory() if factory is not None else None
        if section is not None and dataclasses.is_dataclass(section):
            leaves += [(type(section), f, getattr(section, f.name)) for f in dataclasses.fields(section)]
        else:
            leaves.append((config_cls, field, field.default))
    return leaves


def define_config_flags(config_cls, *, choices=None, flag_values=None):
    """Defines one flag per leaf field of ``config_cls``.

    Args:
        config_cls: a config dataclass (sections or plain fields).
        choices: ``{flat name: allowed values}`` that make more flags enums (e.g. the
            model names of a registry).
        flag_values: the ``FlagValues`` to define in (default ``absl.flags.FLAGS``).

    A flag that already exists (``--seed`` of :func:`tfopt.cli.define_common_flags`) is
    kept and read as that field.

    Returns:
        The list of flag names defined.
    """
    flag_values = flags.FLAGS if flag_values is None else flag_values
    choices = dict(choices or {})
    caller = inspect.stack()[1].frame.f_globals.get("__name__", "")
    module = sys.argv[0] if caller == "__main__" else caller  # what --helpshort lists as the binary's own
    names = []
    for owner, field, default in _leaves(config_cls):
        name = _flat_name(field)
        if name in flag_values:
            continue
        text = attribute_docs(owner).get(field.name) or attribute_docs(owner).get(name) or name
        allowed = choices.get(name) or field.metadata.get("choices")
        kwargs = dict(name=name, default=default, help=text, flag_values=flag_values, module_name=module)
        if allowed:
            flags.DEFINE_enum(enum_values=[str(c) for c in allowed], **kwargs)
        elif field.type is bool:
            flags.DEFINE_boolean(**kwargs)
        elif field.type is int:
            flags.DEFINE_integer(**kwargs)
        elif field.type is float:
            flags.DEFINE_float(**kwargs)
        else:
            flags.DEFINE_string(**kwargs)
        names.append(name)
    return names


def config_from_flags(config_cls, flag_values=None):
    """The config whose leaves are the parsed flags' values (``config_cls.from_flat`` for sectioned configs)."""
    flag_values = flags.FLAGS if flag_values is None else flag_values
    values = {_flat_name(f): flag_values[_flat_name(f)].value for _, f, _ in _leaves(config_cls)}
    if hasattr(config_cls, "from_flat"):
        return config_cls.from_flat(**values)
    return config_cls(**values)
