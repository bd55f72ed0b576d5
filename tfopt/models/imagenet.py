"""The 1,000 ImageNet class names, read offline from a file tensorflow_datasets ships.

TFDS ships the ILSVRC-2012 class list (index order of keras.applications models) in
``tensorflow_datasets/datasets/siscore/labels.py`` as ``IMAGENET_LABELS_LIST``; it is
parsed as text (no TFDS import, no download). Each entry holds comma-separated
synonyms, e.g. "ostrich, Struthio camelus".

Example:
    imagenet_class_names()[9]        # "ostrich"
"""
import ast
import difflib
import functools
import importlib.util
import os

__all__ = ["imagenet_class_names", "imagenet_synonyms", "closest_classes"]

_NUM_CLASSES = 1000


@functools.lru_cache(maxsize=1)
def imagenet_synonyms():
    """Returns the 1,000 ImageNet entries, each a tuple of its synonyms.

    Returns:
        tuple of 1,000 tuples of str, in the class-index order of keras.applications.

    Raises:
        FileNotFoundError: tensorflow_datasets (or its label file) is not installed.
    """
    spec = importlib.util.find_spec("tensorflow_datasets")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("tensorflow_datasets is not installed: no ImageNet class names offline")
    root = list(spec.submodule_search_locations)[0]
    path = os.path.join(root, "datasets", "siscore", "labels.py")
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "IMAGENET_LABELS_LIST" for t in node.targets
        ):
            entries = ast.literal_eval(node.value)
            break
    else:
        raise FileNotFoundError(f"no IMAGENET_LABELS_LIST in {path}")
    if len(entries) != _NUM_CLASSES:
        raise FileNotFoundError(f"expected {_NUM_CLASSES} ImageNet labels in {path}; found {len(entries)}")
    return tuple(tuple(s.strip() for s in entry.split(",") if s.strip()) for entry in entries)


def imagenet_class_names():
    """Returns the 1,000 short ImageNet class names (the first synonym of each class).

    Returns:
        list of 1,000 str, e.g. index 9 is "ostrich".
    """
    return [synonyms[0] for synonyms in imagenet_synonyms()]


def closest_classes(label, n=3):
    """The ImageNet classes whose names come closest to a label that is not one of them.

    Every synonym counts, and so does a label that is a word of a synonym ("struthio").

    Args:
        label: the unknown name.
        n: at most this many classes.

    Returns:
        list of (index, "synonym, synonym, ...") pairs, closest first, e.g.
        ``[(9, "ostrich, Struthio camelus"), ...]`` for "ostrih".
    """
    wanted = str(label).strip().lower()
    owner = {}
    for index, entry in enumerate(imagenet_synonyms()):
        for name in entry:
            owner.setdefault(name.lower(), index)
    words = [i for name, i in owner.items() if wanted and wanted in name.split()]
    close = [owner[m] for m in difflib.get_close_matches(wanted, list(owner), n=4 * n, cutoff=0.6)]
    found = list(dict.fromkeys(words + close))[:n]
    return [(i, ", ".join(imagenet_synonyms()[i])) for i in found]
