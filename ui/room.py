"""A lecture's room: where the lecturer is in the talk, who follows, and the room's votes.

One room per name, shared by the lecturer's projector (``/?presenter=1&room=NAME``), the speaker
console (``/console?room=NAME``) and the students who follow (``/?follow=NAME``). Streamlit has no push
between sessions: each session polls its room (ui.lecture) and reruns when the position changed.

The state lives behind one small interface, :class:`Rooms`, with two stores:
- :class:`MemoryRooms` (the default): in this server process, for one ``streamlit run``;
- :class:`SqliteRooms`: a SQLite file, so that several server processes (replicas behind a proxy) on
  one host share their rooms. Set the environment variable ``RDL_ROOMS`` to the file's path.

Nothing a follower sends moves the room: followers only report that they are there and vote, one vote
per session and question; the position is written by the lecturer's projector and console alone. A
room idle for ``idle_s`` seconds is forgotten.
"""

from __future__ import annotations

import html
import os
import re
import socket
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DEFAULT_ROOM = "lecture"
NAME = re.compile(r"[A-Za-z0-9-]{1,32}")
ROOMS_ENV = "RDL_ROOMS"  # a SQLite file's path: rooms shared by the server processes of one host
FOLLOW_URL_ENV = "RDL_FOLLOW_URL"  # the address students open, e.g. http://192.168.1.20:8501
IDLE_S = 3 * 3600.0  # a room nobody touched for this long is forgotten (a talk with its breaks is shorter)
FOLLOWER_S = 60.0  # a follower not heard from for this long no longer counts (a long first paint included)
MAX_CHOICES = 8


def parse_room(raw: str | None) -> tuple[str, str | None]:
    """The room a link names, and one sentence when the name cannot be used (then the default room)."""
    if raw is None:
        return DEFAULT_ROOM, None
    text = str(raw)
    if NAME.fullmatch(text):
        return text, None
    return DEFAULT_ROOM, (
        f"The room name {text[:40]!r} is not 1 to 32 letters, digits or dashes; "
        f"the default room {DEFAULT_ROOM!r} is used."
    )


@dataclass(frozen=True)
class Position:
    """Where the lecturer is: ``step`` of ``page``; ``version`` grows at every move, ``started`` is
    when the room's clock started (seconds since the epoch)."""

    page: str
    step: int
    version: int
    started: float


class Rooms:
    """The interface of a room store; every method takes the room's name (already checked)."""

    def position(self, room: str) -> Position | None:
        """The lecturer's position, None before the first move (or after the room expired)."""
        raise NotImplementedError

    def move(self, room: str, page: str, step: int) -> Position:
        """The lecturer moves to ``step`` of ``page`` (the room is created on its first move)."""
        raise NotImplementedError

    def restart_clock(self, room: str) -> None:
        """The room's elapsed time starts again from now."""
        raise NotImplementedError

    def here(self, room: str, session: str) -> None:
        """Follower ``session`` is in the room (called as it polls)."""
        raise NotImplementedError

    def followers(self, room: str) -> int:
        """How many follower sessions polled in the last FOLLOWER_S seconds."""
        raise NotImplementedError

    def vote(self, room: str, question: str, session: str, choice: int, choices: int) -> bool:
        """Record ``session``'s vote for ``choice`` (0…choices-1) on ``question``: False, nothing
        recorded, when the session has already voted on it or the choice is not one of them."""
        raise NotImplementedError

    def votes(self, room: str, question: str, choices: int) -> tuple[int, ...]:
        """The number of votes for each of the question's ``choices``."""
        raise NotImplementedError


def _valid_choice(choice, choices: int) -> bool:
    return (
        isinstance(choice, int)
        and not isinstance(choice, bool)
        and 0 < choices <= MAX_CHOICES
        and 0 <= choice < choices
    )


@dataclass
class _Room:
    started: float
    touched: float
    page: str | None = None
    step: int = 0
    version: int = 0
    followers: dict[str, float] = field(default_factory=dict)
    votes: dict[str, dict[str, int]] = field(default_factory=dict)


class MemoryRooms(Rooms):
    """Rooms in this process (every session of one server), guarded by a lock."""

    def __init__(self, *, idle_s: float = IDLE_S, clock=time.time):
        self.idle_s, self.clock = idle_s, clock
        self._rooms: dict[str, _Room] = {}
        self._lock = threading.Lock()

    def _room(self, room: str, *, create: bool) -> _Room | None:
        now = self.clock()
        for name in [n for n, r in self._rooms.items() if now - r.touched > self.idle_s]:
            del self._rooms[name]
        found = self._rooms.get(room)
        if found is None and create:
            found = self._rooms[room] = _Room(started=now, touched=now)
        if found is not None and create:
            found.touched = now
        return found

    def position(self, room):
        with self._lock:
            found = self._room(room, create=False)
            if found is None or found.page is None:
                return None
            return Position(found.page, found.step, found.version, found.started)

    def move(self, room, page, step):
        with self._lock:
            found = self._room(room, create=True)
            if found.page is None:
                found.started = self.clock()
            found.page, found.step, found.version = page, int(step), found.version + 1
            return Position(found.page, found.step, found.version, found.started)

    def restart_clock(self, room):
        with self._lock:
            self._room(room, create=True).started = self.clock()

    def here(self, room, session):
        with self._lock:
            self._room(room, create=True).followers[session] = self.clock()

    def followers(self, room):
        with self._lock:
            found = self._room(room, create=False)
            now = self.clock()
            return 0 if found is None else sum(now - seen <= FOLLOWER_S for seen in found.followers.values())

    def vote(self, room, question, session, choice, choices):
        if not _valid_choice(choice, choices):
            return False
        with self._lock:
            ballots = self._room(room, create=True).votes.setdefault(question, {})
            if session in ballots:
                return False
            ballots[session] = choice
            return True

    def votes(self, room, question, choices):
        with self._lock:
            found = self._room(room, create=False)
            ballots = {} if found is None else found.votes.get(question, {})
            return tuple(sum(choice == k for choice in ballots.values()) for k in range(choices))


SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (name TEXT PRIMARY KEY, page TEXT, step INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 0, started REAL NOT NULL, touched REAL NOT NULL);
CREATE TABLE IF NOT EXISTS followers (room TEXT NOT NULL, session TEXT NOT NULL, seen REAL NOT NULL,
    PRIMARY KEY (room, session));
CREATE TABLE IF NOT EXISTS votes (room TEXT NOT NULL, question TEXT NOT NULL, session TEXT NOT NULL,
    choice INTEGER NOT NULL, PRIMARY KEY (room, question, session));
"""


class SqliteRooms(Rooms):
    """Rooms in a SQLite file, shared by every server process of the host that opens the same file.
    One short connection per call (Streamlit runs each script run in its own thread)."""

    def __init__(self, path: str | Path, *, idle_s: float = IDLE_S, clock=time.time):
        self.path, self.idle_s, self.clock = str(path), idle_s, clock
        try:
            db = self._connect()
            try:
                db.execute("PRAGMA journal_mode=WAL")  # readers (polls) never wait for a writer
                db.executescript(SCHEMA)
            finally:
                db.close()
        except sqlite3.Error as error:
            raise ValueError(
                f"The room store {self.path!r} (set by {ROOMS_ENV}) cannot be opened as a SQLite file: "
                f"{error}."
            ) from error

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _write(self, room: str, statements):
        """Run ``statements(db, now)`` in one transaction after creating (or touching) the room and
        forgetting idle rooms."""
        now = self.clock()
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            expired = now - self.idle_s
            for table, column in (("followers", "room"), ("votes", "room")):
                db.execute(
                    f"DELETE FROM {table} WHERE {column} IN (SELECT name FROM rooms WHERE touched < ?)",
                    (expired,),
                )
            db.execute("DELETE FROM rooms WHERE touched < ?", (expired,))
            db.execute(
                "INSERT INTO rooms (name, started, touched) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET touched = excluded.touched",
                (room, now, now),
            )
            result = statements(db, now)
            db.execute("COMMIT")
            return result
        except BaseException:
            db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def _read(self, query: str, parameters: tuple) -> list[tuple]:
        db = self._connect()
        try:
            return db.execute(query, parameters).fetchall()
        finally:
            db.close()

    def _alive(self) -> float:
        return self.clock() - self.idle_s

    def position(self, room):
        rows = self._read(
            "SELECT page, step, version, started FROM rooms "
            "WHERE name = ? AND touched >= ? AND page IS NOT NULL",
            (room, self._alive()),
        )
        return Position(rows[0][0], rows[0][1], rows[0][2], rows[0][3]) if rows else None

    def move(self, room, page, step):
        def statements(db, now):
            db.execute(
                "UPDATE rooms SET started = CASE WHEN page IS NULL THEN ? ELSE started END, "
                "page = ?, step = ?, version = version + 1 WHERE name = ?",
                (now, page, int(step), room),
            )
            found = db.execute(
                "SELECT page, step, version, started FROM rooms WHERE name = ?", (room,)
            ).fetchone()
            return Position(*found)

        return self._write(room, statements)

    def restart_clock(self, room):
        self._write(
            room, lambda db, now: db.execute("UPDATE rooms SET started = ? WHERE name = ?", (now, room))
        )

    def here(self, room, session):
        self._write(
            room,
            lambda db, now: db.execute(
                "INSERT INTO followers (room, session, seen) VALUES (?, ?, ?) "
                "ON CONFLICT(room, session) DO UPDATE SET seen = excluded.seen",
                (room, session, now),
            ),
        )

    def followers(self, room):
        now = self.clock()
        rows = self._read(
            "SELECT COUNT(*) FROM followers JOIN rooms ON rooms.name = followers.room "
            "WHERE room = ? AND seen >= ? AND touched >= ?",
            (room, now - FOLLOWER_S, now - self.idle_s),
        )
        return rows[0][0]

    def vote(self, room, question, session, choice, choices):
        if not _valid_choice(choice, choices):
            return False

        def statements(db, now):
            inserted = db.execute(
                "INSERT OR IGNORE INTO votes (room, question, session, choice) VALUES (?, ?, ?, ?)",
                (room, question, session, choice),
            )
            return inserted.rowcount == 1

        return self._write(room, statements)

    def votes(self, room, question, choices):
        rows = self._read(
            "SELECT choice, COUNT(*) FROM votes JOIN rooms ON rooms.name = votes.room "
            "WHERE room = ? AND question = ? AND touched >= ? GROUP BY choice",
            (room, question, self._alive()),
        )
        counted = dict(rows)
        return tuple(counted.get(k, 0) for k in range(choices))


@cache
def store() -> Rooms:
    """This server's room store: a SQLite file when ``RDL_ROOMS`` names one, else in this process."""
    path = os.environ.get(ROOMS_ENV, "").strip()
    return SqliteRooms(path) if path else MemoryRooms()


def _network_address() -> str:
    """The address other machines of the local network reach this one at (no packet is sent: a UDP
    socket's connect only picks the outgoing interface); 127.0.0.1 when there is no network."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def follow_base(server_address: str | None, port: int, base_path: str = "") -> str:
    """The address students open, ending in "/": ``RDL_FOLLOW_URL`` when set, else the address the
    server listens on when it names one (``--server.address``), else this machine's network address."""
    configured = os.environ.get(FOLLOW_URL_ENV, "").strip()
    if configured:
        return configured.rstrip("/") + "/"
    host = (
        server_address if server_address and server_address not in ("0.0.0.0", "::") else _network_address()
    )
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    path = base_path.strip("/")
    return f"http://{host}:{port}/" + (f"{path}/" if path else "")


def follow_link(room: str, server_address: str | None, port: int, base_path: str = "") -> str:
    """The link a student opens to follow ``room``."""
    return f"{follow_base(server_address, port, base_path)}?follow={room}"


def qr_html(link: str) -> str:
    """``link`` as a QR code: an ``<img>`` whose SVG is inline in its data address (drawn here, no request
    leaves the machine; ``st.html`` keeps an image but strips an inline ``<svg>``)."""
    import segno

    uri = segno.make(link, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")
    return f'<img src="{uri}" alt="QR code of {html.escape(link)}" style="display: block; margin: auto;">'
