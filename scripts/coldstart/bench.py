#!/usr/bin/env python3
"""Cold-start bench of the release Lambda bootstraps (scripts/bench-coldstart).

A minimal Lambda Runtime API emulator (the 2018-06-01 API: invocation/next, .../response,
.../error, init/error) in this process; each bootstrap is started as a fresh process with the
environment Lambda and template.yaml give it, pointed at the emulator and, for AWS calls, at
moto's server (AWS_ENDPOINT_URL). Per start:

  init          exec (just before the process is spawned) -> its first GET invocation/next
                arrives (the connection accepted)
  first invoke  the event written out whole -> its response begins to arrive
  moto's share  of the first invoke: the time within it while one of the bootstrap's AWS
                requests was out, from the request's arrival at a timing proxy (one per start,
                between the bootstrap and moto) to the answer's last byte written back; "first
                invoke, less moto" takes it off, what is left is the bootstrap's own work. The
                hello-world calls no service.

A request "arrives" when its connection is accepted (the connection's first request) or at its
first byte (a later one on a kept-alive connection): the Python servers' own start of a thread
and parsing after that are not counted as the bootstrap's time.

Rounds go over every binary in turn, the hello-world baseline (functions/examples/hello_lambda)
included in each round, so load on the machine falls on both alike. Medians over the rounds.

--before DIR also starts, in the same rounds, the binaries of the same names found in DIR (an
older build kept aside, e.g. target/bench/coldstart-before/ with examples/hello_lambda), shown
as NAME@before: a before/after comparison under one machine load.
"""

import argparse
import base64
import http.client
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-central-1"
ACCOUNT = "123456789012"
TABLE = "svet-bench"
BUCKET = "svet-bench-123456789012-documents"
QUEUE = "svet-bench-bills"


def session_pair():
    """A fresh Ed25519 pair for the sessions: the private key's PKCS#8 PEM (the SSM value) and
    the public key in unpadded base64url (SESSION_PUBLIC_KEY)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return pem, base64.urlsafe_b64encode(raw).decode().rstrip("=")


SESSION_PRIVATE_PEM, SESSION_PUBLIC_KEY = session_pair()
PARAMS = {
    "SESSION_KEY_PARAMETER": ("/svet/bench/session-key", SESSION_PRIVATE_PEM),
    "SBERBANK_PASSWORD_PARAMETER": ("/svet/bench/sberbank-password", "bench-password"),
    "SBERBANK_CALLBACK_KEY_PARAMETER": ("/svet/bench/sberbank-callback-key", "bench-callback-token"),
}
HELLO = "hello_lambda"
# Variants that show what the SSM call costs: the same binary without the parameters' names
# (the session's public key only, no bank), so it makes no SSM call at init.
NO_SSM = "~no-ssm"
# With the system's root certificates cut to one by SSL_CERT_FILE/SSL_CERT_DIR: what loading
# the platform's ~150 roots costs a binary that reads them (rustls-native-certs; the builds
# before 2026-11-26 did, at every SDK client's construction). The current binaries trust
# compiled-in roots and read no file, so for them this variant changes nothing.
ONE_ROOT = "~one-root"
ONE_ROOT_PEM = "/etc/ssl/certs/ISRG_Root_X1.pem"
# The same binary with svet_functions' debug line on (AWS_LAMBDA_LOG_LEVEL), which gives the
# time of each step of building the application; the steps are tabled after the main table.
PHASES = "~phases"
PHASES_MESSAGE = "cold start: the application is built"
PHASE_FIELDS = ["sdk_config_us", "config_us", "clients_us", "rest_us"]
# Binaries kept from an older build (--before DIR).
BEFORE = "@before"
VARIANTS = [
    "login" + NO_SSM,
    "payments-start" + NO_SSM,
    "payments-start" + PHASES,
    "login" + PHASES,
    "health" + PHASES,
]


def base_name(name):
    """The binary's name: NAME in NAME~variant~variant@before."""
    return name.removesuffix(BEFORE).split("~")[0]

# Jobs (no HTTP route): a harmless first event, or None to measure init only.
JOB_EVENTS = {
    # Settles nothing on an empty table: the pending and receipt-queue queries find nothing.
    "reconcile-payments": {"version": "0", "detail-type": "Scheduled Event", "source": "aws.scheduler"},
    # An unknown payment: one read, answered as JSON, no bank call.
    "payments-refund": {"payment_id": "bench-no-such-payment", "amount": "1,00"},
    # One scan segment of an empty table: nothing to bill.
    "bills-work": {
        "Records": [
            {
                "messageId": "bench-1",
                "receiptHandle": "bench",
                "body": json.dumps({"period": "2026-10", "segment": 0, "segments": 512}),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE}",
                "awsRegion": REGION,
            }
        ]
    },
    # Would send BILL_SEGMENTS (512) messages: init only.
    "bills-plan": None,
    # Needs an uploaded registry file: init only.
    "registry-import": None,
}


# --- the Runtime API emulator -------------------------------------------------------------


class Run:
    """One start of one bootstrap: the event to hand out and the times seen."""

    def __init__(self, event, timeout_s):
        self.event = event
        self.timeout_s = timeout_s  # the function's Timeout: the deadline handed out
        self.request_id = str(uuid.uuid4())
        self.t_next = None
        self.t_handout = None
        self.t_done = None
        self.outcome = None  # "response" | "error" | "init-error"
        self.body = b""
        self.service_spans = []  # [start, end] of each AWS request, through ServiceProxy
        self.first_next = threading.Event()
        self.done = threading.Event()
        self.stop = threading.Event()


class Arrivals(BaseHTTPRequestHandler):
    """Notes when each request began to reach this server (`self.arrived`): a connection's first
    request when the connection was accepted, a later one at its first byte. What Python does
    after that (starting the connection's thread, parsing the request line and headers) is this
    server's time, not the client's."""

    def setup(self):
        super().setup()
        self.arrived = self.server.accepted.pop(self.connection.fileno(), None)

    def handle_one_request(self):
        if self.arrived is None:
            self.rfile.peek(1)  # blocks until the next request's first byte (or the end)
            self.arrived = time.perf_counter_ns()
        super().handle_one_request()
        self.arrived = None


class Emulator(Arrivals):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_GET(self):
        now = self.arrived
        run = self.server.run
        if not self.path.endswith("/runtime/invocation/next") or run is None:
            return self._reply(404)
        if run.t_next is None:
            run.t_next = now
            run.first_next.set()
            if run.event is None:  # init only: hold the request until the process is killed
                run.stop.wait(30)
                return
            body = json.dumps(run.event).encode()
            deadline = int(time.time() * 1000) + run.timeout_s * 1000
            self._reply(
                200,
                body,
                [
                    ("Content-Type", "application/json"),
                    ("Lambda-Runtime-Aws-Request-Id", run.request_id),
                    ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                    (
                        "Lambda-Runtime-Invoked-Function-Arn",
                        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bench",
                    ),
                    ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0"),
                ],
            )
            run.t_handout = time.perf_counter_ns()  # the event has been written out whole
        else:  # the next invocation after the first: none comes
            run.stop.wait(30)

    def do_POST(self):
        now = self.arrived
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        run = self.server.run
        m = re.search(r"/runtime/(?:invocation/([^/]+)/(response|error)|init/(error))$", self.path)
        if run is None or m is None:
            return self._reply(404)
        self._reply(202, b'{"status":"OK"}', [("Content-Type", "application/json")])
        run.t_done = now
        run.body = body
        run.outcome = {"response": "response", "error": "error"}.get(m.group(2), "init-error")
        run.first_next.set()
        run.done.set()


class Server(ThreadingHTTPServer):
    """One emulator per start, on a port of its own, so that nothing a killed bootstrap sent
    can reach the next start's run."""

    daemon_threads = True
    run = None
    moto_url = None  # where a ServiceProxy forwards to

    def __init__(self, *args, **kwargs):
        self.accepted = {}  # socket number -> when it was accepted, for Arrivals
        super().__init__(*args, **kwargs)

    def get_request(self):
        connection, address = super().get_request()
        self.accepted[connection.fileno()] = time.perf_counter_ns()
        return connection, address

    @classmethod
    def serving(cls, handler, run, moto_url=None):
        """A server on a free loopback port, answering in a thread of its own."""
        server = cls(("127.0.0.1", 0), handler)
        server.run, server.moto_url = run, moto_url
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def close(self):
        self.shutdown()
        self.server_close()

    def handle_error(self, request, client_address):
        # A bootstrap killed while its next request is held resets the connection.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class ServiceProxy(Arrivals):
    """Between one bootstrap and moto: forwards each request as it came (one kept-alive
    connection to moto per connection from the bootstrap) and notes when it arrived and when its
    answer went back, so that the bench can tell the bootstrap's own time from the time it
    waited on a service."""

    protocol_version = "HTTP/1.1"
    HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}

    def log_message(self, *args):
        pass

    def _body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _forward(self):
        span = [self.arrived, None]  # open until the answer has gone back
        self.server.run.service_spans.append(span)
        body = self._body()
        upstream = getattr(self, "upstream", None)
        if upstream is None:
            target = urlsplit(self.server.moto_url)
            upstream = self.upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in self.HOP_BY_HOP}
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response_only(answer.status, answer.reason)
        for k, v in answer.getheaders():
            if k.lower() not in self.HOP_BY_HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()
        span[1] = time.perf_counter_ns()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

    def finish(self):
        super().finish()
        if getattr(self, "upstream", None) is not None:
            self.upstream.close()


def busy_ns(spans, start, end):
    """How long within [start, end] at least one of the spans was open (a span still open at
    the end counts to the end)."""
    total, reach = 0, start
    for a, b in sorted((a, end if b is None else b) for a, b in spans):
        a, b = max(a, reach), min(b, end)
        if b > a:
            total += b - a
            reach = b
    return total


# --- what each bootstrap gets ---------------------------------------------------------------


class CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {"!" + suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {"!" + suffix: loader.construct_sequence(node, deep=True)}
    return {"!" + suffix: loader.construct_mapping(node, deep=True)}


CfnLoader.add_multi_constructor("!", _tag)


def template_functions(moto_url):
    """{binary: (memory MB, timeout s, {env var: value})} from template.yaml: Globals and the
    function's own."""
    t = yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)
    g = t["Globals"]["Function"]
    params = t.get("Parameters", {})

    def value(name, v):
        fixed = {
            "TABLE_NAME": TABLE,
            "BUCKET_NAME": BUCKET,
            "PUBLIC_URL": "https://lk.example.ru",
            "ORIGIN_VERIFY": "6f1c2d3e-0000-4000-8000-000000000000",
            "BILL_QUEUE_URL": f"{moto_url}/{ACCOUNT}/{QUEUE}",
            "SBERBANK_URL": "https://3dsec.sberbank.ru/payment/rest/",
            "SBERBANK_USER_NAME": "bench-api",
            "SBERBANK_CALLBACK_SIGNATURE": "hmac",
            "SESSION_PUBLIC_KEY": SESSION_PUBLIC_KEY,
        }
        if name in PARAMS:
            return PARAMS[name][0]
        if name in fixed:
            return fixed[name]
        if isinstance(v, str):
            return v
        if isinstance(v, dict) and "!Ref" in v and "Default" in params.get(v["!Ref"], {}):
            return str(params[v["!Ref"]]["Default"])
        return None  # conditional or unknown (MAIL_FROM: the config's address)

    out = {}
    for res in t["Resources"].values():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        binary = res.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        if not binary:
            continue
        props = res.get("Properties", {})
        env = {}
        for source in (g.get("Environment", {}), props.get("Environment", {})):
            for k, v in (source.get("Variables") or {}).items():
                val = value(k, v)
                if val is not None:
                    env[k] = val
        memory = int(props.get("MemorySize", g.get("MemorySize", 128)))
        out[binary] = (memory, int(props.get("Timeout", g.get("Timeout", 3))), env)
    return out


def http_routes():
    """{function: (method, path)} from shared/api/src/routes.rs."""
    text = (ROOT / "shared/api/src/routes.rs").read_text()
    return {
        m.group(1): (m.group(2), m.group(3))
        for m in re.finditer(r'route!\(\s*"([^"]+)",\s*(\w+),\s*"([^"]+)"', text)
    }


def apigw_v2_event(method, path):
    """An API Gateway HTTP API (payload 2.0) request as the template's HttpApi sends it: no
    cookie and no Origin, so the handlers answer at once (401/403 where a session is needed)."""
    now = time.time()
    post = method in ("POST", "PUT")
    headers = {
        "accept": "application/json",
        "host": "lk.example.ru",
        "user-agent": "svet-bench-coldstart",
        "x-forwarded-for": "198.51.100.7",
        "x-forwarded-proto": "https",
    }
    if post:
        headers["content-type"] = "application/json"
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "bench",
            "domainName": "lk.example.ru",
            "domainPrefix": "lk",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.7",
                "userAgent": "svet-bench-coldstart",
            },
            "requestId": "bench-" + uuid.uuid4().hex[:12],
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": "{}" if post else None,
        "isBase64Encoded": False,
    }


def lambda_env(name, memory, api, moto_url, home):
    """The variables Lambda itself sets for a provided.al2023 function (credentials for moto)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "HOME": home,  # empty: no ~/.aws files to read, as on Lambda
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "_HANDLER": "bootstrap",
        "AWS_LAMBDA_RUNTIME_API": api,
        "AWS_LAMBDA_FUNCTION_NAME": f"svet-{name}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/svet-{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/25/[$LATEST]bench",
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": "INFO",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


# --- moto ----------------------------------------------------------------------------------


def prepare_moto(moto_url):
    import boto3

    kw = dict(
        endpoint_url=moto_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    ssm = boto3.client("ssm", **kw)
    for name, value in PARAMS.values():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
        ssm.get_parameter(Name=name, WithDecryption=True)  # moto's SSM backend warm
    ddb = boto3.client("dynamodb", **kw)
    if TABLE not in ddb.list_tables()["TableNames"]:
        ddb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
        )
    ddb.get_item(TableName=TABLE, Key={"PK": {"S": "warm"}, "SK": {"S": "warm"}})
    s3 = boto3.client("s3", **kw)
    try:
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    boto3.client("sqs", **kw).create_queue(QueueName=QUEUE)
    boto3.client("sesv2", **kw).create_email_identity(EmailIdentity="example.ru")
    # What one SSM GetParameter costs against moto here (boto3, kept-alive connection).
    name = PARAMS["SESSION_KEY_PARAMETER"][0]
    times = []
    for _ in range(20):
        t = time.perf_counter_ns()
        ssm.get_parameter(Name=name, WithDecryption=True)
        times.append((time.perf_counter_ns() - t) / 1e6)
    return statistics.median(times)


# --- one start -------------------------------------------------------------------------------


def rss_kb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def start(binary_path, env, event, timeout_s, log, timeout=30.0):
    run = Run(event, timeout_s)
    server = Server.serving(Emulator, run)
    proxy = Server.serving(ServiceProxy, run, env["AWS_ENDPOINT_URL"])
    env = dict(
        env,
        AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{proxy.server_address[1]}",
    )
    # The binary read into the page cache first: this machine's host takes back page cache
    # within minutes, and a start that reads 35 MB from the virtual disk measured the disk.
    with open(binary_path, "rb") as binary:
        while binary.read(1 << 20):
            pass
    with open(log, "ab") as out:
        t0 = time.perf_counter_ns()
        proc = subprocess.Popen(
            [str(binary_path)], env=env, cwd=env["HOME"], stdout=out, stderr=subprocess.STDOUT
        )
        result = {
            "init_ms": None,
            "invoke_ms": None,
            "invoke_moto_ms": None,
            "outcome": None,
            "status": None,
            "rss_kb": None,
        }
        try:
            waited = run.first_next.wait(timeout)
            if event is not None and waited and run.outcome is None:
                run.done.wait(timeout)
            if run.t_next is not None:
                result["init_ms"] = (run.t_next - t0) / 1e6
            if run.t_done is not None and run.t_handout is not None:
                result["invoke_ms"] = (run.t_done - run.t_handout) / 1e6
                result["invoke_moto_ms"] = busy_ns(list(run.service_spans), run.t_handout, run.t_done) / 1e6
                # Where the bootstrap's own share of it went: before its first AWS request of
                # the invoke arrived, and after the last answer went back (results.json only).
                spans = [sp for sp in list(run.service_spans) if run.t_handout <= sp[0] <= run.t_done]
                if spans:
                    result["invoke_to_first_request_ms"] = (spans[0][0] - run.t_handout) / 1e6
                    if spans[-1][1] is not None:
                        result["invoke_after_last_answer_ms"] = (run.t_done - spans[-1][1]) / 1e6
            result["outcome"] = run.outcome or ("init-only" if run.t_next else "no-next")
            if proc.poll() is not None and run.t_next is None:
                result["outcome"] = f"exited {proc.returncode}"
            if run.outcome == "response":
                try:
                    result["status"] = json.loads(run.body).get("statusCode")
                except (ValueError, AttributeError):
                    pass
            result["rss_kb"] = rss_kb(proc.pid)
        finally:
            run.stop.set()
            proc.kill()
            proc.wait()
            server.close()
            proxy.close()
    return result


def phase_table(logs, names):
    """The steps of building the application (svet_functions::aws_app's debug line), medians
    over the starts of each ~phases variant, as table lines."""
    if not names:
        return []
    lines = [
        "Steps of the init (svet_functions::aws_app, its debug line), medians:",
        "",
        "| function | " + " | ".join(f.removesuffix("_us") for f in PHASE_FIELDS) + " | starts |",
        "|---|" + "---|" * (len(PHASE_FIELDS) + 1),
    ]
    for name in names:
        samples = {f: [] for f in PHASE_FIELDS}
        starts = 0
        path = logs / f"{name}.log"
        for line in path.read_text(errors="replace").splitlines() if path.is_file() else []:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict) or record.get("message") != PHASES_MESSAGE:
                continue
            starts += 1
            for f in PHASE_FIELDS:
                if isinstance(record.get(f), (int, float)):
                    samples[f].append(record[f] / 1000)
        cells = [f"{median(samples[f]):.2f} ms" if samples[f] else "—" for f in PHASE_FIELDS]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {starts} |")
    return lines


def elf_kind(path):
    """"pie" or "fixed" from the ELF header's e_type (functions/build.rs links the bootstraps
    without PIE), and ", symbols" when the file still has a symbol table (.symtab): a release
    bootstrap should be stripped, and a size should say what it includes."""
    with open(path, "rb") as f:
        header = f.read(64)
        if header[:4] != b"\x7fELF" or header[4] != 2:  # ELF, 64-bit
            return "not ELF64"
        e_type = int.from_bytes(header[16:18], "little")
        kind = {2: "fixed", 3: "pie"}.get(e_type, f"e_type {e_type}")
        shoff = int.from_bytes(header[0x28:0x30], "little")
        shentsize = int.from_bytes(header[0x3A:0x3C], "little")
        shnum = int.from_bytes(header[0x3C:0x3E], "little")
        f.seek(shoff)
        table = f.read(shnum * shentsize)  # the section headers only, not the whole binary
    sh_types = (int.from_bytes(table[h + 4 : h + 8], "little") for h in range(0, len(table), shentsize))
    return kind + (", symbols" if 2 in sh_types else "")  # SHT_SYMTAB


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", default=str(ROOT / "target/release"))
    ap.add_argument("--moto-url", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "target/bench/coldstart"))
    ap.add_argument("--only", nargs="*", help="binaries to run (default: every function in template.yaml)")
    ap.add_argument("--before", help="a folder of older binaries to start beside these (NAME@before)")
    args = ap.parse_args()

    bin_dir = Path(args.bin_dir).resolve()
    out = Path(args.out)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    for f in (out / "logs").glob("*.log"):
        f.unlink()

    ssm_ms = prepare_moto(args.moto_url)
    functions = template_functions(args.moto_url)
    routes = http_routes()
    names = args.only or sorted(functions) + VARIANTS
    hello_path = bin_dir / "examples" / HELLO
    if not args.only:  # every function built; the rest are named in the output
        skipped = [n for n in names if not (bin_dir / base_name(n)).is_file()]
        names = [n for n in names if n not in skipped]
        if skipped:
            print(f"not built, skipped: {', '.join(skipped)}", flush=True)
    missing = [n for n in names if not (bin_dir / base_name(n)).is_file()]
    if not hello_path.is_file():
        missing.append(f"examples/{HELLO}")
    if missing:
        sys.exit(f"not built: {', '.join(missing)} (cargo build --release -p svet-functions --bins --examples)")
    before_dir = Path(args.before).resolve() if args.before else None
    if before_dir:
        # Each binary beside its older build; variants of the older build too (no ~phases: the
        # older builds have no such log line).
        paired = []
        for n in names:
            paired.append(n)
            if PHASES not in n and (before_dir / base_name(n)).is_file():
                paired.append(n + BEFORE)
        names = paired
        if (before_dir / "examples" / HELLO).is_file():
            names.insert(0, HELLO + BEFORE)

    api = "set per start"
    home = tempfile.mkdtemp(prefix="svet-coldstart-home-")

    def plan(name):
        directory = before_dir if name.endswith(BEFORE) else bin_dir
        if base_name(name) == HELLO:
            return directory / "examples" / HELLO, 256, 10, {}, apigw_v2_event("GET", "/hello")
        base = base_name(name)
        memory, timeout_s, fenv = functions[base]
        if NO_SSM in name:
            fenv = {k: v for k, v in fenv.items() if k != "SESSION_KEY_PARAMETER" and not k.startswith("SBERBANK_")}
        if ONE_ROOT in name:
            fenv = dict(fenv, SSL_CERT_FILE=ONE_ROOT_PEM, SSL_CERT_DIR=home)
        if PHASES in name:
            fenv = dict(fenv, AWS_LAMBDA_LOG_LEVEL="info,svet_functions=debug")
        name = base
        if name in routes:
            event = apigw_v2_event(*routes[name])
        else:
            event = JOB_EVENTS.get(name)
        return directory / name, memory, timeout_s, fenv, event

    results = {n: [] for n in [HELLO] + names}
    for r in range(args.runs):
        # hello first, then every function, then hello again: two baseline samples a round.
        # The functions' order turns by one each round, so that no function always takes the
        # same place in a round (whatever the machine does at that moment).
        turned = names[r % len(names) :] + names[: r % len(names)] if names else names
        for name in [HELLO] + turned + [HELLO]:
            path, memory, timeout_s, fenv, event = plan(name)
            env = lambda_env(base_name(name), memory, api, args.moto_url, home)
            env.update(fenv)  # after Lambda's own: a variant may change its log level
            res = start(path, env, event, timeout_s, out / "logs" / f"{name}.log")
            res["round"] = r
            results[name].append(res)
            print(
                f"round {r + 1}/{args.runs} {name:24} init {res['init_ms'] or float('nan'):8.2f} ms"
                f"  first invoke {res['invoke_ms'] or float('nan'):8.2f} ms"
                f" (moto {res['invoke_moto_ms'] or 0:5.2f} ms)  {res['outcome']} {res['status'] or ''}",
                flush=True,
            )
    hello = results[HELLO]
    h_init = median([x["init_ms"] for x in hello])
    h_inv = median([x["invoke_ms"] for x in hello])
    h_init_min = min((x["init_ms"] for x in hello if x["init_ms"] is not None), default=None)
    rows = []
    for name in [HELLO] + names:
        path, memory, _, _, event = plan(name)
        xs = results[name]
        init = median([x["init_ms"] for x in xs])
        init_min = min((x["init_ms"] for x in xs if x["init_ms"] is not None), default=None)
        inv = median([x["invoke_ms"] for x in xs])
        moto = median([x["invoke_moto_ms"] for x in xs])
        own = median([x["invoke_ms"] - x["invoke_moto_ms"] for x in xs if x["invoke_ms"] is not None])
        outcomes = sorted({f"{x['outcome']}{' ' + str(x['status']) if x['status'] else ''}" for x in xs})
        rows.append(
            {
                "name": name,
                "kind": "baseline" if base_name(name) == HELLO else ("http" if base_name(name) in routes else "job"),
                "link": elf_kind(path),
                "memory_mb": memory,
                "size_bytes": path.stat().st_size,
                "init_ms": init,
                "init_min_ms": init_min,
                "invoke_ms": inv,
                "init_ratio": init / h_init if init and h_init else None,
                # The fastest start of each: on a machine shared with other work, the least
                # disturbed sample of both.
                "init_min_ratio": init_min / h_init_min if init_min and h_init_min else None,
                "invoke_ratio": inv / h_inv if inv and h_inv else None,
                "invoke_moto_ms": moto,
                "invoke_own_ms": own,
                "invoke_own_ratio": own / h_inv if own and h_inv else None,
                "total_ratio": (init + inv) / (h_init + h_inv) if init and inv and h_init and h_inv else None,
                "rss_kb": median([x["rss_kb"] for x in xs]),
                "outcomes": outcomes,
                "samples": len(xs),
            }
        )
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "runs": args.runs,
        "loadavg_after": os.getloadavg(),
        "cpus": os.cpu_count(),
        "uname": " ".join(os.uname()),
        "moto_ssm_get_parameter_ms": ssm_ms,
    }
    (out / "results.json").write_text(json.dumps({"meta": meta, "rows": rows, "raw": results}, indent=1))

    def f(x, d=1):
        return "—" if x is None else f"{x:.{d}f}"

    lines = [
        f"Cold start, {args.runs} starts each, medians; {meta['date']}; load average after"
        f" {meta['loadavg_after'][0]:.1f}; one SSM GetParameter on moto (boto3) {ssm_ms:.1f} ms",
        "",
        "| function | kind | link | memory | size | init | init, fastest | first invoke | of it, moto"
        " | init ÷ hello | fastest ÷ hello's | invoke ÷ hello | invoke less moto ÷ hello"
        " | (init+invoke) ÷ hello | RSS | answer |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['name']} | {row['kind']} | {row['link']} | {row['memory_mb']} MB"
            f" | {row['size_bytes'] / 1e6:.2f} MB"
            f" | {f(row['init_ms'])} ms | {f(row['init_min_ms'])} ms | {f(row['invoke_ms'], 2)} ms"
            f" | {f(row['invoke_moto_ms'], 2)} ms"
            f" | {f(row['init_ratio'])}× | {f(row['init_min_ratio'])}×"
            f" | {f(row['invoke_ratio'])}× | {f(row['invoke_own_ratio'])}×"
            f" | {f(row['total_ratio'])}× | {f((row['rss_kb'] or 0) / 1024)} MB"
            f" | {', '.join(row['outcomes'])} |"
        )
    phases = phase_table(out / "logs", [n for n in names if PHASES in n])
    if phases:
        lines += [""] + phases
    (out / "table.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    main()
