"""Trade-off: certified accuracy at r falls as r grows (same certificates), clean accuracy does not move."""


def _tradeoff(values: list[str]) -> list[tuple[int, int]]:
    """(clean %, certified %) of each Gaussian scale, from the values of the metrics 'gaussian std …'."""
    return [tuple(int(part.strip().rstrip("%")) for part in value.split("→")) for value in values]


def test_tradeoff_reacts_to_radius(open_page, metric, metrics):
    at = open_page("app_pages/p10_tradeoff.py")
    assert not at.exception
    assert len(at.get("plotly_chart")) >= 3
    small_r = _tradeoff(metrics(at, "gaussian std"))
    assert len(small_r) == 3

    at.slider(key="p10_radius").set_value(0.2).run()
    assert not at.exception
    large_r = _tradeoff(metrics(at, "gaussian std"))
    assert large_r != small_r
    for (clean_a, certified_a), (clean_b, certified_b) in zip(small_r, large_r):
        assert clean_a == clean_b                    # r only changes which certificates count
        assert certified_b <= certified_a            # certified accuracy is non-increasing in r
    # The largest noise keeps the most certified points at the larger radius (the trade-off).
    assert large_r[-1][1] == max(certified for _, certified in large_r)

    median_radius = float(metric(at, "Median certified α*"))
    assert median_radius > 0
