"""11 · Take-home: the talk's four take-home messages, each backed by a computation of core (live, or shipped
where it needs a full test set).

Thin page: widgets → core.scenes.take_home (cached) → ui.figures.take_home → layout."""

from core.scenes import take_home as scene
from core.scenes.registry import scene as registered
from ui import frame, layout, lecture, url
from ui.figures import take_home as figures
from ui.frame import st

frame.header("p11_take_home")
seed = layout.seed_input()
sections = [lecture.step(number) for number in range(1, len(scene.MESSAGES) + 1)]  # one message per step


def pitch(message) -> None:
    """The message's text and the scene that argues it in full."""
    st.markdown(message.text)
    supporting = registered(message.scene)
    st.page_link(supporting.page, label=f"Supporting scene: {supporting.title}", icon="➡️")


def opening(message) -> None:
    """The message's number and title; its text too, except on a slide (there, in :func:`details`)."""
    if not layout.presenting():
        st.divider()
    st.subheader(f"{message.number}. {message.title}")
    if not layout.presenting():
        pitch(message)


def details(message):
    """The step's long text, below its figures: in the page, or on a slide behind the speaker-notes
    expander with the message's text (layout.aside)."""
    box = layout.aside()
    if layout.presenting():
        with box:
            pitch(message)
    return box


with sections[0]:
    opening(scene.MESSAGES[0])
    left, right = st.columns([1, 2])
    label = "Attack budget ε (ℓ∞) on the toy"
    eps = url.select_slider(label, scene.PARAMETERS["eps"], where=left)
with sections[1]:
    opening(scene.MESSAGES[1])
    sigma = url.select_slider("Noise standard deviation σ", scene.PARAMETERS["sigma"])

spinner = "Computing the four messages (toy networks, attacks, CERTIFY)…"
result = frame.compute(scene.take_home, spinner=spinner, eps=eps, sigma=sigma, seed=seed)
attack, gallery, certified, defended, bounds = (
    result.attack,
    result.gallery,
    result.certificates,
    result.defenses,
    result.limits,
)

# 1 ─────────────────────────────────────────────────────────── adversarial examples
with sections[0]:
    help = (
        f"Share of the correctly classified held-out points whose label PGD ({scene.PGD_STEPS} steps of ε/4) "
        "flips within ε."
    )
    left.metric("PGD success rate (toy)", f"{attack.success_rate:.0%}", help=help)
    if gallery.model is None:
        left.caption(gallery.note)
    else:
        help = (
            f"PGD ℓ∞, ε = {gallery.eps:.4g}, {scene.PGD_STEPS} steps, on the correctly classified offline "
            "gallery images."
        )
        label = f"Gallery images flipped ({gallery.model})"
        left.metric(label, f"{gallery.flipped} / {gallery.attacked}", help=help)
    right.plotly_chart(figures.attack(attack), key="p11_attack_figure")
    details(scene.MESSAGES[0]).markdown(result.captions[1])

# 2 ─────────────────────────────────────────────────────────── certificates
with sections[1]:
    points = (scene.N0, scene.N_CERTIFY, scene.ALPHA, scene.CERTIFY_POINTS)
    frame.metrics(figures.certificate_metrics(certified, *points))
    left, right = st.columns(2)
    left.plotly_chart(figures.radius_curves(certified), key="p11_radius_figure")
    right.plotly_chart(figures.certified(certified), key="p11_certified_figure")
    with details(scene.MESSAGES[1]):
        st.markdown(result.captions[2])
        st.caption(scene.NOTES[2])

# 3 ─────────────────────────────────────────────────────────── best attacks
with sections[2]:
    opening(scene.MESSAGES[2])
    left, right = st.columns([1, 2])
    for name, value in defended.at_eps.items():
        left.metric(f"Accuracy at ε = {defended.eps}: {name}", f"{value:.0%}")
    clean = f"{defended.standard[0]:.0%} → {defended.adversarial[0]:.0%}"
    left.metric("Clean accuracy: standard → adversarial", clean)
    help = (
        f"Each step of PGD adversarial training first runs {scene.ADVERSARIAL_STEPS} PGD steps (one input "
        "gradient each) to build the batch; ERM computes one gradient per step."
    )
    steps = f"1 → {1 + scene.ADVERSARIAL_STEPS}"
    left.metric("Gradient computations per training step", steps, help=help)
    right.plotly_chart(figures.defenses(defended), key="p11_adversarial_figure")
    with details(scene.MESSAGES[2]):
        st.markdown(result.captions[3])
        st.caption(scene.NOTES[3])

# 4 ─────────────────────────────────────────────────────────── room for improvement
with sections[3]:
    opening(scene.MESSAGES[3])
    frame.metrics(figures.limits_metrics(bounds, scene.tradeoff.measured_sentence))
    left, right = st.columns(2)
    left.plotly_chart(figures.tradeoff(bounds), key="p11_tradeoff_figure")
    right.plotly_chart(figures.ceilings(bounds), key="p11_ceiling_figure")
    with details(scene.MESSAGES[3]):
        st.markdown(result.captions[4])
        left, right = st.columns(2)
        left.dataframe(figures.accuracy_table(bounds.table), hide_index=True)
        if bounds.shipped:
            right.dataframe(figures.shipped_table(bounds.shipped), hide_index=True, height=220)
        st.markdown(scene.IMPROVEMENT)

if result.shipped:
    st.caption(
        "Seed 0's curves, certificates and gallery attack are read from assets/scenes/take_home.json "
        f"({scene.BUILD_COMMAND}); any other seed computes them here."
    )
frame.code(
    scene.take_home, scene.toy_attack_live, scene.certify_toy_live, scene.smoothed_pgd_accuracy, scene.limits
)
