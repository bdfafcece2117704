"""A minimal case type for the SLA benchmark (its table is created by the benchmark, not migrations)."""
from claimdesk.cases.actions import common_actions
from claimdesk.core.models import CaseMixin
from claimdesk.core.workflow import REGISTRY, Workflow, register
from claimdesk.extensions import db


class BenchCase(CaseMixin, db.Model):
    __tablename__ = "bench_sla_cases"
    CASE_TYPE = "benchcase"
    NUMBER_PREFIX = "BC"


WF = Workflow("benchcase", BenchCase, ["open", "closed"], {"closed"}, [*common_actions(frozenset({"advisor"}))],
              initial="open")
if "benchcase" not in REGISTRY:
    register(WF)
