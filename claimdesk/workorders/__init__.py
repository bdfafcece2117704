"""Work orders (任务委托书): reception, estimate, authorisation, workshop, checks, delivery, follow-up."""


def init_app(app):
    from .. import demo
    from .demo import seed_work_orders

    if seed_work_orders not in demo.SEEDERS:
        demo.SEEDERS.append(seed_work_orders)
