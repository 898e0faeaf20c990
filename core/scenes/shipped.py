"""The scene kit: one way for a scene to ship its expensive opening results and read them back.

A scene function that is worth shipping is written as a public function whose keyword defaults are the
page's opening values (:func:`defaults`), over a ``<name>_live`` function that always computes::

    def toy_maps(*, layer: int = 0, noise: str = "gaussian", scale: float = 0.1, seed: int = 0) -> ToyMaps:
        return shipped.or_live(toy_maps_live, locals(), depends=[toy_spec(seed)])

:func:`or_live` returns the result shipped in ``assets/scenes/<scene module>.json`` for exactly these
arguments when what it was computed from is unchanged, and ``live(**arguments)`` otherwise. The parts:

- **the key** of a call: ``json.dumps([name, sorted(arguments.items())])``, ``name`` the public
  function's (the caller of :func:`or_live`); a ``progress`` callback only follows a live run and is no
  part of it.
- **the stamp** of what a result depends on, given explicitly as ``depends=``: zoo model names (their
  manifest sha256), ``core.toys.ToySpec``s (their shipped weights' sha256) and the code trusted to have
  computed it (a module or a path: the file's sha256); :func:`stamp` turns them into ``{label: sha256}``,
  recorded beside the result and compared on every read.
- **the codec**: :func:`encode` / :func:`decode` turn a frozen result dataclass (NumPy arrays with their
  dtype and shape, nested result dataclasses, tuples) into JSON and back; the type is looked up by name in
  the scene module.
- **the file**: ``{"command": BUILD, "results": {key: {"depends": stamp, "result": encoded}}}``, read once
  per (mtime, size) of the file, so a rebuilt file is picked up by a running server.
- **the build**: :func:`build` runs the scene's public calls with shipping switched off (:func:`live`)
  and writes every result they computed through :func:`or_live` (``python -m core.scenes build``); a
  scene ships its opening calls at every seed of core.toys.SHIPPED_SEEDS (:func:`at_seeds`), so that
  moving the sidebar's seed reads a file instead of computing.

``tests/scenes/test_shipped.py`` recomputes every shipped result live and compares it with the file.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import hashlib
import inspect
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

from core.files import write_atomic

SCENES_DIR = Path(__file__).resolve().parents[2] / "assets" / "scenes"
ROOT = SCENES_DIR.parents[1]

# None: read shipped results; a list: compute live and collect (path, key, record) for build().
_collected: contextvars.ContextVar[list | None] = contextvars.ContextVar("shipped_collected", default=None)


def scene_file(module: str | ModuleType) -> Path:
    """``assets/scenes/<module's last name>.json``."""
    name = module if isinstance(module, str) else module.__name__
    return SCENES_DIR / f"{name.rsplit('.', 1)[-1]}.json"


def build_command(module: str | ModuleType) -> str:
    """The command that rebuilds a scene's shipped file (the scene's URL path from the registry)."""
    from core.scenes.registry import SCENES

    name = module if isinstance(module, str) else module.__name__
    url_path = next(scene.url_path for scene in SCENES if scene.module == name)
    return f"python -m core.scenes build --scene {url_path}"


def defaults(function) -> dict:
    """The keyword defaults of a scene function: the page's opening values and its shipped call.
    A ``progress`` callback only follows a run, so it is left out."""
    return {
        name: parameter.default
        for name, parameter in inspect.signature(function).parameters.items()
        if name != "progress" and parameter.default is not inspect.Parameter.empty
    }


def call_key(name: str, arguments: dict) -> str | None:
    """The shipped file's key of ``name(**arguments)`` (None for values JSON cannot hold)."""
    try:
        return json.dumps([name, sorted((k, v) for k, v in arguments.items() if k != "progress")])
    except TypeError:
        return None


@functools.lru_cache(maxsize=64)
def _code_sha(path: str, stamp: tuple) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def stamp(depends) -> dict:
    """``{label: sha256}`` of what a result depends on: a zoo model name → its manifest sha256 (None when
    it is not in the zoo), a core.toys.ToySpec → its key and its shipped weights' sha256 (None when not
    shipped), a module or a path → the file relative to the repository and its content's sha256."""
    from core import toys, zoo

    stamped = {}
    for item in depends:
        if isinstance(item, str):
            stamped[item] = zoo.entry(item).get("sha256") if item in zoo.names() else None
        elif isinstance(item, toys.ToySpec):
            stamped[item.key()] = (toys.read_manifest()["toys"].get(item.key()) or {}).get("sha256")
        else:
            path = Path(item.__file__ if isinstance(item, ModuleType) else item).resolve()
            stat = path.stat()
            label = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
            stamped[label] = _code_sha(str(path), (stat.st_mtime_ns, stat.st_size))
    return stamped


def encode(result) -> dict:
    """A result dataclass as JSON-ready data (arrays with their dtype and shape; nested result dataclasses,
    e.g. a tuple of rows, as records of their own)."""

    def value(item):
        if isinstance(item, np.ndarray):
            return {"array": item.tolist(), "dtype": str(item.dtype), "shape": list(item.shape)}
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            return encode(item)
        if isinstance(item, (list, tuple)):
            return [value(element) for element in item]
        return item

    fields = {field.name: value(getattr(result, field.name)) for field in dataclasses.fields(result)}
    return {"type": type(result).__name__, "fields": fields}


def decode(record: dict, module: ModuleType):
    """The inverse of :func:`encode`; result types are looked up by name in ``module``. A list becomes a
    tuple whose records are decoded (other elements are kept as read)."""

    def value(item):
        if isinstance(item, dict) and "array" in item:
            return np.array(item["array"], dtype=item["dtype"]).reshape(item["shape"])
        if isinstance(item, dict) and "type" in item and "fields" in item:
            return decode(item, module)
        if isinstance(item, list):
            return tuple(value(element) if isinstance(element, dict) else element for element in item)
        return item

    kind = getattr(module, record["type"], None)
    if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
        raise ValueError(f"{record['type']!r} is not a result type of {module.__name__}.")
    return kind(**{name: value(item) for name, item in record["fields"].items()})


@functools.lru_cache(maxsize=16)
def _read(path: str, file_stamp: tuple) -> dict:
    try:
        content = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return content if isinstance(content, dict) else {}


def _content(module: str | ModuleType) -> dict:
    """A scene module's shipped file as read (once per mtime and size), {} when absent or unreadable."""
    path = scene_file(module)
    try:
        stat = path.stat()
    except OSError:
        return {}
    return _read(str(path), (stat.st_mtime_ns, stat.st_size))


def records(module: str | ModuleType) -> dict:
    """The shipped file of a scene module as {key: {"depends", "result"}} ({} when absent or unreadable)."""
    results = _content(module).get("results")
    return results if isinstance(results, dict) else {}


def kept(module: str | ModuleType, key: str):
    """What the file holds under ``key`` beside the results (written by others, kept by :func:`build`'s
    ``keep``), as shipped; None when absent."""
    return _content(module).get(key)


def read(module: str, name: str, arguments: dict, depends=()):
    """The result of ``module.name(**arguments)`` shipped in the module's scene file, if there is one and
    its stamp equals today's :func:`stamp` of ``depends``; else None."""
    key = call_key(name, arguments)
    record = records(module).get(key) if key else None
    if not isinstance(record, dict):
        return None
    try:
        if record["depends"] != stamp(depends):
            return None
        return decode(record["result"], sys.modules[module])
    except (ValueError, KeyError, TypeError):
        return None


def or_live(live, arguments: dict, *, depends=()):
    """Called by a scene's public function: its result shipped for ``arguments`` (:func:`read`; the key
    is the calling function's name, the file its module's), or ``live(**arguments)`` computed here."""
    caller = sys._getframe(1)
    module, name = caller.f_globals["__name__"], caller.f_code.co_name
    collected = _collected.get()
    if collected is None:
        shipped = read(module, name, arguments, depends)
        return live(**arguments) if shipped is None else shipped
    result = live(**arguments)
    key = call_key(name, arguments)
    if key is not None:
        collected.append((module, key, {"depends": stamp(depends), "result": encode(result)}))
    return result


@contextlib.contextmanager
def live():
    """Within this block :func:`or_live` computes every result (nothing shipped is read); yields the list
    of (module, key, record) it computed."""
    token = _collected.set([])
    try:
        yield _collected.get()
    finally:
        _collected.reset(token)


def at_seeds(calls, seeds) -> list:
    """The calls of ``calls`` that take a ``seed``, repeated at each of ``seeds``: what a page opens with
    when the sidebar's seed moves (the toys of core.toys.SHIPPED_SEEDS are shipped; so are these)."""
    return [
        (function, {**arguments, "seed": seed})
        for function, arguments in calls
        if "seed" in arguments
        for seed in seeds
    ]


def build(module: str | ModuleType, calls, keep: tuple[str, ...] = ()) -> None:
    """Compute each ``(public function, arguments)`` of ``calls`` live and write every result of
    ``module`` they computed through :func:`or_live` to its scene file (atomically), with the command
    that rebuilds it; the file's keys named in ``keep`` (rows a bench measured, say) stay as they were."""
    name = module if isinstance(module, str) else module.__name__
    with live() as collected:
        for function, arguments in calls:
            function(**arguments)
    try:
        before = json.loads(scene_file(name).read_text())
    except (OSError, ValueError):
        before = {}
    content = {key: before[key] for key in keep if isinstance(before, dict) and key in before}
    content |= {"command": build_command(name), "results": {}}
    content["results"] = {key: record for owner, key, record in collected if owner == name}
    write_atomic(scene_file(name), json.dumps(content) + "\n")
