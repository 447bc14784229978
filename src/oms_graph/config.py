"""Settings from OMS_* environment variables; no variables means embedded."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./oms.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    broker_url: str | None = None
    # The API process relays committed events to the actors (and, with no broker, runs them itself).
    background: bool = True
    worker_threads: int = 4
    # Redis: how long a worker may stay silent before its unfinished messages go to another worker,
    # and how often (per million broker commands) workers look for such messages.
    broker_heartbeat_ms: int = 60_000
    broker_maintenance_chance: int = 10_000
    host: str = "127.0.0.1"
    port: int = 8000
    graphiql: bool | None = None
    # Introspection (__schema, __type): unset follows GraphiQL, which needs it (on when embedded).
    introspection: bool | None = None
    # Rate limits: each key's bucket of query cost points by role (drained at a twentieth per second; 0 is
    # no limit), shared through Redis at OMS_RATE_LIMIT_URL (unset: per process).
    rate_limits: dict[str, int] = {
        "ADMIN": 100_000,
        "INTEGRATION": 100_000,
        "STOREFRONT": 100_000,
        "STORE": 20_000,
        "ANALYST": 20_000,
    }
    rate_limit_url: str | None = None
    # Request bodies over this many bytes are refused (413) before they are read.
    max_body_bytes: int = 1_000_000
    # Inventory files (POST /imports/stock) may be this large: a million rows is about 40 MB.
    max_import_bytes: int = 500_000_000
    # How often AVAILABILITY_CHANGED goes to the endpoints that want it (many skus in one delivery).
    availability_webhook_seconds: float = 5.0
    # Rows of an inventory file applied per transaction (each with the job's progress).
    import_batch_rows: int = 10_000
    database_pool_size: int = 20  # PostgreSQL connections per process at most, kept open once made
    # A read replica for analytics' heavy reads (OMS_READ_DATABASE_URL); unset: the main database.
    read_database_url: str | None = None
    # How often (seconds) the API processes send the refresh of the daily sales summaries.
    analytics_refresh_seconds: float = 60.0
    api_key_cache_seconds: float = 5.0
    # Days the audit trail keeps an entry (OMS_AUDIT_RETENTION_DAYS; 0 keeps every entry).
    audit_retention_days: int = 400
    api_key_poll_seconds: float = 1.0  # how soon every API process sees a key revoked, rotated or expired
    log_level: str = "info"
    # Fulfilment: days a click & collect parcel waits at the store; the carrier of deliveries naming none.
    pickup_days: int = 7
    # Seconds a location has to accept an assignment before it goes elsewhere (OMS_ACCEPT_TIMEOUT).
    accept_timeout: int = 30 * 60
    # How often (seconds) the API processes send the scheduled fulfilment sweep (timeouts, pickup expiry).
    sweep_seconds: float = 60.0
    default_carrier: str = "courier"
    # Carriers with a REST API: name -> base URL, e.g. {"fastship": "https://api.fastship.example/v1"}.
    http_carriers: dict[str, str] = {}
    # Seconds deliveryOptions waits for carriers' own prices (connectors whose adapter quotes); a carrier
    # slower than that is priced by the table, and its late answer is kept for the next checkout.
    rates_budget_seconds: float = 1.0
    # How often (seconds) the API processes send the marketplace poll: new orders in, stock out.
    marketplace_poll_seconds: float = 60.0
    # How often (seconds) carriers that send no webhooks (DHL) are asked about the parcels on the way.
    tracking_poll_seconds: float = 300.0
    # Key of the HMAC-SHA256 signature carriers send with tracking webhooks; unset refuses them all.
    carrier_webhook_secret: str | None = None
    # Customer messages: an SMTP server for email, an SMS gateway URL for text messages; unset: logged SKIPPED.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "orders@oms-graph.invalid"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    sms_url: str | None = None
    # Outgoing webhooks: deliveries failed in a row before an endpoint is switched off.
    webhook_failure_limit: int = 20
    # Events a subscriber may fall behind by before its subscription is ended (to resume with `after`).
    subscriber_queue: int = 1000
    # The payment provider of orders whose payment names none; `manual` calls no one (cash, in store).
    default_payment_provider: str = "manual"
    # Card gateways with a REST API: name -> base URL, e.g. {"cards": "https://pay.example/v1"}.
    http_payment_providers: dict[str, str] = {}
    # An HTTP geocoder for addresses without coordinates, by geopy's name for it (e.g. "nominatim"), with
    # geopy's options for it (e.g. {"domain": "nominatim.example", "user_agent": "oms-graph"}); unset: the
    # city list that ships with the package.
    geocoder: str | None = None
    geocoder_options: dict[str, str] = {}
    geocoder_timeout: float = 2.0
    # The browser console and store app (console/, built with Vite) at /console: unset, served when embedded;
    # its built files from OMS_CONSOLE_DIR, else those shipped inside the package (oms_graph/console).
    console: bool | None = None
    console_dir: str | None = None

    @property
    def embedded(self) -> bool:
        """One process on a SQLite file: migrated on start, GraphiQL on."""
        return self.database_url.startswith("sqlite")

    @property
    def graphiql_enabled(self) -> bool:
        return self.embedded if self.graphiql is None else self.graphiql

    @property
    def console_enabled(self) -> bool:
        return self.embedded if self.console is None else self.console

    @property
    def introspection_enabled(self) -> bool:
        return self.graphiql_enabled if self.introspection is None else self.introspection
