"""A 2-D linear classifier whose Gaussian-smoothed vote probabilities are known in closed form:
the reference that test_geometry and test_smoothing compare core's Monte-Carlo estimates with."""

import scipy.stats
import torch
from torch import nn


def linear_classifier(w: torch.Tensor, c: float) -> nn.Linear:
    """Logits (0, w·x + c): class 1 iff w·x + c > 0; the decision boundary is the line w·x + c = 0."""
    model = nn.Linear(2, 2)
    with torch.no_grad():
        model.weight.copy_(torch.stack([torch.zeros(2), w]))
        model.bias.copy_(torch.tensor([0.0, c]))
    return model.eval()


def gaussian_probability_of_class_1(points, w: torch.Tensor, c: float, sigma: float):
    """P(w·(x + ε) + c > 0) = Φ((w·x + c) / (σ‖w‖)) for ε ~ N(0, σ²I), for one point or a batch."""
    margin = (torch.as_tensor(points, dtype=torch.float32) @ w + c).double().numpy()
    return scipy.stats.norm.cdf(margin / (sigma * float(w.norm())))
