"""JSON API of the customer archive: /api/v1/customers and /api/v1/vehicles."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.permissions import get_or_404, require
from ..core.http import page_schema, paginate
from . import queries, services
from .models import Customer, Vehicle
from .schemas import (CustomerIn, CustomerOut, CustomerPatch, CustomerQuery, VehicleIn, VehicleOut,
                      VehiclePatch, VehicleQuery)

blp = Blueprint("customers_api", __name__, url_prefix="/api/v1", description="Customer archive")


@blp.route("/customers")
class Customers(MethodView):
    @blp.arguments(CustomerQuery, location="query")
    @blp.response(200, page_schema(CustomerOut))
    def get(self, args):
        user = require("customers.read")
        return paginate(queries.customer_search(user, args), args)

    @blp.arguments(CustomerIn)
    @blp.response(201, CustomerOut)
    def post(self, data):
        user = require("customers.write")
        return services.create_customer(user, data)


@blp.route("/customers/<int:customer_id>")
class CustomerItem(MethodView):
    @blp.response(200, CustomerOut)
    def get(self, customer_id):
        user = require("customers.read")
        return get_or_404(Customer, customer_id, user)

    @blp.arguments(CustomerPatch)
    @blp.response(200, CustomerOut)
    def patch(self, data, customer_id):
        user = require("customers.write")
        return services.update_customer(get_or_404(Customer, customer_id, user), data)


@blp.route("/vehicles")
class Vehicles(MethodView):
    @blp.arguments(VehicleQuery, location="query")
    @blp.response(200, page_schema(VehicleOut))
    def get(self, args):
        user = require("customers.read")
        return paginate(queries.vehicle_search(user, args), args)

    @blp.arguments(VehicleIn)
    @blp.response(201, VehicleOut)
    def post(self, data):
        user = require("customers.write")
        return services.create_vehicle(user, data)


@blp.route("/vehicles/<int:vehicle_id>")
class VehicleItem(MethodView):
    @blp.response(200, VehicleOut)
    def get(self, vehicle_id):
        user = require("customers.read")
        return get_or_404(Vehicle, vehicle_id, user)

    @blp.arguments(VehiclePatch)
    @blp.response(200, VehicleOut)
    def patch(self, data, vehicle_id):
        user = require("customers.write")
        return services.update_vehicle(user, get_or_404(Vehicle, vehicle_id, user), data)
