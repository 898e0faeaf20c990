"""``python -m core.scenes build``: rebuild everything the scenes ship in assets/ — the toy networks
(core.toys) and each scene module's own shipped results (its ``build()`` function, if any)."""

from __future__ import annotations

import argparse
import importlib
import sys

from core import toys
from core.scenes.registry import SCENES


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
    args = parser.parse_args(argv)
    known = {scene.url_path for scene in SCENES}
    unknown = [name for name in args.scene or [] if name not in known]
    if unknown:
        parser.exit(2, f"Unknown scene {unknown[0]!r}: choose among {', '.join(sorted(known))}.\n")
    if not args.scene:
        toys.main(["build"])
    for scene in SCENES:
        if args.scene and scene.url_path not in args.scene:
            continue
        build = getattr(importlib.import_module(scene.module), "build", None)
        if build is not None:
            print(f"building {scene.url_path} …", file=sys.stderr)
            build()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
