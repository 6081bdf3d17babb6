"""The figures as a reader sees them at the report's width: none wider than the page (928 px),
no text under 10 px, a colour bar wherever colour carries a number, one meaning of colour in
a heatmap figure, every curve told apart by line style and marker."""

import numpy as np
import pytest

from experiments import plots


@pytest.fixture
def drawn(monkeypatch, tmp_path):
    """The matplotlib figures the plotting functions make, kept open for inspection."""
    figures = []
    save = plots._save

    def keep(fig, path):
        figures.append(
            {
                "width_px": fig.get_figwidth() * plots.DPI,
                "text_px": plots.text_sizes_px(fig),
                "axes": [ax for ax in fig.axes],
                "lines": [line for ax in fig.axes for line in ax.get_lines()],
                "images": [im for ax in fig.axes for im in ax.get_images()],
            }
        )
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", keep)
    return figures, tmp_path


def every_figure(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((20, 2))
    y = (X[:, :1] > 0.5).astype(float)
    epochs = list(range(0, 1001, 10))
    curves = [(f"run {i}", epochs, np.exp(-np.array(epochs) / 300) + i) for i in range(6)]
    plots.comparison(X, y, y, tmp_path / "c.png", title="linear, seed 0")
    plots.learning_curves(curves, tmp_path / "l.png", title="median over seeds")
    plots.decision_boundary(lambda g: g[:, :1], X, y, tmp_path / "b.png", title="boundary")
    plots.image_grid([rng.random((12, 12)) for _ in range(6)], tmp_path / "i.png", ["a"] * 6)
    grid = rng.random((6, 8))
    plots.heatmaps(
        [("converged", grid, ".0%"), ("epochs", grid * 1000, ".0f", "low"), ("acc", grid, ".0f")],
        [2, 3, 4, 6, 8, 16],
        [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2],
        tmp_path / "h.png",
        title="xor: 2-w-w-1",
    )


@pytest.mark.slow  # over a second: a subprocess or a notebook run
def test_no_figure_is_wider_than_the_page_nor_any_text_under_10_px(drawn):
    figures, tmp_path = drawn
    every_figure(tmp_path)
    assert len(figures) == 5
    for fig in figures:
        assert fig["width_px"] <= plots.PAGE_WIDTH_PX
        assert min(fig["text_px"]) >= plots.MIN_TEXT_PX


def test_heatmaps_have_colour_bars_and_yellow_means_better_in_every_panel(drawn):
    """Three panels, three colour bars; where fewer is better (epochs) the map is reversed, so
    the best cell is yellow there too."""
    figures, tmp_path = drawn
    grid = np.arange(6.0).reshape(2, 3)
    plots.heatmaps(
        [("more", grid, ".0f"), ("fewer", grid, ".0f", "low")],
        [2, 4],
        [0.1, 1, 2],
        tmp_path / "h.png",
    )
    (fig,) = figures
    assert len(fig["axes"]) == 4  # two panels, two colour bars
    more, fewer = fig["images"][:2]
    assert more.cmap.name == "viridis" and fewer.cmap.name == "viridis_r"
    best_more = more.cmap(more.norm(grid.max()))
    best_fewer = fewer.cmap(fewer.norm(grid.min()))
    assert np.allclose(best_more, best_fewer)  # the best cell has one colour in both


def test_every_curve_has_its_own_line_style_and_marker(drawn):
    """Curves that lie on top of each other (no activation: two runs at the same loss) still
    show: no two share both a line style and a marker, and markers sit at staggered epochs."""
    figures, tmp_path = drawn
    epochs = list(range(0, 401, 10))
    same = [0.25] * len(epochs)
    plots.learning_curves([(f"run {i}", epochs, same) for i in range(4)], tmp_path / "l.png")
    (fig,) = figures
    looks = {(line.get_linestyle(), line.get_marker()) for line in fig["lines"]}
    assert len(looks) == 4
    starts = {line.get_markevery()[0] for line in fig["lines"]}
    assert len(starts) == 4


def test_images_share_one_colour_scale_with_a_bar(drawn):
    """conv_samples and conv_filters: one scale for all panels, shown as a labelled colour bar;
    weights on a scale centred at 0."""
    figures, tmp_path = drawn
    filters = [np.full((3, 3), -2.0), np.full((3, 3), 0.5)]
    plots.image_grid(filters, tmp_path / "f.png", symmetric=True, scale_label="weight")
    (fig,) = figures
    assert len(fig["axes"]) == 3
    assert fig["axes"][-1].get_ylabel() == "weight"
    assert {im.norm.vmin for im in fig["images"]} == {-2.0}
    assert {im.norm.vmax for im in fig["images"]} == {2.0}
