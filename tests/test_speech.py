"""The kiosk's voice (kiosk/speech.py) with the real engine: every announcement the kiosk can
make renders in every language; the engine's choice, a newer sentence cutting off an older
one, a missing engine, and a call that never waits for the child."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import wave
from pathlib import Path

import pytest

from kiosk import catalogues, i18n, speech

ROOT = Path(__file__).resolve().parent.parent
ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None, reason="espeak-ng is not installed (scripts/setup.sh installs it)")
# Where a sentence the kiosk speaks is written: the mode's own words, every line that sets a
# screen's title (attract's is `scan`), and the window's outcomes (notices, questions, banners).
SPOKEN_FILES = ("kiosk/speech.py", "ui/selfservice/speech.py", "ui/selfservice/window.py")
TITLE_CALLS = ("title.setText(", "scan.setText(", "greeting.setText(", "outcome.setText(")


def announcements() -> list[str]:
    lines: dict[str, list[str]] = {}
    found = []
    for message in catalogues.extract():
        if not message.id or not isinstance(message.id, str):
            continue
        for filename, lineno in message.locations:
            if filename in SPOKEN_FILES:
                found.append(message.id)
                break
            if filename.startswith("ui/selfservice/"):
                source = lines.setdefault(filename, (ROOT / filename).read_text(encoding="utf-8").splitlines())
                if any(call in source[lineno - 1] for call in TITLE_CALLS):
                    found.append(message.id)
                    break
    return found


def test_the_announcements_cover_titles_the_modes_words_and_outcomes():
    said = announcements()
    for expected in ("Scan your card", "Check a gift card", "Choose your language", "Thank you!",
                     speech.UNAVAILABLE, "Read aloud", "Speech is off.", "Still there?"):
        assert expected in said


@needs_espeak
@pytest.mark.parametrize("language", ["en", "es", "fr", "ar"])
def test_every_announcement_renders_to_a_wav_in_each_language(tmp_path, language):
    translations = i18n.catalogue(language)
    said = announcements()
    for n, source in enumerate(said):
        text = translations.gettext(source)
        if language != "en":
            assert text != source or len(source) < 8, f"{source!r} is not translated into {language}"
        out = tmp_path / f"{n}.wav"
        speech.render_wav(text, language, str(out))
        raw = out.read_bytes()
        assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE" and b"data" in raw[:256], source
        with wave.open(str(out)) as audio:
            assert audio.getnframes() > 0 and audio.getnchannels() == 1, source


def test_render_wav_without_espeak_says_so(tmp_path):
    with pytest.raises(speech.SpeechUnavailable) as caught:
        speech.render_wav("Hello", "en", str(tmp_path / "x.wav"), which=lambda _name: None)
    assert str(caught.value) == speech.UNAVAILABLE


def test_speech_dispatcher_is_preferred_and_espeak_is_the_fallback():
    both = {"spd-say": "/usr/bin/spd-say", "espeak-ng": "/usr/bin/espeak-ng"}
    assert speech.find_engine(both.get) == "/usr/bin/spd-say"
    assert speech.find_engine({"espeak-ng": "/usr/bin/espeak-ng"}.get) == "/usr/bin/espeak-ng"
    assert speech.find_engine(lambda _name: None) is None
    spd = speech.command("/usr/bin/spd-say", "Hola", "es", 1.0, 1.0)
    assert spd[:4] == ["/usr/bin/spd-say", "-w", "-l", "es"] and spd[-1] == "Hola" and "-i" in spd
    espeak = speech.command("/usr/bin/espeak-ng", "مرحبا", "ar", 0.5, 2.0)
    assert espeak == ["/usr/bin/espeak-ng", "-v", "ar", "-a", "100", "-s", "350", "--", "مرحبا"]
    assert speech.voice("fr_CA") == "fr" and speech.voice("de") == "en"


def test_a_missing_engine_is_an_error_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no engine on it
    voice = speech.Speech()
    assert not voice.available()
    with pytest.raises(speech.SpeechUnavailable):
        voice.say("Hello", "en")
    voice.stop()  # nothing to stop: no error either


def _fake_engine(tmp_path: Path, seconds: float) -> Path:
    """An engine on PATH that takes `seconds` to say anything: a real child to time and kill."""
    folder = tmp_path / "bin"
    folder.mkdir()
    engine = folder / "espeak-ng"
    engine.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} {seconds}\n")
    engine.chmod(0o755)
    return folder


def test_say_returns_before_the_child_ends_and_a_newer_sentence_kills_the_older(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(_fake_engine(tmp_path, 30)))
    children: list[subprocess.Popen] = []
    lock = threading.Lock()

    def launch(argv, **kwargs):
        child = subprocess.Popen(argv, **kwargs)
        with lock:
            children.append((argv, child))
        return child

    voice = speech.Speech(launch=launch)
    try:
        voice.say("A long sentence that takes thirty seconds to say.", "en")
        with lock:
            assert all(child.poll() is None for _argv, child in children)  # returned while it speaks
        deadline = time.monotonic() + 10
        while not children and time.monotonic() < deadline:
            time.sleep(0.01)
        first = children[0][1]
        assert first.poll() is None
        voice.say("Newer.", "fr")
        assert first.wait(timeout=10) != 0  # killed, not finished
        while len(children) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        argv, second = children[1]
        assert argv[argv.index("-v") + 1] == "fr" and argv[-1] == "Newer." and second.poll() is None
        voice.stop()
        assert second.wait(timeout=10) != 0
    finally:
        voice.close()
        for _argv, child in children:
            child.kill()
            child.wait()


@needs_espeak
def test_the_real_engine_speaks_without_blocking(tmp_path):
    voice = speech.Speech()
    voice.volume = 0.0  # the machine running the suite stays quiet
    started = time.monotonic()
    voice.say("This sentence is long enough to keep the engine busy for a few seconds at least.", "en")
    returned = time.monotonic() - started
    assert returned < 1.0 and voice.speaking()  # back before the child ended
    voice.close()


def test_speech_dispatcher_is_told_to_cancel_before_a_newer_sentence(tmp_path, monkeypatch):
    folder = _fake_engine(tmp_path, 30)
    spd = folder / "spd-say"  # as the real one: a cancel returns at once, a sentence takes its time
    spd.write_text(f"#!/bin/sh\n[ \"$1\" = -C ] && exit 0\nexec {shutil.which('sleep')} 30\n")
    spd.chmod(0o755)
    (folder / "espeak-ng").unlink()
    monkeypatch.setenv("PATH", str(folder))
    started: list[tuple[list[str], subprocess.Popen]] = []

    def launch(argv, **kwargs):
        child = subprocess.Popen(argv, **kwargs)
        started.append((argv, child))
        return child

    voice = speech.Speech(launch=launch)
    try:
        voice.say("The first sentence, a long one.", "es")
        deadline = time.monotonic() + 10
        while not started and time.monotonic() < deadline:
            time.sleep(0.01)
        voice.say("Second.", "es")
        assert started[0][1].wait(timeout=10) != 0
        while len(started) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert started[1][0][1:] == ["-C"]  # the server's own queue cancelled
        voice.say("Third.", "es")
        while started[-1][0][-1] != "Third." and time.monotonic() < deadline:
            time.sleep(0.01)
        assert started[-1][0][:4] == [str(folder / "spd-say"), "-w", "-l", "es"]
    finally:
        voice.close()
        for _argv, child in started:
            child.kill()
            child.wait()
