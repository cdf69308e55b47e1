"""The kiosk's voice: a sentence spoken in a language by the system's speech engine.

speech-dispatcher (`spd-say`) when its command is there, else espeak-ng: both are Debian
packages the .deb recommends, optional at run time. A newer announcement cuts off the one
being spoken (its child is killed), as a screen reader does; spawning and waiting happen in
one worker thread, so `say` never blocks its caller. The words spoken are a shopper's screen:
they go to the child as an argv list (no shell) and are never logged.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from typing import Callable

from kiosk.i18n import N_

log = logging.getLogger(__name__)

# The app's languages (kiosk.i18n.LANGUAGES) as the engines name their voices.
VOICES = {"en": "en", "es": "es", "fr": "fr", "ar": "ar"}
ENGINES = ("spd-say", "espeak-ng")  # speech-dispatcher first: it shares the sound device politely
DEFAULT_VOLUME = 0.8  # 0..1
DEFAULT_RATE = 1.0  # the engine's normal pace times this
ESPEAK_WPM = 175  # espeak-ng's own default words per minute
RENDER_TIMEOUT_S = 60
UNAVAILABLE = N_("Speech is not available on this kiosk. Ask a member of staff.")


class SpeechUnavailable(Exception):
    """No speech engine on PATH; `UNAVAILABLE` is the sentence to show."""


def voice(language: str) -> str:
    return VOICES.get(language.split("_")[0].split("-")[0], "en")


def find_engine(which: Callable[[str], str | None] = shutil.which) -> str | None:
    """The path of the first engine found on PATH, in ENGINES' order."""
    for name in ENGINES:
        found = which(name)
        if found:
            return found
    return None


def command(engine: str, text: str, language: str, volume: float, rate: float) -> list[str]:
    volume, rate = min(max(volume, 0.0), 1.0), min(max(rate, 0.25), 3.0)
    if engine.endswith("spd-say"):
        # -w: spd-say waits for the end of the sentence, so killing it is how one is cut off.
        return [engine, "-w", "-l", voice(language), "-i", str(round(volume * 200 - 100)),
                "-r", str(round(min(max((rate - 1.0) * 100, -100), 100))), "--", text]
    return [engine, "-v", voice(language), "-a", str(round(volume * 200)), "-s", str(round(ESPEAK_WPM * rate)),
            "--", text]


def cancel_command(engine: str) -> list[str] | None:
    """What silences an engine beyond killing its child: speech-dispatcher's server goes on
    with a sentence whose client died, so it is told to cancel (espeak-ng speaks itself)."""
    return [engine, "-C"] if engine.endswith("spd-say") else None


def render_wav(text: str, language: str, path: str, which: Callable[[str], str | None] = shutil.which) -> None:
    """`text` spoken by espeak-ng into the WAV file `path` (blocking: not for a screen's thread)."""
    engine = which("espeak-ng")
    if not engine:
        raise SpeechUnavailable(UNAVAILABLE)
    subprocess.run([engine, "-w", path, "-v", voice(language), "--", text], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=RENDER_TIMEOUT_S)


class Speech:
    """`say(text, language)` speaks, cutting off what was being said; `stop()` silences.
    `launch` starts a child from an argv list (subprocess.Popen; a test's recorder)."""

    def __init__(self, launch: Callable[..., subprocess.Popen] = subprocess.Popen,
                 which: Callable[[str], str | None] = shutil.which, failed: Callable[[], None] | None = None):
        self.launch, self.which, self.failed = launch, which, failed
        self.volume, self.rate = DEFAULT_VOLUME, DEFAULT_RATE
        self._lock = threading.Condition()
        self._pending: list[list[str]] = []  # the worker's next children, in order
        self._child = None
        self._generation = 0
        self._closed = False
        self._worker: threading.Thread | None = None
        self._found: tuple[str | None] | None = None

    def engine(self) -> str | None:
        # Looked up once: a search of PATH is the disk, and say() is called on a screen's thread.
        if self._found is None:
            self._found = (find_engine(self.which),)
        return self._found[0]

    def available(self) -> bool:
        return self.engine() is not None

    def say(self, text: str, language: str) -> None:
        engine = self.engine()
        if engine is None:
            raise SpeechUnavailable(UNAVAILABLE)
        if not text.strip():
            return
        with self._lock:
            self._generation += 1
            self._pending = [*self._silence_locked(engine), command(engine, text, language, self.volume, self.rate)]
            self._start_locked()
            self._lock.notify()

    def stop(self) -> None:
        engine = self.engine()
        with self._lock:
            self._generation += 1
            self._pending = self._silence_locked(engine) if engine else []
            if self._pending:
                self._start_locked()
                self._lock.notify()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._pending = []
            self._kill_locked()
            self._lock.notify()

    def speaking(self) -> bool:
        with self._lock:
            return bool(self._pending) or (self._child is not None and self._child.poll() is None)

    def _start_locked(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._run, name="speech", daemon=True)
            self._worker.start()

    def _silence_locked(self, engine: str) -> list[list[str]]:
        """Kills the sentence being said; the engine's own cancel, when it needs one, goes first."""
        speaking = self._child is not None and self._child.poll() is None
        self._kill_locked()
        cancel = cancel_command(engine)
        return [cancel] if speaking and cancel else []

    def _kill_locked(self) -> None:
        # kill() only sends the signal: the worker waits for the child, not the caller.
        if self._child is not None and self._child.poll() is None:
            self._child.kill()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                argv, generation = self._pending.pop(0), self._generation
                try:
                    child = self.launch(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
                except OSError as exc:
                    log.warning("The speech engine %s could not start: %s", argv[0], exc.strerror)
                    child = None
                self._child = child
            if child is None:
                if self.failed is not None:
                    self.failed()
                continue
            if generation != self._generation and argv[-1:] != ["-C"]:
                child.kill()  # a newer sentence came while this one was starting
            child.wait()
            with self._lock:
                if self._child is child:
                    self._child = None
