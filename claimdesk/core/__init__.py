"""What every case type shares: the workflow engine, the timeline, errors, time, numbering."""


def init_app(app):
    from .views import init_probes

    init_probes(app)
