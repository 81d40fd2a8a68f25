"""``bot.lock_store.TicketQueue``: a conversation's tickets with the process holding each (no Redis)."""
from __future__ import annotations

import time

from rasa.core.lock import Ticket, TicketLock

from bot.lock_store import TicketQueue


def queue_of(*held_by: str) -> TicketQueue:
    """A queue with one 60 s ticket per owner, numbered from 0 in order."""
    queue = TicketQueue(TicketLock("c"))
    for owner in held_by:
        queue.issue(60, owner)
    return queue


def test_issued_tickets_are_numbered_in_order_and_remember_their_owner():
    queue = queue_of("a", "b", "a")
    assert [t.number for t in queue.lock.tickets] == [0, 1, 2]
    assert queue.owners == {0: "a", 1: "b", 2: "a"}
    assert queue.holders() == {"a", "b"}


def test_dropping_a_dead_owner_frees_the_lock_for_the_next_live_ticket():
    queue = queue_of("dead", "live", "dead")
    assert queue.lock.is_locked(1)
    assert queue.drop_held_by({"dead"}) is True
    assert [t.number for t in queue.lock.tickets] == [1] and not queue.lock.is_locked(1)
    assert queue.current_owners() == {1: "live"}
    assert queue.drop_held_by({"someone-else"}) is False


def test_tickets_without_a_known_owner_are_never_taken_for_dead():
    queue = queue_of("a")
    queue.lock.tickets.append(Ticket(1, time.time() + 60))    # written before owners were recorded
    queue.drop_held_by({"a"})
    assert [t.number for t in queue.lock.tickets] == [1] and queue.holders() == set()


def test_a_process_gives_back_only_its_own_ticket():
    """After a key was dropped, numbering restarts: a late give-back of "old" ticket 0 must not remove
    the ticket 0 another process holds now."""
    queue = queue_of("new-holder")
    queue.give_back(0, "old-holder")
    assert [t.number for t in queue.lock.tickets] == [0]
    queue.give_back(0, "new-holder")
    assert not queue.lock.tickets


def test_unowned_tickets_can_be_given_back():
    queue = TicketQueue(TicketLock("c"))
    queue.lock.tickets.append(Ticket(0, time.time() + 60))
    queue.give_back(0, "anyone")
    assert not queue.lock.tickets


def test_expired_tickets_go_and_their_owners_are_not_stored():
    queue = queue_of("a", "b")
    queue.lock.tickets[0].expires = time.time() - 1
    queue.remove_expired()
    assert queue.current_owners() == {1: "b"}


def test_read_decodes_what_redis_returns():
    lock = TicketLock("c")
    lock.issue_ticket(60)
    queue = TicketQueue.read("c", lock.dumps().encode(), {b"0": b"host:12:ab"})
    assert queue.numbers == {0} and queue.owners == {0: "host:12:ab"}
    empty = TicketQueue.read("c", None, {})
    assert empty.lock.conversation_id == "c" and not empty.lock.tickets
