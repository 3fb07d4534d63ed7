"""The default scoring on a hand-computed fixture, and the ranking's declared tie-break."""

from lke.models import Level, Target
from lke.scoring import instrument_tree, nilai, ranked, score_level

from .conftest import fill, item


def test_scores_follow_the_formula_with_weights_text_heading_and_a_one_zero_item(small_instrument):
    tree = instrument_tree(small_instrument, Target.VILLAGE)
    ids = {
        code: item(small_instrument, code).pk
        for code in ["k1.a", "k1.b", "k2.a", "m1.a", "m1.z", "n.1"]
    }
    scores = {
        ids["k1.a"]: 3,
        ids["k1.b"]: 1,
        ids["k2.a"]: 2,
        ids["m1.a"]: 4,
        ids["m1.z"]: 1,
        ids["n.1"]: 0,
    }

    result = score_level(tree, scores)

    # K1 = (1×3/4 + 3×1/1) / (1+3) = 0.9375; K2 = 2/4 = 0.5
    # K  = (2×0.9375 + 1×0.5) / 3 = 0.791666…; M1 = 4/4 (m1.z has weight 0) = 1; M = 1
    # total = 100 × (1×0.791666… + 3×1) / 4 = 94.7916… → 94.79
    k1 = tree[1].aspects.all()[0].indicators.all()[0]
    k2 = tree[1].aspects.all()[0].indicators.all()[1]
    assert result.indicators[str(k1.pk)] == 93.75
    assert result.indicators[str(k2.pk)] == 50.0
    assert result.aspects == {"K": 79.17, "M": 100.0}
    assert result.total == 94.79


def test_unanswered_items_count_as_zero_and_unscored_blocks_are_ignored(small_instrument):
    tree = instrument_tree(small_instrument, Target.VILLAGE)

    result = score_level(tree, {item(small_instrument, "m1.a").pk: 4})

    assert result.aspects == {"K": 0.0, "M": 100.0}
    assert result.total == 75.0
    assert "N" not in result.aspects


def test_nilai_is_score_over_max_times_the_scale_like_the_paper_sheet():
    assert nilai(4, 4, 4) == 4.0
    assert nilai(1, 1, 4) == 4.0  # the top option of a 1/0 item also gives NILAI 4
    assert nilai(3, 4, 4) == 3.0
    assert nilai(0, 1, 4) == 0.0
    assert nilai(None, 4, 4) is None


def test_worksheet_keeps_scores_of_each_level_up_to_date(ws_rl, tim_rejang_lebong):
    fill(ws_rl, by=tim_rejang_lebong)

    assert ws_rl.scores[Level.SELF]["total"] == 94.79
    assert ws_rl.scores[Level.SELF]["aspects"] == {"K": 79.17, "M": 100.0}
    assert ws_rl.scores[Level.PROVINCIAL]["total"] == 0.0
    assert ws_rl.self_answered == 6
    assert ws_rl.required_items == 6


def _row(name, total, m, k):
    return {"name": name, "provincial": {"total": total, "aspects": {"M": m, "K": k}}}


def test_ranking_breaks_ties_by_manajemen_data_then_kapasitas_statistik_then_name():
    rows = [
        _row("Beta", 80, 70, 90),
        _row("Alfa", 80, 75, 60),
        _row("Cempaka", 80, 75, 60),
        _row("Zeta", 80, 75, 65),
        _row("Dahlia", 85, 10, 10),
    ]

    result = ranked(rows, ["M", "K"])

    assert [(r["rank"], r["name"]) for r in result] == [
        (1, "Dahlia"),
        (2, "Zeta"),
        (3, "Alfa"),
        (4, "Cempaka"),
        (5, "Beta"),
    ]
