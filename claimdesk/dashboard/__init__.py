"""Managers' dashboards and reports: SLA performance, backlog, complaint trends, claims money."""


def init_app(app) -> None:
    from .. import demo
    from .demo import seed_dashboard

    if seed_dashboard not in demo.SEEDERS:
        demo.SEEDERS.append(seed_dashboard)
