"""torch.distributed for the command line: the same run on one process or on K ranks.

``torchrun --standalone --nproc-per-node K -m core.experiments certify …`` (or ``--nnodes`` with a
rendezvous for several machines) starts K copies of the command; :func:`start` joins them into one
process group (gloo on CPUs, NCCL on GPUs, one GPU per local rank). Work is shared in rounds: in
round t, rank r takes item t·K + r; every rank's result is gathered (:func:`gather`), and rank 0
alone writes checkpoints, the progress bar and the result file. Rows depend only on seed + index,
so the file is the one a single process writes. Without torchrun (no WORLD_SIZE in the
environment) :func:`start` returns a group of one and no process group is created.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import torch

from core.device import resolve_device


@dataclass(frozen=True)
class Group:
    """This process's place in the run: ``rank`` of ``world_size``, its ``device``, the ``backend``
    (None for a single process)."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")
    backend: str | None = None

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched() -> bool:
    """Whether torchrun (or another launcher setting WORLD_SIZE > 1) started this process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def start(device="auto") -> Group:
    """Join the launcher's process group (gloo on CPU, NCCL on CUDA, rank r on cuda:LOCAL_RANK), or a
    group of one when not launched by torchrun."""
    device = resolve_device(device)
    if not launched():
        return Group(device=device)
    import torch.distributed as dist

    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return Group(dist.get_rank(), dist.get_world_size(), device, backend)


def finish(*, synchronize: bool = True) -> None:
    """Leave torchrun's process group, if this process joined one. With ``synchronize``, every rank
    first waits for the others: a rank that exited while rank 0 was still writing the result file
    aborted in gloo's teardown ("terminate called without an active exception", SIGABRT, seen under
    load in tests/core/test_certify_at_scale.py). A failing rank leaves without waiting."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        if synchronize:
            dist.barrier()
        dist.destroy_process_group()


def broadcast(group: Group, value):
    """Rank 0's ``value`` on every rank (any picklable object)."""
    if group.world_size == 1:
        return value
    import torch.distributed as dist

    box = [value if group.is_main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather(group: Group, value) -> list:
    """Every rank's ``value``, in rank order, on every rank (any picklable object)."""
    if group.world_size == 1:
        return [value]
    import torch.distributed as dist

    values = [None] * group.world_size
    dist.all_gather_object(values, value)
    return values


def shards(items: list, group: Group):
    """Rounds of work: yields, for each round, the item of this rank (None when the list is used up)
    and the round's items of every rank, in rank order: rank r takes items[t·K + r]."""
    for start in range(0, len(items), group.world_size):
        round_items = items[start : start + group.world_size]
        mine = round_items[group.rank] if group.rank < len(round_items) else None
        yield mine, round_items


class ProgressBar:
    """One text progress bar (rank 0 only): ``[#####-----] done/total  rate  ETA``, one line per update
    (a log file keeps each line; a terminal shows the latest)."""

    def __init__(
        self, label: str, total: int, *, done: int = 0, enabled: bool = True, width: int = 30, stream=None
    ):
        self.label, self.total, self.done, self.enabled, self.width = label, total, done, enabled, width
        self.stream = stream or sys.stdout
        self.started, self.first = time.perf_counter(), done

    def update(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        filled = int(self.width * self.done / max(self.total, 1))
        elapsed = time.perf_counter() - self.started
        rate = (self.done - self.first) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        print(
            f"[{self.label}] [{'#' * filled}{'-' * (self.width - filled)}] {self.done}/{self.total} "
            f"{rate * 60:.1f}/min ETA {eta / 60:.1f} min",
            file=self.stream,
            flush=True,
        )
