"""The room store (ui.room), both backends: the lecturer's position and its version, followers counted
while they poll, one vote per session and question, idle rooms forgotten, room names checked."""

import threading

import pytest

from ui import room as rooms


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = 1_000.0

    def __call__(self):
        return self.now


@pytest.fixture(params=["memory", "sqlite"])
def make(request, tmp_path):
    """``make(clock, idle_s)``: an empty store of the parametrised backend."""

    def build(clock, idle_s=rooms.IDLE_S):
        if request.param == "memory":
            return rooms.MemoryRooms(idle_s=idle_s, clock=clock)
        return rooms.SqliteRooms(tmp_path / "rooms.sqlite", idle_s=idle_s, clock=clock)

    return build


def test_the_position_starts_empty_and_each_move_raises_the_version(make):
    clock = Clock()
    store = make(clock)
    assert store.position("a") is None
    first = store.move("a", "app_pages/home.py", 1)
    clock.now += 5
    second = store.move("a", "app_pages/p01_erm_playground.py", 2)
    assert (second.page, second.step) == ("app_pages/p01_erm_playground.py", 2)
    assert second.version == first.version + 1
    assert second.started == first.started == 1_000.0  # the clock runs from the first move
    assert store.position("a") == second
    assert store.position("b") is None, "rooms are separate"
    store.restart_clock("a")
    assert store.position("a").started == 1_005.0


def test_followers_count_while_they_poll(make):
    clock = Clock()
    store = make(clock)
    assert store.followers("a") == 0
    for session in ("s1", "s2", "s3"):
        store.here("a", session)
    store.here("a", "s1")  # the same session polling again is one follower
    store.here("b", "s9")
    assert store.followers("a") == 3 and store.followers("b") == 1
    clock.now += rooms.FOLLOWER_S / 2
    store.here("a", "s1")
    clock.now += rooms.FOLLOWER_S / 2 + 1
    assert store.followers("a") == 1, "those who stopped polling are gone"


def test_one_vote_per_session_and_question_and_only_real_choices(make):
    store = make(Clock())
    assert store.votes("a", "q", 3) == (0, 0, 0)
    assert store.vote("a", "q", "s1", 0, 3)
    assert store.vote("a", "q", "s2", 2, 3)
    assert store.vote("a", "q", "s3", 2, 3)
    assert not store.vote("a", "q", "s1", 1, 3), "a second vote of the same session is refused"
    assert store.vote("a", "other", "s1", 1, 3), "another question is another vote"
    for bad in (3, -1, True, 1.0, "1"):
        assert not store.vote("a", "q", "s4", bad, 3)
    assert store.votes("a", "q", 3) == (1, 0, 2)
    assert store.votes("a", "other", 3) == (0, 1, 0)
    assert store.votes("b", "q", 3) == (0, 0, 0)


def test_an_idle_room_expires_and_a_busy_one_stays(make):
    clock = Clock()
    store = make(clock, idle_s=100)
    store.move("idle", "app_pages/home.py", 1)
    store.vote("idle", "q", "s1", 0, 2)
    store.move("busy", "app_pages/home.py", 1)
    for _ in range(3):
        clock.now += 60
        store.here("busy", "s1")  # a follower polling keeps the room alive
    assert store.position("idle") is None
    assert store.votes("idle", "q", 2) == (0, 0) and store.followers("idle") == 0
    assert store.position("busy") is not None
    again = store.move("idle", "app_pages/home.py", 1)
    assert again.version == 1 and again.started == clock.now, "an expired room starts afresh"


def test_concurrent_votes_are_each_counted_once(make):
    store = make(Clock())

    def voter(k):
        for _ in range(3):
            store.vote("a", "q", f"s{k}", k % 2, 2)

    threads = [threading.Thread(target=voter, args=(k,)) for k in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.votes("a", "q", 2) == (10, 10)


def test_two_stores_on_one_file_share_their_rooms(tmp_path):
    """Two server processes on one host open the same file: what one writes, the other reads."""
    path = tmp_path / "rooms.sqlite"
    one, two = rooms.SqliteRooms(path), rooms.SqliteRooms(path)
    one.move("a", "app_pages/home.py", 1)
    one.vote("a", "q", "s1", 1, 2)
    assert two.position("a").page == "app_pages/home.py"
    assert not two.vote("a", "q", "s1", 0, 2) and two.votes("a", "q", 2) == (0, 1)


def test_a_store_that_is_not_a_sqlite_file_is_one_sentence(tmp_path):
    broken = tmp_path / "rooms.sqlite"
    broken.write_text("not a database " * 100)
    with pytest.raises(ValueError, match=r"cannot be opened as a SQLite file"):
        rooms.SqliteRooms(broken)


@pytest.mark.parametrize("name", ["lecture", "ML-2026", "a", "x" * 32])
def test_a_room_name_is_letters_digits_and_dashes(name):
    assert rooms.parse_room(name) == (name, None)


@pytest.mark.parametrize("name", ["", "x" * 33, "a b", "café", "a_b", "a/b", "<script>"])
def test_any_other_room_name_is_one_sentence_and_the_default_room(name):
    used, message = rooms.parse_room(name)
    assert used == rooms.DEFAULT_ROOM
    assert message.endswith(".") and message.count(". ") == 0 and "default room" in message


def test_the_follow_link_uses_the_settable_address(monkeypatch):
    monkeypatch.delenv(rooms.FOLLOW_URL_ENV, raising=False)
    assert rooms.follow_link("r1", "127.0.0.1", 8502) == "http://127.0.0.1:8502/?follow=r1"
    wildcard = rooms.follow_link("r1", "0.0.0.0", 8501)
    assert wildcard.startswith("http://") and ":8501/?follow=r1" in wildcard and "0.0.0.0" not in wildcard
    monkeypatch.setenv(rooms.FOLLOW_URL_ENV, "http://lab.example:80/talk/")
    assert rooms.follow_link("r1", "127.0.0.1", 8502) == "http://lab.example:80/talk/?follow=r1"


def test_the_qr_code_is_an_image_drawn_here():
    shown = rooms.qr_html("http://10.0.0.2:8501/?follow=r1")
    assert shown.startswith('<img src="data:image/svg+xml'), "drawn in the page, not fetched"
    assert 'alt="QR code of http://10.0.0.2:8501/?follow=r1"' in shown
    assert shown.count("http://") == 1, "the only address is the link in its text alternative"
