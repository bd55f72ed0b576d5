import numpy as np
import pytest
import tensorflow as tf

from tfopt.core.errors import InputError
from tfopt.optim import constraints as C
from tfopt.optim import param as P
from tfopt.optim import transforms as T


@pytest.mark.parametrize("make", [P.pixel, P.sigmoid, P.fft])
@pytest.mark.parametrize("channels", [1, 3])
def test_param_round_trips_images(make, channels):
    x = np.random.RandomState(0).uniform(0.05, 0.95, [2, 12, 10, channels]).astype("float32")
    p = make()
    back = p.to_image(p.from_image(x)).numpy()
    np.testing.assert_allclose(back, x, atol=2e-3)


def test_sigmoid_and_fft_images_stay_in_range():
    for p in (P.sigmoid(), P.fft()):
        p.from_image(np.full([1, 8, 8, 3], 0.5, np.float32))
        v = tf.random.normal(p.from_image(np.full([1, 8, 8, 3], 0.5, np.float32)).shape, stddev=50.0)
        img = p.to_image(v).numpy()
        assert img.min() >= 0 and img.max() <= 1


def test_get_param_rejects_unknown_name():
    with pytest.raises(InputError, match="fft"):
        P.get_param("wavelet")


def test_balls_project_and_sample_inside():
    origin = tf.constant(np.random.RandomState(0).rand(3, 8, 8, 1).astype("float32"))
    far = origin + 5.0
    for ball, norm in ((C.linf_ball(0.1), np.inf), (C.l2_ball(0.7), 2)):
        eps = 0.1 if norm == np.inf else 0.7
        for x in (ball.project(far, origin), ball.random(origin, tf.constant([1, 2]))):
            d = (x - origin).numpy().reshape(3, -1)
            assert np.all(np.linalg.norm(d, ord=norm, axis=1) <= eps + 1e-5)
        inside = origin + 0.01
        np.testing.assert_allclose(ball.project(inside, origin), inside, atol=1e-6)
    both = C.chain(C.linf_ball(0.1), C.value_range(0, 1))
    x = both.project(far, origin).numpy()
    assert x.max() <= 1.0 and np.all(np.abs(x - origin.numpy()) <= 0.1 + 1e-6)


def test_bad_constraint_numbers_raise():
    with pytest.raises(InputError):
        C.linf_ball(-0.1)
    with pytest.raises(InputError):
        C.value_range(1, 0)


@pytest.mark.parametrize("t", [T.jitter(3), T.random_scale([0.8, 1.2]), T.random_rotate([-20, 20]),
                               T.gaussian_blur(1.0), T.compose(T.default_transforms(24))])
def test_transforms_keep_size_are_seeded_and_change_the_image(t):
    x = tf.constant(np.random.RandomState(0).rand(2, 24, 24, 3).astype("float32"))
    a, b = t(x, tf.constant([1, 2])), t(x, tf.constant([1, 2]))
    assert a.shape == x.shape
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    outs = [t(x, tf.constant([s, 0])).numpy() for s in range(6)]
    assert any(not np.allclose(o, x.numpy()) for o in outs)


def test_pad_grows_the_image():
    assert T.pad(4)(tf.zeros([1, 8, 8, 3]), tf.constant([0, 0])).shape == (1, 16, 16, 3)
