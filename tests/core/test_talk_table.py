"""The talk's table for randomized models: EOT attacks and scoring on separate named streams, scored by the
vote of many noisy passes (core.evaluation), and the `talk-table` command (tiny data, no ../shared)."""

import json

import pytest
import torch

from core import attacks, evaluation, experiments, models, results, smoothing, zoo
from core.device import make_generator
from core.noise import make as make_noise
from core.seeds import stream_generator
from tests.core.fake_mnist import write_mnist_npz

NOISE = make_noise("gaussian", 0.5)


def noisy_toy(seed=123):
    """An untrained 2-16-3 network with Gaussian noise (σ = 0.5) at the input: its draws often disagree."""
    base = models.feed_forward(2, [16], 3, seed=0).eval()
    return base, models.inject_noise(base, 0, NOISE, seed=seed).eval()


def points(n=8):
    return torch.rand(n, 2, generator=make_generator(1)), torch.arange(n) % 3


def hand_count(base, x, votes, generator):
    """counts[i, k] = #{draws v : argmax f(x_i + ε_v) = k}, one draw of ε for the whole batch per pass."""
    counts = torch.zeros(len(x), 3, dtype=torch.long)
    with torch.no_grad():
        for _ in range(votes):
            decided = base(x + NOISE.sample(x.shape, generator=generator)).argmax(1)
            for i, k in enumerate(decided.tolist()):
                counts[i, k] += 1
    return counts


def per_example_hand_count(base, x, votes, seed=0):
    """hand_count of each point alone, its draws from its own scoring generator (seed + index)."""
    generators = evaluation.example_generators(seed, evaluation.SCORE_STREAM, range(len(x)))
    return torch.cat([hand_count(base, x[i : i + 1], votes, g) for i, g in enumerate(generators)])


def test_vote_counts_equal_a_hand_count_of_the_draws():
    base, model = noisy_toy()
    x, _ = points()
    counts = evaluation.vote_counts(model, x, votes=40, generator=stream_generator(0, "score"))
    assert torch.equal(counts, hand_count(base, x, 40, stream_generator(0, "score")))
    assert (counts.sum(1) == 40).all()
    assert ((counts > 0).sum(1) > 1).any(), "the draws never disagree: the vote would be one draw"
    # A deterministic network answers the same at every pass.
    once = evaluation.vote_counts(base, x, votes=7, generator=stream_generator(0, "score"))
    with torch.no_grad():
        assert torch.equal(once.argmax(1), base(x).argmax(1)) and (once.max(1).values == 7).all()


def test_vote_predictions_take_the_majority_and_abstain_on_ties():
    counts = torch.tensor([[3, 3, 0], [1, 4, 1], [0, 0, 5], [2, 2, 2]])
    assert evaluation.vote_predictions(counts).tolist() == [smoothing.ABSTAIN, 1, 2, smoothing.ABSTAIN]
    rows = [{"label": 0, "natural_predict": smoothing.ABSTAIN, "pgd_predict": 0, "cw_predict": 0}]
    assert evaluation.table_from_rows(rows)["natural"] == 0  # an abstention counts as wrong
    with pytest.raises(ValueError):
        evaluation.vote_predictions(torch.zeros(3))


def _recording_pgd(monkeypatch):
    calls = []
    real = attacks.pgd

    def pgd(model, x, y, **kwargs):
        x_adv = real(model, x, y, **kwargs)
        calls.append((x.clone(), x_adv.clone(), kwargs["eps"]))
        return x_adv

    monkeypatch.setattr(attacks, "pgd", pgd)
    return calls


def test_the_scoring_stream_never_changes_the_adversarial_examples(monkeypatch):
    base, model = noisy_toy()
    x, y = points()
    options = dict(eps=0.2, pgd_steps=5, cw_steps=5, eot=4, seed=3)
    calls = _recording_pgd(monkeypatch)
    first = evaluation.robustness_table(model, x, y, votes=5, **options)
    attacked_first = [x_adv for _, x_adv, _ in calls]
    calls.clear()
    more_votes = evaluation.robustness_table(model, x, y, votes=31, **options)
    attacked_more = [x_adv for _, x_adv, _ in calls]
    calls.clear()
    monkeypatch.setattr(evaluation, "SCORE_STREAM", "another scoring stream")
    other_stream = evaluation.robustness_table(model, x, y, votes=5, **options)
    attacked_other = [x_adv for _, x_adv, _ in calls]
    for a, b, c in zip(attacked_first, attacked_more, attacked_other, strict=True):
        assert torch.equal(a, b) and torch.equal(a, c)
    # The scores did change (so the test could fail): other draws, other vote counts.
    label_votes = lambda table: [row["natural_label_votes"] for row in table["rows"]]
    assert label_votes(first) != label_votes(other_stream)
    assert sum(label_votes(more_votes)) > sum(label_votes(first))
    # The model's own noise generator was never drawn from (a shared model keeps its sequence).
    _, fresh = noisy_toy()
    assert torch.equal(model(x), fresh(x))


def test_vote_scored_table_is_a_hand_count_and_the_eot_attack_stays_in_its_ball(monkeypatch):
    base, model = noisy_toy()
    x, y = points()
    calls = _recording_pgd(monkeypatch)
    table = evaluation.robustness_table(
        model, x, y, eps=0.15, pgd_steps=4, cw_steps=4, eot=3, votes=25, seed=0
    )
    natural = per_example_hand_count(base, x, 25)
    predicted = evaluation.vote_predictions(natural)
    assert table["natural"] == (predicted == y).double().mean().item()
    assert [row["natural_label_votes"] for row in table["rows"]] == natural[torch.arange(len(y)), y].tolist()
    assert table["votes"] == 25 and table["eot"] == 3
    assert len(calls) == 2
    for x_clean, x_adv, eps in calls:
        assert (x_adv - x_clean).abs().max() <= eps + 1e-6
        assert x_adv.min() >= 0 and x_adv.max() <= 1
    # The columns were scored on the attacked points with the same scoring draws (common random numbers).
    pgd_counts = per_example_hand_count(base, calls[0][1], 25)
    assert [row["pgd_predict"] for row in table["rows"]] == evaluation.vote_predictions(pgd_counts).tolist()


# --------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def tiny_zoo(tmp_path_factory):
    """A one-epoch mnist-gaussian-0.25 and mnist-standard trained on 300 shifted gallery digits."""
    folder = write_mnist_npz(tmp_path_factory.mktemp("npz"), train=300, test=40, seed=0)
    models_dir = tmp_path_factory.mktemp("models")
    results_dir = tmp_path_factory.mktemp("results")
    common = [
        "--data-dir",
        str(folder),
        "--models-dir",
        str(models_dir),
        "--results-dir",
        str(results_dir),
        "--device",
        "cpu",
    ]
    for name in ("mnist-gaussian-0.25", "mnist-standard"):
        assert experiments.main(["train", "--name", name, "--epochs", "1", *common]) == 0
    return models_dir, results_dir, common


def test_talk_table_command_writes_a_schema_valid_file(tiny_zoo):
    models_dir, results_dir, common = tiny_zoo
    argv = [
        "talk-table",
        "--dataset",
        "mnist",
        "--every",
        "10",
        "--limit",
        "4",
        "--eot",
        "2",
        "--votes",
        "9",
        *common,
    ]
    assert experiments.main(argv) == 0
    shipped = results.read("talk_table", "mnist", results_dir)
    assert shipped["command"] == "python -m core.experiments " + " ".join(argv)
    assert (shipped["eot"], shipped["votes"], shipped["examples"], shipped["eps"]) == (2, 9, 4, 0.3)
    [row] = shipped["models"]  # the default: every noise-trained model of the dataset
    assert row["model"] == "mnist-gaussian-0.25"
    assert row["model_sha256"] == zoo.entry("mnist-gaussian-0.25", models_dir)["sha256"]
    assert row["table"]["rows"] and row["pgd"] == evaluation.table_from_rows(row["table"]["rows"])["pgd"]
    assert all(
        0 <= example[f"{c}_label_votes"] <= 9
        for example in row["table"]["rows"]
        for c in ("natural", "pgd", "cw")
    )
    assert json.loads(results.path("talk_table", "mnist", results_dir).read_text())["kind"] == "talk_table"


@pytest.mark.parametrize(
    "change", [["--votes", "0"], ["--models", "mnist-standard"], ["--dataset", "digits"], ["--votes", "5"]]
)
def test_talk_table_refuses_bad_arguments_in_one_sentence(tiny_zoo, change, capsys):
    _, results_dir, common = tiny_zoo
    settings = ["--every", "10", "--limit", "4", "--eot", "2", "--votes", "9"]
    if not results.path("talk_table", "mnist", results_dir).exists():
        assert experiments.main(["talk-table", "--dataset", "mnist", *settings, *common]) == 0
    capsys.readouterr()
    assert experiments.main(["talk-table", "--dataset", "mnist", *settings, *common, *change]) == 2
    assert capsys.readouterr().err.count("\n") == 1  # --votes 5 would replace the 9-vote file: refused


def test_accuracy_curves_attack_and_score_a_randomized_model_on_separate_streams(monkeypatch):
    """accuracy_under_attack: another scoring stream changes the scores, never the adversarial examples."""
    _, model = noisy_toy()
    x, y = points()
    calls = []
    real = attacks.run_attack

    def run_attack(*args, **kwargs):
        calls.append(real(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(attacks, "run_attack", run_attack)
    options = dict(attack="pgd_linf", budgets=[0.0, 0.2], steps=4, eot=3, seed=2)
    first = evaluation.accuracy_under_attack(model, x, y, **options)
    attacked_first = list(calls)
    calls.clear()
    monkeypatch.setattr(evaluation, "SCORE_STREAM", "another scoring stream")
    evaluation.accuracy_under_attack(model, x, y, **options)
    assert len(attacked_first) == 1 and torch.equal(attacked_first[0], calls[0])
    assert (attacked_first[0] - x).abs().max() <= 0.2 + 1e-6
    assert 0 <= first[1] <= 1
    _, fresh = noisy_toy()
    assert torch.equal(model(x), fresh(x))  # the model's own noise generator was never drawn from
