"""三包 ledger (《家用汽车产品修理更换退货责任规定》): dated rule sets, a vehicle's repair episodes from
its work orders, repair-day counting, the art.-24 conditions and their alerts. docs/sanbao.md.

Where each part lives: `models.py` · `rules.py` the dated rule sets · `ledger.py` the counting (read
only) · `services.py` proposals, the advisor's confirmation, alerts · `queries.py` the at-risk list ·
`presenters.py` API dict and inbox texts · `api.py` / `views.py` · `jobs.py` the hourly sweep.

Other pages show a vehicle's status through the `sanbao_status(vehicle_id, work_order_id=None)` template
global (work orders and complaints do not import this package)."""


def _on_action(sender, case=None, **kw):
    if getattr(sender, "case_type", None) != "work_order" or case is None:
        return
    from .services import on_work_order_moved

    on_work_order_moved(case)


def init_app(app) -> None:
    from ..core.workflow import action_performed
    from .. import demo
    from . import presenters  # noqa: F401  registers the inbox texts
    from .demo import seed
    from .views import sanbao_status

    action_performed.connect(_on_action)
    app.jinja_env.globals["sanbao_status"] = sanbao_status
    if seed not in demo.SEEDERS:
        demo.SEEDERS.append(seed)
