"""11 · Take-home: the talk's four take-home messages, each backed by a computation of core (live, or shipped
where it needs a full test set).

Thin page: widgets → core.scenes.take_home (cached) → ui.figures.take_home → layout."""
import streamlit as st

from core.scenes import take_home as T
from core.scenes.registry import scene as registered
from ui import layout, lecture, frame
from ui import url
from ui.figures import take_home as figures

frame.header("p11_take_home", T.EXPLANATION, T.USES)
seed = layout.seed_input()
sections = [lecture.step(number) for number in range(1, len(T.MESSAGES) + 1)]   # one message per step


def opening(message) -> None:
    """The message's number, title, text and the scene that argues it in full."""
    st.divider()
    st.subheader(f"{message.number}. {message.title}")
    st.markdown(message.text)
    supporting = registered(message.scene)
    st.page_link(supporting.page, label=f"Supporting scene: {supporting.title}", icon="➡️")


with sections[0]:
    opening(T.MESSAGES[0])
    eps = url.select_slider("Attack budget ε (ℓ∞) on the toy", options=T.EPS_OPTIONS, value=T.EPS_DEFAULT,
                           key="take_home_eps")
with sections[1]:
    opening(T.MESSAGES[1])
    sigma = url.select_slider("Noise standard deviation σ", options=T.SIGMAS, value=T.SIGMA_DEFAULT,
                             key="take_home_sigma")

result = frame.compute(T.take_home, spinner="Computing the four messages (toy networks, attacks, CERTIFY)…",
                       eps=eps, sigma=sigma, seed=seed)
attack, gallery, certified, defended, bounds = (result.attack, result.gallery, result.certificates,
                                                result.defenses, result.limits)

# 1 ─────────────────────────────────────────────────────────── adversarial examples
with sections[0]:
    left, right = st.columns([1, 2])
    left.metric("PGD success rate (toy)", f"{attack.success_rate:.0%}",
                help=f"Share of the correctly classified held-out points whose label PGD "
                     f"({T.PGD_STEPS} steps of ε/4) flips within ε.")
    if gallery.model is None:
        left.caption(gallery.note)
    else:
        left.metric(f"Gallery images flipped ({gallery.model})", f"{gallery.flipped} / {gallery.attacked}",
                    help=f"PGD ℓ∞, ε = {gallery.eps:.4g}, {T.PGD_STEPS} steps, on the correctly classified "
                         "offline gallery images.")
    left.markdown(result.captions[1])
    right.plotly_chart(figures.attack(attack), key="take_home_attack_figure")

# 2 ─────────────────────────────────────────────────────────── certificates
with sections[1]:
    columns = st.columns(4)
    columns[0].metric("Gaussian ℓ2 radius at p_A = 0.99", f"{certified.radius_at_099:.3f}",
                      help="Cohen et al. 2019: α* = σ Φ⁻¹(p_A).")
    columns[1].metric("Median certified radius (toy)", f"{certified.median_radius:.3f}",
                      help=f"CERTIFY with n0 = {T.N0}, n = {T.N_CERTIFY}, α = {T.ALPHA} on "
                           f"{T.CERTIFY_POINTS} held-out points (0 for abstentions and errors).")
    columns[2].metric("Correctly certified points", f"{certified.certified} / {len(certified.radius)}")
    columns[3].metric(f"Ceiling σΦ⁻¹(α^(1/n)), n = {T.N_CERTIFY:,}", f"{certified.ceiling:.3f}",
                      help="The largest radius CERTIFY can return when all n draws agree.")
    st.markdown(result.captions[2])
    left, right = st.columns(2)
    left.plotly_chart(figures.radius_curves(certified), key="take_home_radius_figure")
    right.plotly_chart(figures.certified(certified), key="take_home_certified_figure")
    st.caption(T.NOTES[2])

# 3 ─────────────────────────────────────────────────────────── best attacks
with sections[2]:
    opening(T.MESSAGES[2])
    left, right = st.columns([1, 2])
    for name, value in defended.at_eps.items():
        left.metric(f"Accuracy at ε = {defended.eps}: {name}", f"{value:.0%}")
    left.metric("Clean accuracy: standard → adversarial",
                f"{defended.standard[0]:.0%} → {defended.adversarial[0]:.0%}")
    left.metric("Gradient computations per training step", f"1 → {1 + T.ADVERSARIAL_STEPS}",
                help=f"Each step of PGD adversarial training first runs {T.ADVERSARIAL_STEPS} PGD steps (one "
                     "input gradient each) to build the batch; ERM computes one gradient per step.")
    right.plotly_chart(figures.defenses(defended), key="take_home_adversarial_figure")
    st.markdown(result.captions[3])
    st.caption(T.NOTES[3])

# 4 ─────────────────────────────────────────────────────────── room for improvement
with sections[3]:
    opening(T.MESSAGES[3])
    columns = st.columns(4)
    columns[0].metric("ℓ2 size of ℓ∞ 8/255 on CIFAR-10", f"{bounds.linf_l2['8/255']:.2f}")
    argument = bounds.argument
    if argument is not None:
        at = "not measured" if argument.measured is None else f"{argument.best_certified_at_needed:.0%}"
        columns[3].metric(f"Certified at {argument.needed:.2f} (shipped) · Madry PGD (published)",
                          f"{at} · {argument.madry_pgd:.1%}", help=T.tradeoff.measured_sentence(argument))
    columns[1].metric("Ceiling at n = 100 000, σ = 0.25", f"{bounds.ceiling_100k:.2f}")
    if bounds.headline is not None:
        h = bounds.headline
        columns[2].metric(f"Shipped: certified accuracy of {h['model']} at r = {h['radius']:g}",
                          f"{h['accuracy']:.0%}", help=f"{h['examples']} test images, n = {h['n']}, ceiling "
                                                       f"{h['ceiling'] or 0:.2f}; {h['command']}")
    st.markdown(result.captions[4])
    left, right = st.columns(2)
    left.plotly_chart(figures.tradeoff(bounds), key="take_home_tradeoff_figure")
    right.plotly_chart(figures.ceilings(bounds), key="take_home_ceiling_figure")
    left.dataframe({column: ["— (r > ceiling)" if v is None else f"{v:.0%}" if "accuracy" in column
                             else f"{v:.3g}" for v in values] for column, values in bounds.table.items()},
                   hide_index=True)
    if bounds.shipped:
        rows = bounds.shipped
        right.dataframe({"model": [r.model for r in rows], "noise (layer)": [r.noise for r in rows],
                         "n": [r.n for r in rows], "r": [r.radius for r in rows],
                         "certified accuracy": [f"{r.accuracy:.1%}" + (" (r > ceiling: forced by n)"
                                                                       * r.beyond_ceiling) for r in rows],
                         "ceiling": ["—" if r.ceiling is None else f"{r.ceiling:.2f}" for r in rows]},
                        hide_index=True, height=220)
    st.markdown(T.IMPROVEMENT)

if result.shipped:
    st.caption(f"Seed 0's curves, certificates and gallery attack are read from assets/scenes/take_home.json "
               f"({T.BUILD_COMMAND}); any other seed computes them here.")
frame.code(T.take_home, T.toy_attack, T.certify_toy, T.smoothed_pgd_accuracy, T.limits)
