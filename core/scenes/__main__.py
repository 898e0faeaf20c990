"""``python -m core.scenes build``: rebuild everything the scenes ship in assets/ — the toy networks
(core.toys, from each scene module's ``SHIPPED_TOYS``) and each scene module's own shipped results (its
``build()`` function, if any); ``--toys`` builds the toy networks only."""

from __future__ import annotations

import argparse
import sys

from core import toys
from core.scenes.registry import SCENES, module_of


def toy_specs(scenes=None) -> list[toys.ToySpec]:
    """Every spec that a registered scene ships (its module's ``SHIPPED_TOYS``), without repeats; only
    those of the scenes whose URL paths are in ``scenes`` when given."""
    specs: dict[str, toys.ToySpec] = {}
    for scene in SCENES:
        if scenes is None or scene.url_path in scenes:
            for spec in getattr(module_of(scene.url_path), "SHIPPED_TOYS", ()):
                specs.setdefault(spec.key(), spec)
    return list(specs.values())


def _log(line: str) -> None:
    print(line, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m core.scenes", description="Rebuild the toy networks and results that the scenes ship."
    )
    parser.add_argument("command", choices=["build"])
    parser.add_argument(
        "--scene",
        action="append",
        default=None,
        help="only this scene's own results (URL path, e.g. p02_composition); repeatable",
    )
    parser.add_argument("--toys", action="store_true", help="only the toy networks (of --scene's scenes)")
    parser.add_argument("--missing-only", action="store_true", help="skip toys already shipped intact")
    args = parser.parse_args(argv)
    known = {scene.url_path for scene in SCENES}
    unknown = [name for name in args.scene or [] if name not in known]
    if unknown:
        parser.exit(2, f"Unknown scene {unknown[0]!r}: choose among {', '.join(sorted(known))}.\n")
    if args.toys:  # with --scene, what the other scenes declare is not known here: no file goes
        toys.ship_all(toy_specs(args.scene), missing_only=args.missing_only, prune=not args.scene, log=_log)
        return 0
    if not args.scene:
        toys.ship_all(toy_specs(), missing_only=args.missing_only, prune=True, log=_log)
    for scene in SCENES:
        if args.scene and scene.url_path not in args.scene:
            continue
        build = getattr(module_of(scene.url_path), "build", None)
        if build is not None:
            print(f"building {scene.url_path} …", file=sys.stderr)
            build()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
