"""Every setting, read from the environment (prefix CLAIMDESK_) in one place."""
from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from pathlib import Path

PREFIX = "CLAIMDESK_"


def _env(name: str, default=None):
    return os.environ.get(PREFIX + name, default)


def _bool(value, default=False) -> bool:
    if value is None:
        return default
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


#: sha256 of the development key that was once tracked in git (instance/secret_key): anyone can read it,
#: so an install still holding it gets a key of its own
_PUBLISHED_KEYS = frozenset({"573b45744d612b3c334e68aa94501f1064ba8778aec13b5e5445092626e86273"})


def _usable(key: str) -> bool:
    return len(key) >= 32 and hashlib.sha256(key.encode()).hexdigest() not in _PUBLISHED_KEYS


def _instance_secret(instance_path: Path) -> str:
    """Development secret: generated on first run and kept in the instance folder (mode 0600, never in
    the repo), so every install signs its sessions with a key of its own. The file appears whole or
    not at all (written aside, then linked into place): two processes starting at once read the same
    key."""
    path = instance_path / "secret_key"
    instance_path.mkdir(parents=True, exist_ok=True)
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if _usable(key):
        if path.stat().st_mode & 0o077:  # an older install wrote it readable by others
            path.chmod(0o600)
        return key
    fd, tmp = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
            f.flush()
            os.fsync(f.fileno())
        if key:  # empty, or the published key: replace it
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:  # another process was first: use its key
                pass
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path.read_text().strip()


def load(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment, then apply explicit overrides."""
    instance = Path(instance_path)
    env_name = _env("ENV", "development")
    cfg: dict = {
        "ENV_NAME": env_name,
        "SQLALCHEMY_DATABASE_URI": _env("DATABASE_URL") or f"sqlite:///{instance / 'claimdesk.sqlite3'}",
        "REDIS_URL": _env("REDIS_URL") or None,
        # "thread": with no Redis URL, a background thread inside the web process runs the jobs.
        "EMBEDDED_WORKER": _env("EMBEDDED_WORKER", "thread"),
        "TIMEZONE": _env("TIMEZONE", "Asia/Shanghai"),
        "UPLOAD_FOLDER": _env("UPLOAD_FOLDER") or str(instance / "uploads"),
        "MAX_CONTENT_LENGTH": int(_env("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024))),
        "TOKEN_TTL_SECONDS": int(_env("TOKEN_TTL_SECONDS", str(12 * 3600))),
        # Idempotency-Key records (and one-time form tokens) are kept this long, then purged.
        "IDEMPOTENCY_TTL_SECONDS": int(_env("IDEMPOTENCY_TTL_SECONDS", str(24 * 3600))),
        "QUEUE_PREFIX": _env("QUEUE_PREFIX", "claimdesk"),
        "JOB_RETRY_INTERVALS": [5, 30, 120],
        "SMTP_URL": _env("SMTP_URL") or None,
        "MAIL_FROM": _env("MAIL_FROM", "claimdesk@localhost"),
        "BABEL_DEFAULT_LOCALE": _env("DEFAULT_LOCALE", "en"),
        "BABEL_DEFAULT_TIMEZONE": _env("TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": ["en", "zh"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(_env("SECURE_COOKIES"), env_name == "production"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(_env("SECURE_COOKIES"), env_name == "production"),
        "WTF_CSRF_TIME_LIMIT": None,
        # Pooled connections idle for longer than this are pinged before use (core/db.py); busy ones
        # are not, which saves a round trip per request. (pool_pre_ping would ping on every checkout.)
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "DB_PING_IDLE_SECONDS": float(_env("DB_PING_IDLE_SECONDS", "5")),
        # Independent read-only aggregates of one request (the dashboard) run on up to this many
        # PostgreSQL connections at once, in one snapshot (core/snapshot.py); 1 = one after the other.
        "PARALLEL_QUERIES": int(_env("PARALLEL_QUERIES", "2")),
        # A new case's number, timeline event and SLA clocks in one statement on PostgreSQL
        # (core/numbering.py `assign_writing_rows`); off: the ORM flushes them (the same rows).
        "CREATION_FAST_PATH": _bool(_env("CREATION_FAST_PATH"), True),
        # Browser sessions (auth.models.UserSession): ended after this long unused, and after this long
        # whatever happens (a working day); logout, a password change or deactivation end them at once.
        "SESSION_IDLE_SECONDS": int(_env("SESSION_IDLE_SECONDS", str(2 * 3600))),
        "SESSION_MAX_SECONDS": int(_env("SESSION_MAX_SECONDS", str(12 * 3600))),
        # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (werkzeug ProxyFix).
        # 0 (the default): the headers are ignored, the client is the TCP peer. Behind one nginx: 1.
        "PROXY_FIX_X_FOR": int(_env("PROXY_FIX_X_FOR", "0")),
        "PROXY_FIX_X_PROTO": int(_env("PROXY_FIX_X_PROTO", "0")),
        "PROXY_FIX_X_HOST": int(_env("PROXY_FIX_X_HOST", "0")),
        # Failed logins (successes are never counted), in the database (auth.services.check_login_throttle):
        # after this many failures for one account from one address, from all addresses, or from one address
        # for any accounts, the next attempt waits LOGIN_BACKOFF_SECONDS, doubling with each further failure
        # up to LOGIN_BACKOFF_MAX_SECONDS. A key without failures for LOGIN_FAILURE_WINDOW_SECONDS starts again.
        "LOGIN_FREE_FAILURES": int(_env("LOGIN_FREE_FAILURES", "5")),
        "LOGIN_ACCOUNT_FREE_FAILURES": int(_env("LOGIN_ACCOUNT_FREE_FAILURES", "50")),
        "LOGIN_ADDRESS_FREE_FAILURES": int(_env("LOGIN_ADDRESS_FREE_FAILURES", "20")),
        "LOGIN_BACKOFF_SECONDS": int(_env("LOGIN_BACKOFF_SECONDS", "2")),
        "LOGIN_BACKOFF_MAX_SECONDS": int(_env("LOGIN_BACKOFF_MAX_SECONDS", "900")),
        "LOGIN_FAILURE_WINDOW_SECONDS": int(_env("LOGIN_FAILURE_WINDOW_SECONDS", "3600")),
        # A flood cap per client address on failed login requests (Flask-Limiter; successes not counted).
        "RATELIMIT_STORAGE_URI": _env("REDIS_URL") or "memory://",
        "RATELIMIT_SWALLOW_ERRORS": True,  # Redis down must not lock everybody out
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": _env("LOGIN_RATE_LIMIT", "30 per minute;300 per hour"),
        # Messages to customers (claimdesk/messaging; README "Messages to customers"). Unset providers
        # leave the message in the local outbox (stored and shown, nothing sent).
        "SMS_PROVIDER": _env("SMS_PROVIDER", "outbox"),  # outbox | aliyun
        "ALIYUN_SMS_ENDPOINT": _env("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
        "ALIYUN_SMS_ACCESS_KEY_ID": _env("ALIYUN_SMS_ACCESS_KEY_ID"),
        "ALIYUN_SMS_ACCESS_KEY_SECRET": _env("ALIYUN_SMS_ACCESS_KEY_SECRET"),
        "ALIYUN_SMS_SIGN_NAME": _env("ALIYUN_SMS_SIGN_NAME"),
        "WECHAT_PROVIDER": _env("WECHAT_PROVIDER", "outbox"),  # outbox | wechat
        "WECHAT_API_BASE": _env("WECHAT_API_BASE", "https://api.weixin.qq.com"),
        "WECHAT_APP_ID": _env("WECHAT_APP_ID"),
        "WECHAT_APP_SECRET": _env("WECHAT_APP_SECRET"),
        "MESSAGING_HOOK_TOKEN": _env("MESSAGING_HOOK_TOKEN"),  # secret in the SMS reply/receipt URLs
        "MESSAGING_TIMEOUT_SECONDS": float(_env("MESSAGING_TIMEOUT_SECONDS", "10")),
        "MESSAGING_DAILY_CAP": int(_env("MESSAGING_DAILY_CAP", "5")),
        "MESSAGING_QUIET_HOURS": _env("MESSAGING_QUIET_HOURS", "21-8"),  # store time, SMS only
        "MESSAGING_SEND_BATCH": int(_env("MESSAGING_SEND_BATCH", "50")),  # messages per sender job
        # a message due now goes out this many seconds later, with the others due in that window (one sender
        # run per window, not one per message: each run costs the worker a fork and a connection)
        "MESSAGING_SEND_DELAY_SECONDS": float(_env("MESSAGING_SEND_DELAY_SECONDS", "1")),
        "MESSAGING_RETRY_SECONDS": [int(x) for x in _env("MESSAGING_RETRY_SECONDS", "60,300,1800,7200").split(",")],
        "PUBLIC_BASE_URL": _env("PUBLIC_BASE_URL", "http://localhost:5000"),
        "STATUS_LINK_DAYS_AFTER_CLOSE": int(_env("STATUS_LINK_DAYS_AFTER_CLOSE", "14")),
        "STATUS_LINK_MAX_DAYS": int(_env("STATUS_LINK_MAX_DAYS", "180")),
        "STATUS_LINK_RATE_LIMIT": _env("STATUS_LINK_RATE_LIMIT", "30 per minute;300 per hour"),
        # flask-smorest / OpenAPI
        "API_TITLE": "claimdesk",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}
            },
            "security": [{"bearerAuth": []}],
        },
    }
    secret = (overrides or {}).get("SECRET_KEY") or _env("SECRET_KEY")
    if not secret:
        if env_name == "production":
            raise RuntimeError("CLAIMDESK_SECRET_KEY must be set in production")
        secret = _instance_secret(instance)
    cfg["SECRET_KEY"] = secret
    if overrides:
        cfg.update(overrides)
    return cfg
