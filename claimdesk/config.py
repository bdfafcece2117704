"""Every setting, read from the environment (prefix CLAIMDESK_) in one place."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

PREFIX = "CLAIMDESK_"


def _env(name: str, default=None):
    return os.environ.get(PREFIX + name, default)


def _bool(value, default=False) -> bool:
    if value is None:
        return default
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret(instance_path: Path) -> str:
    """Development secret: generated once and kept in the instance folder (never in the repo)."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


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
        # Login throttling per client address (the per-account lockout lives in the database).
        "RATELIMIT_STORAGE_URI": _env("REDIS_URL") or "memory://",
        "RATELIMIT_SWALLOW_ERRORS": True,  # Redis down must not lock everybody out
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": _env("LOGIN_RATE_LIMIT", "10 per minute;60 per hour"),
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
    secret = _env("SECRET_KEY")
    if not secret:
        if env_name == "production":
            raise RuntimeError("CLAIMDESK_SECRET_KEY must be set in production")
        secret = _instance_secret(instance)
    cfg["SECRET_KEY"] = secret
    if overrides:
        cfg.update(overrides)
    return cfg
