"""pix2pix's own paired sets online (facades, cityscapes, maps, edges2*, night2day), fetched into the cache.

Each is a tarball of side-by-side images on the authors' server, unpacked by
``keras.utils.get_file``. Where the host cannot be reached, one line says so and names
the way out (a folder of pairs, or the offline sets of :mod:`tfopt.data.paired_sets`).

Example:
    root = fetch_online_set("facades")            # <cache>/pix2pix/facades, with train/ and val/
    ONLINE_SETS["facades"]                        # "BtoA": the photo is on the left
"""
import os

from tfopt.core import files
from tfopt.core.errors import InputError
from tfopt.data import _short
from tfopt.net import unreachable_reason

__all__ = ["ONLINE_SETS", "URL", "fetch_online_set"]

ONLINE_SETS = {
    "facades": "BtoA",         # photo | labels: labels -> photo
    "cityscapes": "BtoA",      # photo | labels
    "maps": "BtoA",            # aerial photo | map: map -> aerial photo
    "edges2shoes": "AtoB",     # edges | photo
    "edges2handbags": "AtoB",  # edges | photo
    "night2day": "AtoB",       # night | day
}
"""pix2pix's online sets and the direction that maps the drawing (or night) to the photo (or day)."""

URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/{name}.tar.gz"
"""Where each set lives: ``URL.format(name=...)``."""


def _set_root(folder, name):
    """The folder holding train/ inside an unpacked tarball (``<dir>/<name>/train`` or ``<dir>/train``)."""
    for candidate in (os.path.join(folder, name), folder):
        if os.path.isdir(os.path.join(candidate, "train")):
            return candidate
    return None


def fetch_online_set(name, *, cache_dir=None):
    """The folder of one of pix2pix's online sets, downloaded into the cache on first use.

    Args:
        name: one of :data:`ONLINE_SETS`.
        cache_dir: cache root (default: $TFOPT_CACHE, else ~/.cache/tfopt).

    Returns:
        The unpacked set's folder (str), holding ``train/`` and ``val/`` (or ``test/``).

    Raises:
        InputError: unknown name, or the set cannot be downloaded here (one line naming
            the set, the URL and the way out).

    Example:
        root = fetch_online_set("facades")
    """
    if name not in ONLINE_SETS:
        raise InputError(f"expected an online pix2pix set in {list(ONLINE_SETS)}; received: {name!r}")
    folder = os.path.join(files.cache_dir(cache_dir), "pix2pix", name)
    found = _set_root(folder, name)
    if found:
        return found
    url = URL.format(name=name)
    fix = "download it by hand, unpack it and pass --data=DIR (or use --data=labels2photo / edges2photo, offline)"
    reason = unreachable_reason(url)
    if reason:
        raise InputError(f"cannot download pix2pix set {name!r} from {url} here ({reason}); {fix}")
    import keras

    try:
        path = keras.utils.get_file(fname=name, origin=url, extract=True, cache_dir=files.cache_dir(cache_dir),
                                    cache_subdir="pix2pix")
    except Exception as error:  # network errors, a truncated archive
        raise InputError(f"cannot download pix2pix set {name!r} from {url} here ({_short(error)}); {fix}") from None
    found = _set_root(path, name) or _set_root(folder, name)
    if not found:
        raise InputError(f"expected a train/ folder in the pix2pix set {name!r}; received: {path} without one")
    return found
