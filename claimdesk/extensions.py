"""Extensions, created unbound here and bound to the app in create_app."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so Alembic (and SQLite batch mode) can address them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


class ClaimdeskApi(Api):
    """flask-smorest's Api with the api.md error body as its documented error schema."""

    from .core.openapi import ErrorSchema as ERROR_SCHEMA


def _error_plugin():
    from .core.openapi import ErrorResponsesPlugin

    return ErrorResponsesPlugin()


api = ClaimdeskApi(spec_kwargs={"extra_plugins": [_error_plugin()]})
# Storage comes from RATELIMIT_STORAGE_URI (Redis when configured, else memory); see config.py.
limiter = Limiter(key_func=get_remote_address)
