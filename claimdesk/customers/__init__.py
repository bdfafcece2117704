"""The customer archive: customers, vehicles, their history, and the search box of every page."""


def init_app(app):
    from .views import search_bp

    app.register_blueprint(search_bp)
