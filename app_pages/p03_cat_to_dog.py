"""3 · Cat → dog: a targeted adversarial example on a real CIFAR-10 image (Szegedy et al. 2014;
Goodfellow et al. 2015; Madry et al. 2018; Carlini & Wagner 2017)."""
import plotly.graph_objects as go
import streamlit as st
import torch

from core import attacks
from core.device import make_generator
from ui import adversarial as A
from ui import cache, layout

EPS_CHOICES_255 = [0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 80]   # ε in units of 1/255
DEFAULT_EPS_255 = {"cifar10": 2, "mnist": 48, "fashion_mnist": 24}
STEP_CHOICES = [10, 20, 50, 100, 200]
ATTACK_CHOICES = {"pgd": "PGD ℓ∞, targeted (Madry et al. 2018)",
                  "cw": "Carlini–Wagner ℓ2, targeted (Carlini & Wagner 2017)"}
CW_STEPS, CW_LR, CW_SEARCH = 50, 0.05, 4   # per binary-search round; a targeted C&W needs lr ≈ 0.05
DEFAULT_TARGET = 5                          # "dog" in CIFAR-10


@torch.no_grad()
def class_probabilities(model, x: torch.Tensor) -> torch.Tensor:
    """softmax F(x) of ONE image, on the CPU."""
    return torch.softmax(model(x.unsqueeze(0).to(cache.device())), dim=1)[0].cpu()


def probability_text(value: float) -> str:
    """A probability in percent, or in scientific notation when it is below 0.1 % (so that tiny
    probabilities of the target still show how the attack moves them)."""
    return f"{value:.1%}" if value >= 1e-3 else f"{value:.1e}"


def scale_text(scale: float) -> str:
    """s as the talk prints it ("+ 0.007 ×")."""
    return f"{scale:.3f}" if scale >= 1e-3 else f"{scale:.1e}"


@st.cache_data(show_spinner=False, max_entries=64)
def attack_scene(model_name: str, index: int, upload: bytes | None, target: int, attack: str, eps: float,
                 steps: int, c: float, kappa: float, seed: int) -> dict:
    """x (gallery image ``index`` or the decoded upload), the targeted x_adv, and both prediction
    vectors. Cached by plain values; the cached model is only read."""
    model = cache.zoo_model(model_name)
    device = cache.device()
    images = cache.gallery(A.dataset_of(model_name))[0]
    if upload is None:
        x = images[index]
    else:
        x, _ = A.read_upload(upload, size=images.shape[-1], channels=images.shape[1])
    batch, goal = x.unsqueeze(0).to(device), torch.tensor([target], device=device)
    if attack == "pgd":
        x_adv = attacks.pgd(model, batch, goal, eps=eps, step=2.5 * eps / steps, steps=steps, norm="linf",
                            targeted=True, generator=make_generator(seed, device))
    else:
        x_adv = attacks.carlini_wagner_l2(model, batch, goal, targeted=True, c=c, kappa=kappa, steps=CW_STEPS,
                                          lr=CW_LR, binary_search_steps=CW_SEARCH)
    x_adv = x_adv[0].cpu()
    return {"x": x, "x_adv": x_adv, "p": class_probabilities(model, x), "p_adv": class_probabilities(model, x_adv)}


def probabilities_figure(p: torch.Tensor, p_adv: torch.Tensor, class_names: list[str]) -> go.Figure:
    figure = go.Figure()
    figure.add_bar(x=class_names, y=p.numpy(), name="F(x)", marker_color="#1f77b4")
    figure.add_bar(x=class_names, y=p_adv.numpy(), name="F(x + τ)", marker_color="#d62728")
    figure.update_layout(barmode="group", height=340, margin=dict(l=10, r=10, t=40, b=10),
                         title="Class probabilities softmax F(·)", legend=dict(orientation="h", y=-0.2),
                         yaxis=dict(range=[0, 1], tickformat=".0%"))
    return figure


layout.header(
    "3 · Cat → dog",
    r"""
A network $F$ that classifies this cat correctly can be made to answer **dog** by an
imperceptible perturbation $\tau$: an **adversarial example** $x_{adv} = x + \tau$ with
$\|\tau\|_\infty \le \varepsilon$ and $F(x + \tau) = \text{dog}$.
The targeted attack walks **down** the loss of the target class and projects back on the ball
(PGD, Madry et al. 2018):
$x^{t+1} = \Pi_{B_\infty(x,\varepsilon)\cap[0,1]^d}\big(x^t - \alpha\,\mathrm{sign}\,\nabla_x \ell(F(x^t), \text{dog})\big)$,
or Carlini & Wagner (2017) look for the smallest $\|\tau\|_2$ with $F(x+\tau) = \text{dog}$.
The middle picture is $\tau/s$ with $s = \|\tau\|_\infty$, so the equation below reads exactly
$x_{adv} = x + s\cdot(\tau/s)$.
""",
    uses="a CNN from the model zoo (default cifar10-standard, core.zoo) on a real CIFAR-10 test image "
         "(foolbox's offline gallery, core.data.gallery) or your own photo (core.data.load_image); "
         "attacks from core.attacks.",
)
seed = layout.seed_input()

model_name, dataset, class_names, x_gallery, y_gallery = A.model_and_gallery(
    "Model", key="p03_model", prefer=["cifar10-standard", "cifar10-adversarial", "mnist-standard"])
controls, board = st.columns([1, 3], gap="large")
first_cat = next((k for k, label in enumerate(y_gallery.tolist()) if label == 3), 0) if dataset == "cifar10" else 0

with controls:
    index = A.gallery_choice(f"{A.DATASET_TITLES.get(dataset, dataset)} test image", y_gallery, class_names,
                             key="p03_image", index=first_cat)
    uploaded = st.file_uploader("…or upload a photo (centre-cropped and resized)",
                                type=["png", "jpg", "jpeg", "webp", "bmp", "gif"], key="p03_upload")
    target = st.selectbox("Target class", range(len(class_names)), index=DEFAULT_TARGET, key="p03_target",
                          format_func=lambda k: class_names[k])
    attack = st.selectbox("Attack", list(ATTACK_CHOICES), key="p03_attack", format_func=ATTACK_CHOICES.get)
    eps_255, steps, c, kappa = 0.0, 1, 1.0, 0.0
    if attack == "pgd":
        eps_255 = st.select_slider("Budget ε (ℓ∞, in 1/255)", EPS_CHOICES_255, value=DEFAULT_EPS_255.get(dataset, 8),
                                   key=f"p03_eps_{dataset}",
                                   help="A pixel may move by at most ε: 1/255 is one grey level.")
        steps = st.select_slider("PGD steps", STEP_CHOICES, value=20, key="p03_steps")
    else:
        c = st.select_slider("Initial constant c", [0.01, 0.1, 1.0, 10.0], value=1.0, key="p03_c",
                             help="Weight of the misclassification term; binary-searched from here.")
        kappa = st.select_slider("Confidence κ", [0.0, 1.0, 2.0, 5.0, 10.0], value=0.0, key="p03_kappa",
                                 help="Require Z_dog − max_{j≠dog} Z_j ≥ κ.")

upload_bytes = None
if uploaded is not None:
    content = uploaded.getvalue()
    _, message = A.read_upload(content, size=x_gallery.shape[-1], channels=x_gallery.shape[1])
    if message is not None:
        controls.error(message)
    else:
        upload_bytes = content
        controls.caption("Attacking your photo: remove it to go back to the gallery image.")

with st.spinner("Attacking…"):
    scene = attack_scene(model_name, int(index), upload_bytes, int(target), attack, float(eps_255) / 255,
                         int(steps), float(c), float(kappa), seed)
p, p_adv = scene["p"], scene["p_adv"]
tau = scene["x_adv"] - scene["x"]
scale, unit_picture = A.perturbation_view(tau)
before, after = int(p.argmax()), int(p_adv.argmax())
source = "your photo" if upload_bytes is not None else f"gallery image #{index} (label: {class_names[int(y_gallery[index])]})"

with board:
    columns = st.columns(5)
    columns[0].metric("F(x)", f"{class_names[before]} · {p[before]:.0%}")
    columns[1].metric("F(x + τ)", f"{class_names[after]} · {p_adv[after]:.0%}",
                      help="The predicted class of the adversarial image and its probability.")
    columns[2].metric(f"P({class_names[target]} | x + τ)", probability_text(float(p_adv[target])),
                      delta=f"from {probability_text(float(p[target]))}", delta_color="off")
    columns[3].metric("‖τ‖∞", f"{scale:.4f}", help=f"= {255 * scale:.2f}/255")
    columns[4].metric("‖τ‖₂", f"{float(tau.norm()):.3f}")

    left, plus, middle, equals, right = st.columns([5, 2, 5, 1, 5], vertical_alignment="center")
    left.plotly_chart(A.image_figure(scene["x"], f"x: {class_names[before]} ({p[before]:.0%})"), key="p03_x")
    plus.markdown(f"<div style='text-align:center;font-size:1.5rem;line-height:1.3'>+ {scale_text(scale)}<br>×</div>",
                  unsafe_allow_html=True)
    middle.plotly_chart(A.image_figure(unit_picture, "τ/s (grey = 0)"), key="p03_tau")
    equals.markdown("<div style='text-align:center;font-size:1.5rem'>=</div>", unsafe_allow_html=True)
    right.plotly_chart(A.image_figure(scene["x_adv"], f"x + τ: {class_names[after]} ({p_adv[after]:.0%})"),
                       key="p03_x_adv")
    reached = after == target
    st.markdown(
        f"$x_{{adv}} = x + {scale_text(scale)} \\times (\\tau / s)$ on {source}: "
        + (f"**the network now answers {class_names[target]}** ({p_adv[target]:.0%})."
           if reached else f"the target {class_names[target]} is not reached — raise the budget or the steps."))
    st.plotly_chart(probabilities_figure(p, p_adv, class_names), key="p03_bars")
    st.caption("The perturbation is amplified for display: every pixel of τ/s lies in [−1, 1], shown from black "
               f"(−1) through grey (0) to white (+1); the true change of each pixel is at most {scale:.4f} "
               f"= {255 * scale:.1f}/255 of the intensity range.")

layout.show_code(attacks.pgd, attacks.carlini_wagner_l2, A.read_upload, A.perturbation_view)
