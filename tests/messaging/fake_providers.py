"""A local HTTP server that answers like Alibaba Cloud SMS (SendSms) and the WeChat Official Account API
(token + template send), in their documented response formats. Tests script what it answers."""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from claimdesk.messaging.providers import aliyun_signature

SECRET = "fake-access-key-secret"
WECHAT_SECRET = "fake-wechat-secret"


class FakeProviders:
    def __init__(self):
        self.script: list[str] = []  # answers to give, in order; then "ok"
        self.requests: list[dict] = []
        self.token_requests = 0
        self.valid_tokens: set[str] = set()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _next(self) -> str:
        return self.script.pop(0) if self.script else "ok"

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, body: dict, status: int = 200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                if parts.path == "/cgi-bin/token":
                    fake.token_requests += 1
                    if query.get("secret") != WECHAT_SECRET:
                        return self._json({"errcode": 40001, "errmsg": "invalid credential"})
                    token = uuid.uuid4().hex
                    fake.valid_tokens.add(token)
                    return self._json({"access_token": token, "expires_in": 7200})
                # Alibaba Cloud SMS RPC call
                fake.requests.append({"api": "aliyun", **query})
                request_id = str(uuid.uuid4()).upper()
                signature = query.pop("Signature", None)
                if signature != aliyun_signature(query, SECRET):
                    return self._json({"Message": "Specified signature is not matched with our calculation.",
                                       "RequestId": request_id, "Code": "SignatureDoesNotMatch"}, 400)
                answer = fake._next()
                if answer == "timeout":
                    time.sleep(1.5)
                    return self._json({"Code": "OK", "Message": "OK", "BizId": "late", "RequestId": request_id})
                if answer == "rate_limited":
                    return self._json({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1",
                                       "RequestId": request_id})
                if answer == "invalid_number":
                    return self._json({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号",
                                       "RequestId": request_id})
                return self._json({"Code": "OK", "Message": "OK", "BizId": f"900619746936498440^{len(fake.requests)}",
                                   "RequestId": request_id})

            def do_POST(self):  # noqa: N802
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if parts.path != "/cgi-bin/message/template/send":
                    return self._json({"errcode": 404, "errmsg": "not found"}, 404)
                fake.requests.append({"api": "wechat", "access_token": query.get("access_token"), **body})
                if query.get("access_token") not in fake.valid_tokens:
                    return self._json({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
                answer = fake._next()
                if answer == "expire_token":
                    fake.valid_tokens.discard(query.get("access_token"))
                    return self._json({"errcode": 42001, "errmsg": "access_token expired"})
                if answer == "timeout":
                    time.sleep(1.5)
                    return self._json({"errcode": 0, "errmsg": "ok", "msgid": 1})
                if answer == "rate_limited":
                    return self._json({"errcode": 45009, "errmsg": "reach max api daily quota limit"})
                if answer == "invalid_number":
                    return self._json({"errcode": 40003, "errmsg": "invalid openid"})
                return self._json({"errcode": 0, "errmsg": "ok", "msgid": 200228332 + len(fake.requests)})

        return Handler
