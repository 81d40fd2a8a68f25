"""Owner-only files: every SQLite database the project creates (tickets, analytics, channel state, the tracker
store Rasa opens) with its -wal/-shm, the endpoints file and the API token are 0600 and the folders created
for them 0700, even under a permissive umask."""
from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from bot.channels.state import ChannelStateStore
from bot.privacy.files import private_directory, private_file, write_private_text
from bot.tickets.database import connect


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """Umask 000: anything not explicitly private would be world-readable and writable."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_ticket_and_analytics_databases_with_their_wal_files(tmp_path, permissive_umask):
    folder = tmp_path / "baru" / "var"
    database = connect(f"sqlite:///{folder / 'tickets.db'}")
    try:
        with database.writer.connect() as connection:   # while it is open, the -wal and -shm files exist
            with connection.begin():
                connection.execute(sa.text("INSERT INTO ticket_counters (day, last_value) VALUES ('20261216', 1)"))
            files = {path.name: mode(path) for path in folder.iterdir()}
        assert files == {"tickets.db": 0o600, "tickets.db-wal": 0o600, "tickets.db-shm": 0o600}
        assert mode(folder) == 0o700 and mode(folder.parent) == 0o700
    finally:
        database.reader.dispose()
    from bot.analytics.events import open_store

    open_store(f"sqlite:///{folder / 'analytics.db'}").dispose()
    assert mode(folder / "analytics.db") == 0o600


def test_channel_state_file(tmp_path, permissive_umask):
    state = ChannelStateStore.in_file(tmp_path / "state" / "channels.db")
    try:
        assert state.remember("telegram", "1:1", 1.0)
        assert {path.name: mode(path) for path in (tmp_path / "state").iterdir()} == {
            "channels.db": 0o600, "channels.db-wal": 0o600, "channels.db-shm": 0o600}
        assert mode(tmp_path / "state") == 0o700
    finally:
        state.close()


def test_servers_create_the_tracker_store_the_endpoints_and_the_token_owner_only(tmp_path, permissive_umask):
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.serve import write_token
    from bot.servers import ServerConfig, write_endpoints

    run = tmp_path / "run"
    config = ServerConfig(log_dir=run, tracker_db=run / "tracker.db", database_url="", rabbitmq_url="",
                          analytics_db_url="", api_token="rahasia-token")
    endpoints = write_endpoints(config)
    write_token(config)
    assert mode(run) == 0o700
    private = (endpoints.name, "tracker.db", "analytics.db", "api_token")
    assert {name: mode(run / name) for name in private} == dict.fromkeys(private, 0o600)
    assert (run / "api_token").read_text() == "rahasia-token"

    # Rasa opens the prepared empty file as its database and keeps its mode.
    store = SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(run / "tracker.db"))
    try:
        tracker = DialogueStateTracker("tg-1", [])
        tracker.update(UserUttered("halo"))
        asyncio.run(store.save(tracker))
    finally:
        store.engine.dispose()
    assert (run / "tracker.db").stat().st_size > 0 and mode(run / "tracker.db") == 0o600


def test_an_existing_token_file_is_made_private_before_it_is_written(tmp_path, permissive_umask):
    token = tmp_path / "api_token"
    token.write_text("lama")
    token.chmod(0o644)
    write_private_text(token, "baru")
    assert mode(token) == 0o600 and token.read_text() == "baru"


def test_existing_files_and_folders_are_left_as_they_are(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    kept = shared / "kept.db"
    kept.write_bytes(b"")
    kept.chmod(0o640)
    private_directory(shared)
    private_file(kept)
    assert (mode(shared), mode(kept)) == (0o755, 0o640)
