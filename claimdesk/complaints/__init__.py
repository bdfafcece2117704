"""Customer complaints (客户投诉): listen, apologise, resolve, follow up."""


def init_app(app):
    from ..demo import SEEDERS
    from .demo import seed_complaints

    if seed_complaints not in SEEDERS:
        SEEDERS.append(seed_complaints)
