"""The inbox tests use the SLA test case type and its ladder to produce real notices."""
from tests.sla.conftest import customer, gadget, gadgets, ladder_people, policies, t0  # noqa: F401
