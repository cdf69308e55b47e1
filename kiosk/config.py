"""Settings: one object, from a versioned TOML file with environment overrides.

File: `settings.toml` in the platform's config directory (platformdirs), or the
path in KIOSK_SETTINGS. Environment: KIOSK_<SECTION>__<KEY>, e.g.
KIOSK_BACKEND__URL. pydantic-settings does the typing and the environment
layer, so a wrong value is a clear message naming the field, not a crash later.
The API secret is never here: see kiosk.credentials.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from kiosk.errors import ConfigError  # noqa: F401  (kiosk.config.ConfigError is the public name)
from kiosk.scanner.payload import MEMBER_ID
# Where the files are lives apart, so that it loads without pydantic (kiosk.config's public names still).
from kiosk.settings_files import (  # noqa: F401
    APP_NAME, config_dir, data_dir, settings_files, settings_path, system_settings_path)

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1


class BackendSettings(BaseModel):
    # Which adapter talks to the backend (kiosk/loyalty/<vendor>/).
    vendor: Literal["annex", "loyaltyprime"] = "annex"
    # Empty url: no backend configured, the embedded sandbox is used.
    url: str = ""
    site_id: str = ""
    site_name: str = ""
    # What this site's backend has beyond the published documents, as the site has
    # confirmed with its provider; nothing is assumed, and nothing is turned on because
    # a probe answered (docs/backend-contract.md). The embedded sandbox declares its own.
    # Reads by key that tell whether a write whose reply was lost was applied.
    # Annex Cloud: orders, points_activity, code_redemption; Loyalty Prime: tx_details,
    # deposit_statement, voucher_info (each adapter refuses the other's).
    reads: list[Literal["orders", "points_activity", "code_redemption", "tx_details", "deposit_statement",
                        "voucher_info"]] = Field(default_factory=list)
    # Kinds of write the provider applies once however often their key is sent: an
    # in-doubt write of such a kind that no read can check is sent again with its key.
    deduplicates: list[Literal["orders", "points", "codes"]] = Field(default_factory=list)
    # Undocumented features: enrolment at the till, returned lines priced by the backend.
    features: list[Literal["enrol", "priced_line_returns"]] = Field(default_factory=list)
    # Loyalty Prime: who the terminal books for (partnerId on POST /tx), who it books as
    # (debitorId on redemptions and adjustments; no "_") and the sales channel of the items.
    partner_id: str = ""
    debitor_id: str = ""
    channel_key: str = ""
    # Loyalty Prime's productKey per sku or catalogue category (sku first), and for the rest.
    product_keys: dict[str, str] = Field(default_factory=dict)
    default_product_key: str = "GENERAL"
    attempt_timeout_s: float = Field(5.0, gt=0, le=60)
    get_retry_budget_s: float = Field(8.0, ge=0, le=120)
    token_lifetime_s: int = Field(300, ge=30, le=3600)


class StoreSettings(BaseModel):
    store_id: str = "STORE-001"
    terminal_id: str = "T01"
    # What the receipt's head says: the store's name, its address (one entry a line) and tax id.
    name: str = Field("", max_length=120)
    address: list[str] = Field(default_factory=list, max_length=6)
    tax_id: str = Field("", max_length=40)
    # Money is kept in cents: a currency with another number of decimals is refused here.
    currency: str = "USD"
    # Receipts, and the kiosk's language until a shopper picks one (a CLDR locale: es_MX, fr_CA).
    locale: str = "en_US"
    # Dates on the screens and receipts; empty: the machine's own time zone.
    timezone: str = ""

    @field_validator("currency")
    @classmethod
    def _two_decimals(cls, value: str) -> str:
        from babel.numbers import get_currency_precision, is_currency

        value = value.strip().upper()
        if not is_currency(value):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code, like USD or EUR")
        if get_currency_precision(value) != 2:
            raise ValueError(f"{value} has {get_currency_precision(value)} decimals; Kiosk keeps money in "
                             "hundredths, so it takes only currencies with 2 decimals (USD, EUR, MXN, …)")
        return value

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            return str(Locale.parse(value.strip().replace("-", "_")))
        except (UnknownLocaleError, ValueError):
            raise ValueError(f"{value!r} is not a locale, like en_US, es_MX or fr_FR") from None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        value = value.strip()
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{value!r} is not a time zone, like America/Mexico_City or Europe/Paris") from None
        return value


class LoyaltySettings(BaseModel):
    points_per_currency_unit: Decimal = Decimal("1")
    guest_user_id: str = "guest"
    # The program's tiers, each with the lifetime points it starts at. The backend says only
    # how many points the next tier is away; the member panel's bar shows the way from the
    # start of the member's tier to the next one.
    tiers: dict[str, int] = Field(default_factory=lambda: {"Bronze": 0, "Silver": 1000, "Gold": 5000,
                                                           "Platinum": 15000})


class TaxSettings(BaseModel):
    mode: Literal["exclusive", "inclusive"] = "exclusive"
    # Percent per tax class of the catalogue.
    rates: dict[str, Decimal] = Field(default_factory=lambda: {
        "standard": Decimal("8.25"), "reduced": Decimal("2.00"), "zero": Decimal("0")})


class SandboxSettings(BaseModel):
    # Empty: sandbox.sqlite3 in the platform's data directory.
    db_path: str = ""


class CatalogueSettings(BaseModel):
    # Empty: catalogue.sqlite3 in the platform's data directory. Its own file, so an
    # import never holds the lock that sales need (kiosk/checkout/catalogue.py).
    db_path: str = ""


class CheckoutSettings(BaseModel):
    # What the order sends for points: merchandise after discounts, before tax (the
    # usual rule), or the total the shopper paid, with tax.
    points_basis: Literal["before_tax", "after_tax"] = "before_tax"
    # How long Pay waits for the redemptions before it gives them back.
    authorize_timeout_s: float = Field(8.0, gt=0, le=60)
    # How long the receipt waits for the points of the order (it says "pending" after).
    points_wait_s: float = Field(2.0, ge=0, le=30)
    # The most of one product on one line (a typed "24*" or the Qty cell beyond it is refused).
    max_quantity: int = Field(999, ge=1, le=9999)
    # Sales, returns and the audit log are kept this long, then pruned; the store's
    # record-keeping rule decides (kiosk/checkout/retention.py).
    keep_records_days: int = Field(730, ge=30, le=3650)


class ReturnsSettings(BaseModel):
    # Where a refund goes: "original" gives each tender back what it paid (gift and store
    # cards first, then the card terminal, then cash); "cash" pays every refund in cash,
    # and the cards keep what they paid (kiosk/checkout/refunds.py).
    refund_to: Literal["original", "cash"] = "original"


class OutboxSettings(BaseModel):
    # Empty: terminal.sqlite3 in the platform's data directory.
    db_path: str = ""
    max_in_flight: int = Field(8, ge=1, le=64)
    # The background drain starts at most this many sends a second (0: as fast as it goes),
    # so a backlog leaves the screen its time and the backend is not flooded; what a person
    # waits for (Pay, a return) is never held back (kiosk/outbox/pace.py).
    drain_per_s: float = Field(20.0, ge=0, le=1000)
    # Full-jitter exponential backoff for transient failures, in seconds.
    backoff_base_s: float = Field(0.5, gt=0, le=60)
    backoff_cap_s: float = Field(60.0, gt=0, le=3600)
    # A write whose outcome is unknown is looked up only this long after it was
    # sent, so it can no longer be in flight anywhere (client, proxies, backend).
    settle_s: float = Field(30.0, ge=0, le=3600)
    # The same for a redemption a Pay waits for (the urgent lane), so that Pay can
    # learn a lost reply's outcome before checkout.authorize_timeout_s. 0: the
    # attempt timeout plus one second, the shortest either ever is.
    pay_settle_s: float = Field(0.0, ge=0, le=3600)
    # Idle health probe; offline is declared within about two probe periods.
    probe_interval_s: float = Field(2.5, gt=0, le=60)
    # After the backend returns, each terminal waits a random 0..this before
    # resuming, so a store's terminals don't all hit it at once.
    resume_jitter_s: float = Field(3.0, ge=0, le=60)
    # How often a paused queue (authorization refused) tries again.
    auth_retry_s: float = Field(30.0, gt=0, le=3600)
    # Done operations are kept this long for the record, then pruned.
    keep_done_days: int = Field(30, ge=1, le=3650)


_SYMBOLOGY = Literal["QRCode", "Code128", "EAN13", "UPCA", "PDF417"]
_PAYLOAD_KIND = Literal["member_id", "member_card", "member_email", "member_phone", "member_url", "code",
                        "product", "receipt"]


class ScannerSettings(BaseModel):
    """Camera and hand-scanner input; kiosk/scanner/README.md explains every key."""

    # A camera index ("0" is the first), a stream URL, or "" for no camera.
    camera: str = "0"
    decoder: Literal["auto", "zxing", "zbar"] = "auto"
    symbologies: list[_SYMBOLOGY] = Field(default_factory=lambda: ["QRCode", "Code128", "EAN13", "UPCA", "PDF417"])
    accept: list[_PAYLOAD_KIND] = Field(default_factory=lambda: [
        "member_id", "member_card", "member_email", "member_phone", "member_url", "code", "product", "receipt"])
    member_id_pattern: str = MEMBER_ID
    member_card_pattern: str = r"[0-9]{16}"
    code_pattern: str = r"[A-Z0-9][A-Z0-9\-]{2,31}"
    member_url_hosts: list[str] = Field(default_factory=list)
    receipt_prefix: str = "R:"
    max_length: int = Field(512, ge=16, le=4096)
    agree_frames: int = Field(2, ge=1, le=10)  # linear codes (EAN, UPC, Code 128)
    agree_frames_2d: int = Field(1, ge=1, le=10)  # QR, PDF417: error correction checks each read
    debounce_s: float = Field(3.0, ge=0, le=60)
    frame_budget_ms: float = Field(12.0, gt=0, le=200)
    max_fps: float = Field(30.0, gt=0, le=60)
    idle_fps: float = Field(8.0, gt=0, le=60)
    rest_after_scan_ms: float = Field(300.0, ge=0, le=2000)
    wedge_max_gap_ms: float = Field(50.0, gt=0, le=500)
    wedge_min_length: int = Field(4, ge=1, le=64)
    # What the hand scanner sends before each code (its "prefix", often empty) and after
    # it: Enter (most scanners' default), Tab, or any of CR, LF and Tab.
    wedge_prefix: str = Field("", max_length=16)
    wedge_suffix: Literal["enter", "tab", "any"] = "enter"
    # A serial scanner's port (e.g. /dev/ttyACM0); "" for none. Needs pyserial.
    serial_port: str = ""
    serial_baudrate: int = Field(9600, gt=0)

    @field_validator("wedge_prefix")
    @classmethod
    def _prefix_ends_nothing(cls, value: str) -> str:
        if any(c in "\r\n\t" for c in value):
            raise ValueError("the prefix can't hold Enter or Tab: they end a scan")
        return value

    @field_validator("member_id_pattern", "member_card_pattern", "code_pattern")
    @classmethod
    def _is_a_pattern(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


class PrinterSettings(BaseModel):
    """The receipt printer (ESC/POS, kiosk/checkout/printing.py) and where receipt PDFs go."""

    # none: no printer (receipts are shown and saved as PDF); network: host:port (raw
    # TCP, usually 9100); usb: usb_vendor/usb_product, hex like "04b8"; file: a device
    # such as /dev/usb/lp0, or a plain file (what a test or a spooler reads).
    kind: Literal["none", "network", "usb", "file"] = "none"
    host: str = ""
    port: int = Field(9100, gt=0, lt=65536)
    usb_vendor: str = ""
    usb_product: str = ""
    path: str = ""
    # Characters per line in the printer's font A: 42 on most 80 mm printers, 32 on 58 mm.
    width: int = Field(42, ge=24, le=64)
    # How long connecting or writing may take before the printer counts as not answering.
    timeout_s: float = Field(5.0, gt=0, le=60)
    # Empty: a "receipts" folder in the platform's data directory.
    pdf_dir: str = ""

    @field_validator("usb_vendor", "usb_product")
    @classmethod
    def _is_hex(cls, value: str) -> str:
        value = value.strip().lower().removeprefix("0x")
        if value and (not re.fullmatch(r"[0-9a-f]{1,4}", value)):
            raise ValueError("a USB id is up to 4 hex digits, like 04b8")
        return value


class ScreenSettings(BaseModel):
    """The cashier window on the till's screen."""

    # Full screen (no title bar, no task bar) instead of a maximised window.
    full_screen: bool = False
    # The cashier's language (en, es, fr, ar); empty: the system's (LANGUAGE, LC_ALL, LC_MESSAGES, LANG).
    language: str = ""
    # The look of both screens: light, or high-contrast (white and yellow on black). The cashier
    # can switch for the running app; the kiosk's shopper for the visit (idle reset returns here).
    theme: Literal["light", "high-contrast"] = "light"


class MailSettings(BaseModel):
    """The store's mail server, which sends the kiosk's one-time codes (selfservice.lookup_by_contact).

    Neither Annex Cloud nor Loyalty Prime sends a one-time code, so the kiosk sends it itself.
    """

    host: str = ""
    port: int = Field(587, ge=1, le=65535)
    # starttls (port 587) or tls (465); none only to a relay on this machine, so a code
    # never crosses the store's network in clear.
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    # The password, alone in a file readable by the app's user only; empty: no sign-in.
    password_file: str = ""
    # The From address shoppers see.
    sender: str = ""
    timeout_s: float = Field(15.0, ge=1, le=120)

    @model_validator(mode="after")
    def _safe(self) -> "MailSettings":
        if self.security == "none" and self.host not in ("", "localhost", "127.0.0.1", "::1"):
            raise ValueError(f"selfservice.mail.security = \"none\" sends one-time codes in clear to {self.host}; "
                             "use starttls or tls, or a relay on this machine (localhost)")
        if self.username and not self.password_file:
            raise ValueError("selfservice.mail.username is set but password_file is not: put the mail password "
                             "alone in a file readable by the app's user only and name it there")
        return self


class SelfServiceSettings(BaseModel):
    """The self-service kiosk (`mode = "selfservice"`): shoppers, no training, nobody watching."""

    # Seconds without a touch before "Still there?", then the countdown before the visit resets.
    idle_s: float = Field(40.0, ge=10, le=600)
    countdown_s: float = Field(20.0, ge=5, le=120)
    # The thank-you screen goes back to the attract screen after this.
    thanks_s: float = Field(30.0, ge=5, le=300)
    # A reward QR made at the kiosk is good at the till for this long.
    pass_minutes: int = Field(60, ge=1, le=7 * 24 * 60)
    # The store's key that signs reward QRs: the same file on every terminal of the store.
    # Empty: pass.key in the configuration directory, made on first use (readable by the app's user only).
    pass_key_file: str = ""
    # Wrong gift-card or one-time codes: max_guesses within guess_window_s lock that entry
    # on this kiosk for lock_minutes.
    max_guesses: int = Field(5, ge=1, le=50)
    guess_window_s: float = Field(300.0, ge=10, le=86_400)
    lock_minutes: float = Field(30.0, ge=1, le=24 * 60)
    # A member who has no card with them finds themselves by email and a one-time code mailed
    # to that address. Off by default: anyone could type a neighbour's address, so the code
    # is what proves it is theirs. Needs [selfservice.mail].
    lookup_by_contact: bool = False
    code_minutes: float = Field(10.0, ge=1, le=60)
    mail: MailSettings = Field(default_factory=MailSettings)

    @model_validator(mode="after")
    def _mail_for_codes(self) -> "SelfServiceSettings":
        if self.lookup_by_contact and not (self.mail.host and self.mail.sender):
            raise ValueError("selfservice.lookup_by_contact needs the store's mail server to send one-time codes: "
                             "set selfservice.mail.host and selfservice.mail.sender (neither loyalty service "
                             "sends the codes itself), or turn the look-up off")
        return self


class DecodeSettings(BaseModel):
    """What one file given to `kiosk decode` may cost; a file over either limit is refused unread."""

    # The dimensions an image's header declares (a video's frame size too). At most 170:
    # Pillow, which reads the headers, refuses anything over 179 as a decompression bomb.
    max_megapixels: float = Field(40.0, gt=0, le=170)
    # Size on disk of an image (decoded from memory whole; videos are streamed).
    max_file_mb: float = Field(200.0, gt=0, le=10_000)


class LogSettings(BaseModel):
    # What reaches stderr (the journal, under a service manager). No level logs
    # request URLs or secrets (kiosk/logs.py).
    level: Literal["debug", "info", "warning", "error"] = "warning"


class TelemetrySettings(BaseModel):
    """Fleet metrics pushed to the chain's OpenTelemetry collector (docs/fleet-telemetry.md).
    Needs the optional extra kiosk[fleet]; without it the terminal runs and reports nothing."""

    enabled: bool = False
    # The collector's OTLP/HTTP address, e.g. http://collector.example:4318 (/v1/metrics is added
    # when no path is given). Empty: OTEL_EXPORTER_OTLP_METRICS_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT,
    # else the OTLP default, http://localhost:4318/v1/metrics (a collector agent on the till).
    endpoint: str = ""
    # How often the readings are sent. Unset here, OTEL_METRIC_EXPORT_INTERVAL (ms) applies.
    interval_s: float = Field(60.0, ge=1, le=3600)
    # service.namespace: the chain. Empty: backend.site_id (one loyalty site per chain).
    chain: str = Field("", max_length=100)

    @field_validator("endpoint")
    @classmethod
    def _is_http(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
            raise ValueError("an OTLP/HTTP endpoint is an http:// or https:// URL, like http://collector:4318")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_", env_nested_delimiter="__", extra="ignore")

    schema_version: int = SCHEMA_VERSION
    # demo | live | training (kiosk/ops/environments.py); empty: live when backend.url is set,
    # else demo. load_settings makes it explicit.
    environment: Literal["", "demo", "live", "training"] = ""
    # cashier: the till's window; selfservice: the shoppers' kiosk (kiosk --mode selfservice).
    mode: Literal["cashier", "selfservice"] = "cashier"
    backend: BackendSettings = Field(default_factory=BackendSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    loyalty: LoyaltySettings = Field(default_factory=LoyaltySettings)
    tax: TaxSettings = Field(default_factory=TaxSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    catalogue: CatalogueSettings = Field(default_factory=CatalogueSettings)
    checkout: CheckoutSettings = Field(default_factory=CheckoutSettings)
    returns: ReturnsSettings = Field(default_factory=ReturnsSettings)
    scanner: ScannerSettings = Field(default_factory=ScannerSettings)
    printer: PrinterSettings = Field(default_factory=PrinterSettings)
    screen: ScreenSettings = Field(default_factory=ScreenSettings)
    selfservice: SelfServiceSettings = Field(default_factory=SelfServiceSettings)
    decode: DecodeSettings = Field(default_factory=DecodeSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings,
                                   file_secret_settings):
        # The environment beats the file: that is how a service unit or a test
        # overrides one value without editing the store's file.
        return (env_settings, init_settings)

    @property
    def uses_sandbox(self) -> bool:
        if self.environment:
            return self.environment != "live"
        return not self.backend.url


def read_file(path: Path) -> dict[str, Any]:
    """A settings file's own values ({} for no file)."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc.strerror}") from None


def merge(under: dict, over: dict) -> dict:
    """`over` on top of `under`, section by section (a table in both is merged key by key)."""
    out = dict(under)
    for key, value in over.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _migrate_0_to_1(data: dict) -> dict:
    # Files written before versioning had no schema_version and nothing else to change.
    return data


MIGRATIONS = {0: _migrate_0_to_1}


def migrate(data: dict, path: Path | None = None) -> dict:
    """Bring a settings dict to SCHEMA_VERSION, backing the file up first."""
    version = data.get("schema_version", 0)
    if not isinstance(version, int) or version < 0:
        raise ConfigError(f"{path or 'settings'}: schema_version must be a whole number")
    if version > SCHEMA_VERSION:
        raise ConfigError(f"{path or 'settings'} was written by a newer Kiosk (schema {version}, this "
                          f"one knows {SCHEMA_VERSION}); update Kiosk or restore an older file.")
    if version == SCHEMA_VERSION:
        return data
    if path is not None and path.exists():
        backup = path.with_name(f"{path.name}.v{version}.bak")
        shutil.copy2(path, backup)
        log.info("settings schema %s -> %s; backup at %s", version, SCHEMA_VERSION, backup)
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](dict(data))
        version += 1
        data["schema_version"] = version
    return data


def load_settings(path: Path | None = None) -> Settings:
    """The file (migrated if old), then KIOSK_* environment variables on top."""
    path = path or settings_path()
    data: dict[str, Any] = {}
    system = system_settings_path()
    # The machine-wide file is the package's: migrated in memory, never rewritten by a user's Kiosk.
    base = migrate(read_file(system), None) if system.is_file() else {}
    if path.exists():
        data = read_file(path)
        before = data.get("schema_version", 0)
        data = migrate(data, path)
        if before != data["schema_version"]:
            # The file's own values, migrated; never the environment's overrides.
            _write(path, tomli_w.dumps(data))
    data = merge(base, data)
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"Settings in {path} (or KIOSK_* variables) are not valid: {problems}") from None
    unknown = sorted(set(data) - set(Settings.model_fields))
    if unknown:
        log.warning("ignoring unknown settings sections: %s", ", ".join(unknown))
    from kiosk.ops import environments  # it needs this module's names

    return environments.apply(settings)



def save_settings(settings: Settings, path: Path | None = None) -> Path:
    path = path or settings_path()
    _write(path, tomli_w.dumps(settings.model_dump(mode="json")))
    return path


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)  # a crash mid-write never leaves half a file
