"""Stores, users, roles, sessions and API tokens; every permission check lives in permissions.py."""


def init_app(app):
    from .views import admin

    app.register_blueprint(admin)
