"""5 · Geometric interpretation: adversarial examples live next to the decision boundary, and networks
do not preserve distances (Szegedy et al. 2014; Madry et al. 2018). Computed by core.scenes.geometry."""

from core.scenes import geometry as scene
from ui import frame, layout, lecture, url
from ui.figures import geometry as figures
from ui.frame import st

P = scene.PARAMETERS


def pick_from_chart() -> None:
    """on_select callback: a clicked point of the chart becomes (x₁, x₂) before the next run."""
    points = st.session_state["p05_regions"]["selection"]["points"]
    if points:
        st.session_state["p05_x1"] = round(float(points[0]["x"]), 3)
        st.session_state["p05_x2"] = round(float(points[0]["y"]), 3)


frame.header("p05_geometry")
seed = layout.seed_input()

controls, board = st.columns([1, 3], gap="large")
with controls:
    dataset = url.selectbox("Toy data", P["dataset"])
    toy = frame.compute(scene.toy, spinner="Loading the toy network…", dataset=dataset, seed=seed)
    # A new toy (data set or seed) starts from its own default point, near its boundary.
    if st.session_state.get("p05_point_for") != (dataset, seed) or "p05_x1" not in st.session_state:
        st.session_state["p05_x1"], st.session_state["p05_x2"] = toy.default_point
        st.session_state["p05_point_for"] = (dataset, seed)
    x1 = url.number_input("x₁", P["x1"], format="%.3f")
    x2 = url.number_input("x₂", P["x2"], format="%.3f")
    eps = url.select_slider("Budget ε", P["eps"])
    norm = url.radio("Ball", P["norm"], format_func=scene.NORM_NAMES.get, horizontal=True)
    help = "Step size 2.5·ε/steps (a later heuristic, not Madry et al.'s 2/255), no random start."
    steps = url.select_slider("PGD steps", P["steps"], help=help)
    output = url.radio("Measure F as", P["output"], format_func=scene.OUTPUTS.get)

result = frame.compute(
    scene.attack,
    spinner=None,
    dataset=dataset,
    x1=float(x1),
    x2=float(x2),
    eps=float(eps),
    norm=norm,
    steps=int(steps),
    output=output,
    seed=seed,
)

with board, lecture.step(2):
    columns = st.columns(5)
    columns[0].metric("F(x) → F(x_adv)", f"{result.label} → {result.final}")
    columns[1].metric(
        "Crossing step", "never" if result.crossing is None else f"{result.crossing} of {result.steps}"
    )
    columns[2].metric(f"‖x_adv − x‖ ({'ℓ∞' if norm == 'linf' else 'ℓ2'})", f"{result.distance:.3f}")
    columns[3].metric("Median stretch at x", f"{result.at_point_median:.3g}", help=scene.median_help(result))
    columns[4].metric("Max stretch at x", f"{result.at_point_max:.3g}")
    st.plotly_chart(
        figures.attack_regions(toy, result),
        key="p05_regions",
        on_select=pick_from_chart,
        selection_mode="points",
    )
    st.caption(
        scene.path_caption(result) + " Markers on the path take the colour of the class F "
        "gives them" + (" (black line: P(class 1) = ½)." if toy.boundary is not None else ".")
    )
with board, lecture.step(3):
    st.plotly_chart(figures.stretch(result), key="p05_stretch")
    st.caption(scene.stretch_caption(result))

frame.code(scene.attack, scene.toy)
