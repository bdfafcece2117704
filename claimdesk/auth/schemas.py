from marshmallow import Schema, fields, validate


class TokenIn(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class TokenOut(Schema):
    token = fields.String()
    expires_at = fields.DateTime()


class StoreOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    timezone = fields.String()


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String(allow_none=True)
    role = fields.String()
    store_id = fields.Integer()
    is_group = fields.Boolean()
    team = fields.String(allow_none=True)
