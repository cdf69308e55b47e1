import threading
from dataclasses import dataclass

from kiosk.events import Event, EventHub


@dataclass(frozen=True)
class QueueDepth(Event):
    depth: int


@dataclass(frozen=True)
class WentOffline(Event):
    pass


def test_subscribers_get_their_kind_and_subclasses():
    hub = EventHub()
    depths, everything = [], []
    hub.subscribe(QueueDepth, depths.append)
    hub.subscribe(Event, everything.append)
    hub.publish(QueueDepth(3))
    hub.publish(WentOffline())
    assert depths == [QueueDepth(3)]
    assert everything == [QueueDepth(3), WentOffline()]


def test_unsubscribe_and_a_failing_subscriber_does_not_stop_others(caplog):
    hub = EventHub()
    seen = []

    def broken(_event):
        raise RuntimeError("boom")

    hub.subscribe(QueueDepth, broken)
    stop = hub.subscribe(QueueDepth, seen.append)
    hub.publish(QueueDepth(1))
    stop()
    stop()  # twice is harmless
    hub.publish(QueueDepth(2))
    assert seen == [QueueDepth(1)]
    assert "subscriber failed on QueueDepth" in caplog.text


def test_publishing_from_many_threads_while_subscribing():
    hub = EventHub()
    counts = []
    lock = threading.Lock()

    def count(event):
        with lock:
            counts.append(event.depth)

    hub.subscribe(QueueDepth, count)

    def publisher(n):
        for i in range(200):
            hub.publish(QueueDepth(n * 1000 + i))

    threads = [threading.Thread(target=publisher, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for _ in range(50):
        hub.subscribe(WentOffline, lambda e: None)()
    for t in threads:
        t.join()
    assert len(counts) == 800 and len(set(counts)) == 800
