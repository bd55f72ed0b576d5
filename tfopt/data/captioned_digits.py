"""Captioned digits: sklearn's real digits in colour, each image with several sentences that describe it.

The offline stand-in for CUB / Oxford-102 captions (Reed et al. 2016; Zhang et al. 2017; Xu et al. 2018).
Every image is one real digit of :func:`tfopt.data.digits` (the package's fixed split, seed 0) whose 32x32
grey map ``g`` in [0, 1] is thinned (grey erosion) or thickened (grey dilation) by 3x3 steps to the stroke
width of its thickness (:data:`THICKNESS_WIDTHS`: the digits' own widths vary, so "thin" is a width, not a
step), moved by up to a pixel, and painted ``g * stroke + (1 - g) * background`` with two of :data:`COLOURS`
(each jittered a little per image). At 64 px the 32 px grey map is upsampled first (bilinear), then
moved by up to two pixels and painted.

Four attributes a sentence states: the digit, the stroke colour, the background colour and the
thickness. Captions come from several templates with synonyms ("thick", "bold", "heavy"; "background",
"backdrop"; "seven" or "7") and varied word order; every word any template can emit is in
:data:`VOCABULARY`, which a :func:`vectorizer` (a ``keras.layers.TextVectorization``) uses as is.

:data:`HELD_OUT` (digit, stroke colour) pairs never appear in the "train" and "test" splits; the
"held_out" split shows exactly those pairs, on the test digits, so a model that draws them has composed
what the sentence says rather than remembered it.

Example:
    data = captioned_digits("train", num=1000)
    data.images.shape, data.captions[0, 0]       # (1000, 32, 32, 3), e.g. "on blue, a 7 drawn in bold red lines"
    tokens = vectorizer()(data.captions[:, 0])   # int64 [1000, 16]
    describe(7, "red", "blue", "thick")          # "a thick red seven on a blue background"
"""
import dataclasses
import functools
import hashlib
import pathlib

import numpy as np
import scipy.ndimage as ndi
import tensorflow as tf
from skimage.morphology import skeletonize

from tfopt.core import files
from tfopt.core.errors import InputError
from tfopt.data import digits

__all__ = [
    "COLOURS",
    "COLOUR_NAMES",
    "THICKNESSES",
    "THICKNESS_WIDTHS",
    "DIGIT_WORDS",
    "HELD_OUT",
    "TEMPLATES",
    "VOCABULARY",
    "SEQUENCE_LENGTH",
    "CaptionedSet",
    "captioned_digits",
    "describe",
    "digit_swapped_captions",
    "vectorizer",
    "unknown_words",
    "stroke_width",
    "with_stroke_width",
]

COLOURS = {
    "red": (0.9, 0.1, 0.1),
    "green": (0.1, 0.8, 0.1),
    "blue": (0.1, 0.2, 0.95),
    "yellow": (0.95, 0.9, 0.1),
    "purple": (0.75, 0.1, 0.9),
    "white": (0.95, 0.95, 0.95),
    "black": (0.05, 0.05, 0.05),
}
"""Named colours (RGB in [0, 1]), near the corners of the RGB cube: any two are >= 0.7 apart."""
COLOUR_NAMES = tuple(COLOURS)
THICKNESSES = ("thin", "regular", "thick")
THICKNESS_WIDTHS = (4.8, 7.3, 10.5)
"""Target stroke width of each thickness (pixels of a 32 px image; see :func:`stroke_width`)."""
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
HELD_OUT = frozenset((d, COLOUR_NAMES.index(c)) for d, c in (
    (0, "red"), (1, "green"), (2, "blue"), (3, "yellow"), (4, "purple"),
    (5, "white"), (6, "black"), (7, "green"), (8, "red"), (9, "yellow")))
"""(digit, stroke colour index) pairs seen only in the "held_out" split: one per digit, every colour at least once."""
SEQUENCE_LENGTH = 16
"""Tokens per caption after :func:`vectorizer` (padded with 0 or truncated)."""

_THICKNESS_WORDS = (("thin", "fine", "light"), ("regular", "normal", "medium"), ("thick", "bold", "heavy"))
_BACKGROUND_WORDS = ("background", "backdrop", "ground")
_LINE_WORDS = ("strokes", "lines")
TEMPLATES = (
    "a {T} {S} {D} on a {B} {G}",
    "on {B}, a {D} drawn in {T} {S} {L}",
    "{S} {D}, {T}, {B} {G}",
    "the digit {D} in {T} {S} on a {B} {G}",
    "a {B} {G} with a {T} {S} {D}",
    "{T} {S} {L} form a {D} on {B}",
    "a {D} written in {S} with {T} {L} over a {B} {G}",
    "{B} {G}, {S} {D} in {T} {L}",
)
"""Caption templates: {D} digit (word or numeral), {S} stroke and {B} background colour, {T} thickness,
{G} a word for background, {L} a word for strokes. Template 0 is the canonical one."""
_FIXED_WORDS = {w for t in TEMPLATES for w in t.replace(",", " ").split() if not w.startswith("{")}
VOCABULARY = tuple(sorted(_FIXED_WORDS | set(COLOUR_NAMES) | set(DIGIT_WORDS) | {str(d) for d in range(10)}
                          | {w for ws in _THICKNESS_WORDS for w in ws} | set(_BACKGROUND_WORDS) | set(_LINE_WORDS)))
"""Every word a caption can hold, sorted (the vectorizer's fixed vocabulary; 0 is padding, 1 "[UNK]")."""

_GAMMAS = (0.5, 0.7, 1.0, 1.4, 2.0)  # tone curves g ** gamma that fine-tune a stroke width
_SPLITS = ("train", "test", "held_out")
_DEFAULT_NUM = {"train": 10_000, "test": 2_000, "held_out": 1_000}
_SIZES = (32, 64)
_JITTER = 0.06  # per-channel colour jitter (uniform +-)
_SHIFT = 1  # position jitter in pixels at 32 px (uniform integer in -1..1 per axis)
_STRIP = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'  # Keras TextVectorization's punctuation


@dataclasses.dataclass(frozen=True)
class CaptionedSet:
    """Images with captions (and, for the captioned digits, the attributes the captions state).

    Attributes:
        images: float32 ``[N, S, S, 3]`` in [-1, 1].
        captions: str ``[N, C]``: C captions per image.
        attributes: ``{"digit", "stroke", "background", "thickness"}`` -> int64 ``[N]`` (stroke and
            background index :data:`COLOUR_NAMES`, thickness :data:`THICKNESSES`); ``{}`` for a folder.
    """

    images: np.ndarray
    captions: np.ndarray
    attributes: dict


def _index(value, names, what):
    if isinstance(value, str):
        if value not in names:
            raise InputError(f"expected {what} in {list(names)}; received: {what}={value!r}")
        return names.index(value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < len(names):
        raise InputError(f"expected {what} a name or an index in 0..{len(names) - 1}; received: {what}={value!r}")
    return int(value)


def describe(digit, stroke, background, thickness, *, template=0, rng=None):
    """One caption for the given attributes.

    Args:
        digit: 0..9 or its word ("seven").
        stroke: stroke colour: a name of :data:`COLOUR_NAMES` or its index.
        background: background colour, likewise.
        thickness: "thin", "regular", "thick" or its index.
        template: index into :data:`TEMPLATES`; 0 is the canonical "a thick red seven on a blue background".
        rng: a ``np.random.Generator`` to draw synonyms (and numerals for digits) from; None takes the
            canonical words.

    Returns:
        str.

    Example:
        describe(7, "red", "blue", "thick")                 # "a thick red seven on a blue background"
        describe(7, 0, 2, 2, template=2)                    # "red seven, thick, blue background"
    """
    d = _index(digit, DIGIT_WORDS, "digit")
    s, b = _index(stroke, COLOUR_NAMES, "stroke"), _index(background, COLOUR_NAMES, "background")
    t = _index(thickness, THICKNESSES, "thickness")
    if isinstance(template, bool) or not isinstance(template, (int, np.integer)) or not 0 <= template < len(TEMPLATES):
        raise InputError(f"expected template in 0..{len(TEMPLATES) - 1}; received: template={template!r}")
    pick = (lambda words: words[0]) if rng is None else (lambda words: words[rng.integers(len(words))])
    digit_word = DIGIT_WORDS[d] if rng is None or rng.random() < 0.6 else str(d)
    return TEMPLATES[template].format(D=digit_word, S=COLOUR_NAMES[s], B=COLOUR_NAMES[b],
                                      T=pick(_THICKNESS_WORDS[t]), G=pick(_BACKGROUND_WORDS), L=pick(_LINE_WORDS))


def _mask_width(grey):
    mask = grey > 0.5
    skeleton = skeletonize(mask)
    return 2.0 * float(ndi.distance_transform_edt(mask)[skeleton].mean()) if skeleton.any() else 0.0


def stroke_width(grey):
    """Stroke width of grey digit maps, in pixels of a 32 px image.

    Twice the mean distance from the skeleton of the ``grey > 0.5`` mask to the mask's edge.

    Args:
        grey: float ``[N, S, S]`` (or ``[S, S]``) in [0, 1], strokes bright.

    Returns:
        float64 ``[N]`` (a float for one map); 0 where no pixel exceeds 0.5.
    """
    grey = np.asarray(grey, np.float32)
    widths = np.array([_mask_width(g) for g in grey.reshape(-1, *grey.shape[-2:])]) * 32.0 / grey.shape[-1]
    return float(widths[0]) if grey.ndim == 2 else widths


def _nearest(variants, widths, width):
    """For each map, the variant ([K, N, S, S], widths [K, N]) whose width is nearest ``width``: [N, S, S]."""
    best = np.abs(widths - np.asarray(width, np.float64)).argmin(axis=0)
    return variants[best, np.arange(variants.shape[1])]


def _with_widths(grey, targets):
    """``grey`` brought to each width of ``targets`` (the erosion/dilation steps measured once): [T, N, S, S]."""
    grey = np.asarray(grey, np.float32)
    steps = 3 * max(1, grey.shape[-1] // 32)
    variants, eroded, dilated = [grey], grey, grey
    for _ in range(steps):
        eroded = ndi.grey_erosion(eroded, size=(1, 3, 3))
        dilated = ndi.grey_dilation(dilated, size=(1, 3, 3))
        variants = [eroded / np.maximum(eroded.max(axis=(1, 2), keepdims=True), 1e-6), *variants, dilated]
    variants = np.stack(variants)  # thinnest first
    widths = np.stack([stroke_width(v) for v in variants])
    out = []
    for width in targets:
        stepped = _nearest(variants, widths, width)
        toned = np.stack([stepped ** gamma for gamma in _GAMMAS])
        out.append(_nearest(toned, np.stack([stroke_width(t) for t in toned]), width))
    return np.stack(out).astype(np.float32)


def with_stroke_width(grey, width):
    """Grey digit maps thinned (grey erosion) or thickened (grey dilation) to a stroke width.

    Each map takes the number of 3x3 erosion or dilation steps (eroded maps rescaled to a peak of
    1) whose :func:`stroke_width` is nearest ``width``, then the tone curve ``g ** gamma`` (which
    moves the edges by less than a step) from :data:`_GAMMAS` that comes nearest.

    Args:
        grey: float ``[N, S, S]`` in [0, 1], strokes bright.
        width: target width in pixels of a 32 px image, a float or float ``[N]``.

    Returns:
        float32 ``[N, S, S]`` in [0, 1].
    """
    return _with_widths(grey, [width])[0]


def _grey_maps_32(part):
    """The 32 px grey digits of ``part`` in the three thicknesses, and their labels.

    Measuring stroke widths takes ~4 s a process (a skeleton per map and per variant), so the
    maps are cached in the tfopt cache, under a name that changes with the widths and tone curves.
    """
    key = hashlib.sha256(repr((THICKNESS_WIDTHS, _GAMMAS, 1)).encode()).hexdigest()[:10]
    path = pathlib.Path(files.cache_dir()) / "captioned_digits" / f"grey_maps_{part}_{key}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as saved:
            return saved["maps"], saved["y"]
    arrays = digits(seed=0)
    x, y = arrays[f"x_{part}"][..., 0], arrays[f"y_{part}"]
    maps = _with_widths(x, THICKNESS_WIDTHS)
    path.parent.mkdir(parents=True, exist_ok=True)
    with files.atomic_path(path) as tmp:
        np.savez(tmp, maps=maps, y=y)
    return maps, y


@functools.lru_cache(maxsize=4)
def _grey_maps(split, image_size):
    """The split's grey digits at ``image_size`` in the three thicknesses: float32 [3, N, S, S], int64 [N]."""
    if image_size != 32:  # the 32 px maps upsampled (bilinear), so a thickness is the same width at any size
        maps, y = _grey_maps(split, 32)
        maps = tf.image.resize(maps.reshape(-1, 32, 32, 1), (image_size, image_size), method="bilinear").numpy()
        maps = np.clip(maps, 0.0, 1.0).reshape(3, -1, image_size, image_size)
    else:
        maps, y = _grey_maps_32("train" if split == "train" else "test")
    maps = maps.astype(np.float32)
    maps.setflags(write=False)
    return maps, y


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise InputError(f"expected {name} to be an integer >= {low}; received: {name}={value!r}")


def _draw_attributes(labels, num, split, rng):
    """Base digit index, stroke, background and thickness of every image."""
    held = {d: [c for dd, c in HELD_OUT if dd == d] for d in range(10)}
    base = np.concatenate([rng.permutation(len(labels)) for _ in range(-(-num // len(labels)))])[:num]
    digit = labels[base]
    stroke = np.empty(num, np.int64)
    for i, d in enumerate(digit):
        allowed = held[d] if split == "held_out" else [c for c in range(len(COLOURS)) if c not in held[d]]
        stroke[i] = allowed[rng.integers(len(allowed))]
    background = (stroke + rng.integers(1, len(COLOURS), size=num)) % len(COLOURS)  # never the stroke
    thickness = rng.integers(0, len(THICKNESSES), size=num)
    return base, {"digit": digit.astype(np.int64), "stroke": stroke, "background": background.astype(np.int64),
                  "thickness": thickness.astype(np.int64)}


def captioned_digits(split="train", *, num=None, image_size=32, captions_per_image=5, seed=0):
    """The captioned digits: coloured real digits with several captions each.

    Args:
        split: "train" (the train digits, pairs outside :data:`HELD_OUT`), "test" (the test digits,
            pairs outside :data:`HELD_OUT`) or "held_out" (the test digits, only :data:`HELD_OUT` pairs).
        num: images (>= 1); None: 10,000 for train, 2,000 for test, 1,000 for held_out.
        image_size: 32 or 64.
        captions_per_image: captions per image, 1..len(TEMPLATES), each from a different template.
        seed: seed of every draw (base digit, colours, thickness, jitter, captions).

    Returns:
        A :class:`CaptionedSet`.

    Raises:
        InputError: a bad split, num, image_size or captions_per_image.

    Example:
        data = captioned_digits("held_out", num=100, image_size=64)
    """
    if split not in _SPLITS:
        raise InputError(f"expected split in {list(_SPLITS)}; received: split={split!r}")
    num = _DEFAULT_NUM[split] if num is None else num
    _check_int("num", num, 1)
    if image_size not in _SIZES:
        raise InputError(f"expected image_size in {list(_SIZES)}; received: image_size={image_size!r}")
    _check_int("captions_per_image", captions_per_image, 1)
    if captions_per_image > len(TEMPLATES):
        raise InputError(f"expected captions_per_image <= {len(TEMPLATES)} (one per template); "
                         f"received: captions_per_image={captions_per_image}")
    maps, labels = _grey_maps(split, int(image_size))
    rng = np.random.default_rng([int(seed), _SPLITS.index(split), int(image_size)])
    base, attributes = _draw_attributes(labels, int(num), split, rng)
    palette = np.asarray(list(COLOURS.values()), np.float32)
    jitter = rng.uniform(-_JITTER, _JITTER, size=(2, int(num), 3)).astype(np.float32)
    stroke = np.clip(palette[attributes["stroke"]] + jitter[0], 0.0, 1.0)
    background = np.clip(palette[attributes["background"]] + jitter[1], 0.0, 1.0)
    pad = _SHIFT * image_size // 32
    shifts = rng.integers(-pad, pad + 1, size=(int(num), 2))
    padded = np.pad(maps, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    grey = np.empty((int(num), image_size, image_size, 1), np.float32)
    for i, (t, b, (dy, dx)) in enumerate(zip(attributes["thickness"], base, shifts)):
        grey[i, ..., 0] = padded[t, b, pad + dy:pad + dy + image_size, pad + dx:pad + dx + image_size]
    images = grey * stroke[:, None, None, :] + (1.0 - grey) * background[:, None, None, :]
    captions = np.empty((int(num), int(captions_per_image)), dtype=object)
    for i in range(int(num)):
        templates = rng.permutation(len(TEMPLATES))[:captions_per_image]
        captions[i] = [describe(*(attributes[k][i] for k in ("digit", "stroke", "background", "thickness")),
                                template=int(j), rng=rng) for j in templates]
    return CaptionedSet((images * 2.0 - 1.0).astype(np.float32), captions.astype(str), attributes)


def digit_swapped_captions(attributes, *, per_image=2, seed=0):
    """Captions that say everything of an image right but its digit: the hardest mismatches.

    For each image, ``per_image`` captions of another digit (never a :data:`HELD_OUT` pair with
    the image's stroke colour, so the held-out combinations stay unseen, even as text), its own
    colours and thickness, with random templates and synonyms.

    Args:
        attributes: a :class:`CaptionedSet`'s attributes (``digit``, ``stroke``, ``background``, ``thickness``).
        per_image: captions per image (>= 1).
        seed: seed of the digits, templates and synonyms drawn.

    Returns:
        str array ``[N, per_image]``.

    Example:
        wrong = digit_swapped_captions(data.attributes)   # "a thick red one on a blue background" for a red seven
    """
    _check_int("per_image", per_image, 1)
    rng = np.random.default_rng([int(seed), 7])
    columns = [np.asarray(attributes[k]) for k in ("digit", "stroke", "background", "thickness")]
    out = np.empty((len(columns[0]), int(per_image)), dtype=object)
    for i, (digit, stroke, background, thickness) in enumerate(zip(*columns)):
        others = [d for d in range(10) if d != digit and (d, int(stroke)) not in HELD_OUT]
        for j in range(int(per_image)):
            out[i, j] = describe(int(rng.choice(others)), int(stroke), int(background), int(thickness),
                                 template=int(rng.integers(len(TEMPLATES))), rng=rng)
    return out.astype(str)


def vectorizer(sequence_length=SEQUENCE_LENGTH):
    """A ``keras.layers.TextVectorization`` with the fixed :data:`VOCABULARY` (no ``adapt``).

    Lower-cases, strips punctuation and splits on whitespace; index 0 is padding, 1 "[UNK]" (any word
    outside the vocabulary, e.g. "crimson"), the vocabulary follows from 2.

    Args:
        sequence_length: tokens per caption (>= 1), padded with 0 or truncated.

    Returns:
        The layer: str ``[B]`` -> int64 ``[B, sequence_length]``.
    """
    import keras

    _check_int("sequence_length", sequence_length, 1)
    return keras.layers.TextVectorization(standardize="lower_and_strip_punctuation", split="whitespace",
                                          output_mode="int", output_sequence_length=int(sequence_length),
                                          vocabulary=list(VOCABULARY), name="caption_vectorizer")


def unknown_words(captions):
    """The distinct words of ``captions`` outside :data:`VOCABULARY`, after the vectorizer's standardization.

    Args:
        captions: a str or a sequence / array of str.

    Returns:
        Sorted list of str (empty when every word is known).

    Example:
        unknown_words(["a crimson seven on black"])     # ["crimson"]
    """
    flat = np.asarray([captions] if isinstance(captions, str) else captions, dtype=object).reshape(-1)
    if flat.size == 0:
        return []
    text = tf.strings.regex_replace(tf.strings.lower(tf.constant([str(c) for c in flat])), _STRIP, "")
    words = {w.decode() for w in tf.strings.split(text).flat_values.numpy()}
    return sorted(words - set(VOCABULARY))
