"""Sample-quality metrics: FID, KID, Inception Score and a class histogram, streamed over batches.

All metrics read a :class:`FeatureNetwork` (images in [0, 1] -> features and class
probabilities): InceptionV3's 2048-d pool features and ImageNet probabilities where
ImageNet weights can be had (the standard numbers), or, offline, the digits
classifier's 128-d "penultimate" features and its 10-class probabilities. The digits
classifier reads each channel of a colour image as its own grey digit: features
``[3 * 128]`` (the channels' concatenated) and probabilities over the 1,000 digit
triples (the channels' outer product, index ``100 * d_R + 10 * d_G + d_B``), so FID,
IS and the class histogram of stacked digits (:mod:`tfopt.data.stacked_digits`) see
every channel. Numbers from different feature networks are not comparable with each other.

* FID: Heusel et al. 2017, ``||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2))``.
* KID: Binkowski et al. 2018, unbiased MMD^2 with the kernel ``(x.y / d + 1)^3``,
  averaged over random subsets.
* Inception Score: Salimans et al. 2016, ``exp(E_x KL(p(y|x) || p(y)))`` over splits.

Example:
    net = digits_feature_network()
    real = FeatureAccumulator(net).update_all(x_test)            # [N, 32, 32, 1] in [0, 1]
    fake = FeatureAccumulator(net).update_all((gan.generate(1000) + 1) / 2)
    fid(real, fake), kid(real, fake)
"""
import keras
import numpy as np

from tfopt.core.errors import InputError

__all__ = [
    "FeatureNetwork",
    "digits_feature_network",
    "inception_feature_network",
    "get_feature_network",
    "FeatureAccumulator",
    "frechet_distance",
    "fid",
    "kid",
    "inception_score",
    "class_histogram",
]


class FeatureNetwork:
    """A classifier read at two layers: ``images [B, H, W, C] in [0, 1] -> (features, probs)``.

    Args:
        model: a ``keras.Model``.
        feature_layer: name of the layer whose output are the features (flattened).
        probs_layer: name of the layer giving class probabilities (softmax output).
        input_size: ``(H, W)`` the model expects; inputs are resized to it (None: as given).
        channels: channels the model expects; grey inputs are repeated to 3, colour
            inputs averaged to 1 (or read per channel, see ``per_channel``), as needed.
        per_channel: for a 1-channel model given C > 1 channels: read each channel as a
            grey image, concatenating the features (``[B, C * D]``) and taking the joint
            probabilities of the channels' classes (``[B, K ** C]``, the first channel's
            class the most significant digit) instead of averaging the channels.
        scale: maps [0, 1] inputs to the model's range: ``x * scale[0] + scale[1]``.
        name: short name reported beside the numbers.
    """

    def __init__(self, model, feature_layer, probs_layer, *, input_size=None, channels=None, scale=(1.0, 0.0),
                 per_channel=False, name="features"):
        outputs = [model.get_layer(feature_layer).output, model.get_layer(probs_layer).output]
        self.model = keras.Model(model.inputs, outputs, name=f"{model.name}_features")
        self.input_size = None if input_size is None else tuple(input_size)
        self.channels = channels
        self.scale = tuple(float(s) for s in scale)
        self.per_channel = bool(per_channel)
        self.name = name

    def __call__(self, images):
        """Runs the network.

        Args:
            images: ``[B, H, W, C]`` float in [0, 1].

        Returns:
            ``(features [B, D], probs [B, K])`` as float64 numpy arrays.
        """
        x = keras.ops.convert_to_tensor(np.asarray(images, dtype=np.float32))
        if self.input_size is not None and tuple(x.shape[1:3]) != self.input_size:
            x = keras.ops.image.resize(x, self.input_size, interpolation="bilinear")
        count, depth = len(images), x.shape[-1]
        split = self.channels == 1 and depth > 1 and self.per_channel
        if split:  # [B, H, W, C] -> [B * C, H, W, 1], each image's channels consecutive
            x = keras.ops.reshape(keras.ops.transpose(x, (0, 3, 1, 2)), (-1, *x.shape[1:3], 1))
        elif self.channels == 3 and depth == 1:
            x = keras.ops.repeat(x, 3, axis=-1)
        elif self.channels == 1 and depth == 3:
            x = keras.ops.mean(x, axis=-1, keepdims=True)
        x = x * self.scale[0] + self.scale[1]
        features, probs = self.model(x, training=False)
        features = keras.ops.convert_to_numpy(features).reshape(count, -1).astype(np.float64)
        probs = keras.ops.convert_to_numpy(probs).astype(np.float64)
        if split:
            probs = probs.reshape(count, depth, -1)
            joint = probs[:, 0]
            for c in range(1, depth):
                joint = (joint[:, :, None] * probs[:, c, None, :]).reshape(count, -1)
            probs = joint
        return features, probs


def digits_feature_network(model=None):
    """The offline feature network: the digits classifier's "penultimate" and "probs" layers.

    Args:
        model: the digits classifier; None loads ``tfopt.models.zoo.get_model("digits_cnn")``
            (trained once and cached).

    Returns:
        A :class:`FeatureNetwork` (128-d features, 10 classes, 32x32x1 inputs); it reads
        colour images per channel (``3 * 128``-d features, 1,000 joint classes).
    """
    if model is None:
        from tfopt.models.zoo import get_model

        model = get_model("digits_cnn")
    size = tuple(model.inputs[0].shape[1:3])
    return FeatureNetwork(model, "penultimate", "probs", input_size=size, channels=1, per_channel=True,
                          name="digits_cnn")


def inception_feature_network():
    """InceptionV3 with ImageNet weights: 2048-d "avg_pool" features and 1000-class probabilities.

    Built by ``tfopt.models.zoo.get_model("inception_v3")`` (preprocessing inside, [0, 1]
    RGB inputs); inputs are resized to 299x299 and grey is repeated to RGB.

    Returns:
        A :class:`FeatureNetwork`.

    Raises:
        InputError: the ImageNet weights cannot be had (e.g. no network): one line.
    """
    from tfopt.models.zoo import get_model

    model = get_model("inception_v3", weights="imagenet")
    return FeatureNetwork(model, "avg_pool", "probs", input_size=(299, 299), channels=3, name="inception_v3")


def get_feature_network(name="digits"):
    """Feature network by name: ``"digits"`` (offline) or ``"inception"`` (ImageNet weights).

    Args:
        name: ``"digits"`` or ``"inception"``.

    Returns:
        A :class:`FeatureNetwork`.
    """
    if name == "digits":
        return digits_feature_network()
    if name == "inception":
        return inception_feature_network()
    raise InputError(f"expected feature network digits or inception; received: {name!r}")


class FeatureAccumulator:
    """Streams images through a :class:`FeatureNetwork`, keeping what the metrics need.

    Keeps running float64 sums for the mean and covariance (FID), the features
    themselves up to ``keep`` rows (KID) and the class probabilities (IS, histogram).

    Args:
        network: a :class:`FeatureNetwork` (or any callable ``images -> (features, probs)``).
        keep: maximum number of feature rows kept for KID.
    """

    def __init__(self, network, *, keep=10000):
        self.network = network
        self.keep = int(keep)
        self.count = 0
        self._sum = None
        self._outer = None
        self._features = []
        self._probs = []

    def update(self, images):
        """Adds a batch ``[B, H, W, C]`` of images in [0, 1]; returns self."""
        features, probs = self.network(images)
        return self.update_features(features, probs)

    def update_features(self, features, probs=None):
        """Adds precomputed features ``[B, D]`` (and probabilities ``[B, K]``); returns self."""
        features = np.asarray(features, dtype=np.float64)
        if self._sum is None:
            self._sum = np.zeros(features.shape[1])
            self._outer = np.zeros((features.shape[1], features.shape[1]))
        self.count += len(features)
        self._sum += features.sum(axis=0)
        self._outer += features.T @ features
        kept = sum(len(f) for f in self._features)
        if kept < self.keep:
            self._features.append(features[: self.keep - kept])
        if probs is not None:
            self._probs.append(np.asarray(probs, dtype=np.float64))
        return self

    def update_all(self, images, batch_size=250):
        """Adds an array of images (or an iterable of batches, e.g. a tf.data dataset of
        images or ``(images, labels)``) in [0, 1]; returns self."""
        if isinstance(images, np.ndarray):
            for i in range(0, len(images), batch_size):
                self.update(images[i : i + batch_size])
            return self
        for batch in images:
            if isinstance(batch, (tuple, list)):
                batch = batch[0]
            self.update(np.asarray(batch))
        return self

    @property
    def mean(self):
        """Feature mean ``[D]``."""
        self._check(1)
        return self._sum / self.count

    @property
    def cov(self):
        """Unbiased feature covariance ``[D, D]``."""
        self._check(2)
        mean = self.mean
        return (self._outer - self.count * np.outer(mean, mean)) / (self.count - 1)

    @property
    def features(self):
        """The kept feature rows ``[min(count, keep), D]``."""
        self._check(1)
        return np.concatenate(self._features, axis=0)

    @property
    def probs(self):
        """All class probabilities ``[count, K]``."""
        if not self._probs:
            raise InputError("expected class probabilities; received: none were accumulated")
        return np.concatenate(self._probs, axis=0)

    def _check(self, minimum):
        if self.count < minimum:
            raise InputError(f"expected at least {minimum} images for feature statistics; received: {self.count}")


def _sqrt_psd(matrix):
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Fréchet distance between Gaussians ``N(mu1, sigma1)`` and ``N(mu2, sigma2)``.

    ``||mu1 - mu2||^2 + tr(sigma1) + tr(sigma2) - 2 tr((sigma1 sigma2)^(1/2))``, with the
    last trace computed as ``tr((s1^(1/2) sigma2 s1^(1/2))^(1/2))`` (a symmetric PSD
    matrix, so only real eigenvalues are involved).

    Args:
        mu1, mu2: means ``[D]``.
        sigma1, sigma2: covariances ``[D, D]``.

    Returns:
        float, >= 0 up to round-off.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    root1 = _sqrt_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt)


def _as_accumulator(value):
    if isinstance(value, FeatureAccumulator):
        return value
    return FeatureAccumulator(None).update_features(value)


def fid(a, b):
    """Fréchet Inception Distance between two feature sets.

    Args:
        a, b: :class:`FeatureAccumulator` s or feature arrays ``[N, D]``.

    Returns:
        float.
    """
    a, b = _as_accumulator(a), _as_accumulator(b)
    return frechet_distance(a.mean, a.cov, b.mean, b.cov)


def _mmd2_unbiased(x, y):
    dim = x.shape[1]
    kxx = (x @ x.T / dim + 1.0) ** 3
    kyy = (y @ y.T / dim + 1.0) ** 3
    kxy = (x @ y.T / dim + 1.0) ** 3
    m, n = len(x), len(y)
    return (
        (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
        + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
        - 2.0 * kxy.mean()
    )


def kid(a, b, *, num_subsets=100, subset_size=1000, seed=0):
    """Kernel Inception Distance: unbiased MMD^2 (cubic polynomial kernel) over random subsets.

    Args:
        a, b: :class:`FeatureAccumulator` s or feature arrays ``[N, D]``.
        num_subsets: number of random subset pairs averaged.
        subset_size: rows per subset (capped by the smaller set).
        seed: seed of the subset draws.

    Returns:
        ``(mean, std)`` over subsets, floats; the mean is ~0 (either sign) for one distribution.
    """
    x = a.features if isinstance(a, FeatureAccumulator) else np.asarray(a, np.float64)
    y = b.features if isinstance(b, FeatureAccumulator) else np.asarray(b, np.float64)
    size = min(int(subset_size), len(x), len(y))
    if size < 2:
        raise InputError(f"expected at least 2 feature rows per set for KID; received: {len(x)} and {len(y)}")
    rng = np.random.default_rng(seed)
    values = [
        _mmd2_unbiased(x[rng.choice(len(x), size, replace=False)], y[rng.choice(len(y), size, replace=False)])
        for _ in range(int(num_subsets))
    ]
    return float(np.mean(values)), float(np.std(values))


def inception_score(probs, *, splits=10):
    """Inception Score ``exp(E_x KL(p(y|x) || p(y)))``, mean and std over ``splits`` parts.

    Args:
        probs: ``[N, K]`` class probabilities (or a :class:`FeatureAccumulator`).
        splits: number of equal parts.

    Returns:
        ``(mean, std)``; between 1 and K.
    """
    probs = probs.probs if isinstance(probs, FeatureAccumulator) else np.asarray(probs, np.float64)
    splits = max(1, min(int(splits), len(probs)))
    scores = []
    for part in np.array_split(probs, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = (part * (np.log(part + 1e-12) - np.log(marginal + 1e-12))).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def class_histogram(probs, num_classes=None):
    """Share of samples per predicted class and the classifier's mean confidence.

    Args:
        probs: ``[N, K]`` class probabilities (or a :class:`FeatureAccumulator`).
        num_classes: K (default: ``probs.shape[1]``).

    Returns:
        dict: ``share`` (list of K fractions summing to 1), ``min_share``,
        ``mean_confidence`` (mean max probability), ``count``.
    """
    probs = probs.probs if isinstance(probs, FeatureAccumulator) else np.asarray(probs, np.float64)
    num_classes = int(num_classes or probs.shape[1])
    predicted = probs.argmax(axis=1)
    share = np.bincount(predicted, minlength=num_classes)[:num_classes] / max(len(probs), 1)
    return {
        "share": [float(s) for s in share],
        "min_share": float(share.min()),
        "mean_confidence": float(probs.max(axis=1).mean()),
        "count": int(len(probs)),
    }
