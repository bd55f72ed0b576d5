import numpy as np

from tfopt.style import colour


def test_yiq_round_trip_and_luminance_range():
    rgb = np.random.RandomState(0).rand(5, 7, 3).astype("float32")
    yiq = colour.rgb_to_yiq(rgb).numpy()
    np.testing.assert_allclose(colour.yiq_to_rgb(yiq).numpy(), rgb, atol=1e-5)
    assert yiq[..., 0].min() >= 0 and yiq[..., 0].max() <= 1
    grey = np.full([2, 2, 3], 0.4, np.float32)
    np.testing.assert_allclose(colour.rgb_to_yiq(grey).numpy()[..., 1:], 0, atol=1e-6)


def test_recombine_keeps_content_chroma_and_result_luminance(photos):
    content, style = photos[0], photos[1][: photos[0].shape[0], : photos[0].shape[1]]
    out = colour.recombine(style, content).numpy()
    assert colour.chroma_difference(out, content) < 0.01
    assert colour.chroma_difference(style, content) > 0.03
    y_out = colour.rgb_to_yiq(out).numpy()[..., 0]
    y_style = colour.rgb_to_yiq(style).numpy()[..., 0]
    assert np.abs(y_out - y_style).mean() < 0.02


def test_luminance_match_moves_mean_and_std(photos):
    content, style = photos
    grey = colour.luminance_image(style, match=content).numpy()
    y_c = colour.rgb_to_yiq(content).numpy()[..., 0]
    assert np.allclose(grey[..., 0], grey[..., 2])
    assert abs(grey[..., 0].mean() - y_c.mean()) < 0.02
    assert abs(grey[..., 0].std() - y_c.std()) < 0.02
