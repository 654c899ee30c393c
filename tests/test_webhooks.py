"""The webhook address guard, the POST itself (against a real server on 127.0.0.1) and the
http.webhook action. DNS is faked in every test here: nothing leaves the machine."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from jobdeck import actions, webhooks
from jobdeck.actions import ActionError, InvalidParameters, Node
from jobdeck.webhooks import WebhookFailed, WebhookRefused, check_url, post_json
from tests.support import HookServer, action_context


@pytest.fixture
def hook_server() -> Iterator[HookServer]:
    with HookServer() as server:
        yield server


class FakeDns:
    """socket.getaddrinfo from a table: IP literals answer themselves, unknown names fail."""

    def __init__(self) -> None:
        self.names: dict[str, list[list[str]]] = {}  # host -> successive answers (the last one repeats)
        self.asked: list[str] = []

    def add(self, host: str, *answers: list[str]) -> None:
        self.names[host] = list(answers)

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        host = host.decode() if isinstance(host, bytes) else str(host)
        self.asked.append(host)
        try:
            ipaddress.ip_address(host)
            addresses = [host]
        except ValueError:
            answers = self.names.get(host)
            if not answers:
                raise socket.gaierror(socket.EAI_NONAME, f"fake DNS: no such name {host}") from None
            addresses = answers.pop(0) if len(answers) > 1 else answers[0]
        number = int(port or 0)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, number, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, number))
            for a in addresses
        ]


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    fake = FakeDns()
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    monkeypatch.delenv("JOBDECK_WEBHOOK_ALLOW", raising=False)
    return fake


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/hook", "127.0.0.1 is a loopback address"),
        ("http://localhost:8080/hook", "localhost is the local machine (loopback)"),
        ("http://app.localhost/", "app.localhost is the local machine (loopback)"),
        ("http://10.0.0.5/hook", "10.0.0.5 is a private address"),
        ("http://192.168.1.20/", "192.168.1.20 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is the cloud metadata address"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata.google.internal is a cloud metadata service"),
        ("http://[::1]/hook", "::1 is a loopback address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254 is a private address"),
        ("http://[::ffff:10.0.0.5]/", "::ffff:10.0.0.5 is a private address (as an IPv4-mapped IPv6 address)"),
        (
            "http://[::ffff:169.254.169.254]/",
            "is the cloud metadata address (link-local) (as an IPv4-mapped IPv6 address)",
        ),
        ("http://100.64.1.1/", "100.64.1.1 is in the shared address space 100.64.0.0/10"),
        ("http://0.0.0.0:8000/", "0.0.0.0 is the unspecified address"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
        ("ftp://example.com/file", "only http and https URLs are allowed, not ftp"),
        ("file:///etc/passwd", "only http and https URLs are allowed, not file"),
        ("gopher://example.com:70/", "only http and https URLs are allowed, not gopher"),
        ("example.com/hook", "only http and https URLs are allowed, not a URL without a scheme"),
        ("http://user:secret@example.com/", "credentials in the URL are not allowed"),
        ("http://example.com:99999/", "not a valid URL"),
        ("http:///nohost", "the URL names no host"),
    ],
)
def test_addresses_inside_the_network_and_other_schemes_are_refused_naming_why(dns, url, why):
    dns.add("example.com", ["93.184.216.34"])
    with pytest.raises(WebhookRefused) as refused:
        check_url(url)
    assert why in str(refused.value)


def test_a_name_that_resolves_to_a_private_address_is_refused(dns):
    dns.add("intranet.example.com", ["10.1.2.3"])
    with pytest.raises(WebhookRefused, match=r"intranet.example.com resolves to 10.1.2.3, which is a private address"):
        check_url("https://intranet.example.com/hook")


def test_every_address_a_name_resolves_to_must_be_public(dns):
    dns.add("split.example.com", ["93.184.216.34", "127.0.0.1"])
    with pytest.raises(WebhookRefused, match=r"resolves to 127.0.0.1, which is a loopback address"):
        check_url("https://split.example.com/hook")


def test_a_public_address_passes_with_what_the_request_will_use(dns):
    dns.add("hooks.example.com", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
    target = check_url("https://Hooks.Example.com./v1/hook?token=abc")
    assert target == webhooks.Target(
        scheme="https",
        host="hooks.example.com",
        port=443,
        path="/v1/hook?token=abc",
        addresses=("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"),
    )


def test_a_name_that_cannot_be_resolved_is_a_retryable_failure_not_a_refusal(dns):
    with pytest.raises(WebhookFailed) as failed:
        check_url("https://nowhere.example.com/")
    assert failed.value.retryable and "cannot resolve nowhere.example.com" in str(failed.value)


def test_the_allow_list_lets_an_address_a_network_or_a_host_name_through(dns, monkeypatch):
    dns.add("ci.internal", ["10.9.8.7"])
    monkeypatch.setenv("JOBDECK_WEBHOOK_ALLOW", " 127.0.0.1, 192.168.0.0/16,ci.internal ")
    assert check_url("http://127.0.0.1:9000/hook").addresses == ("127.0.0.1",)
    assert check_url("http://192.168.4.5/").addresses == ("192.168.4.5",)
    assert check_url("http://[::ffff:192.168.4.5]/").addresses == ("::ffff:192.168.4.5",)
    assert check_url("http://ci.internal/hook").addresses == ("10.9.8.7",)
    with pytest.raises(WebhookRefused, match=r"10\.0\.0\.5 is a private address"):
        check_url("http://10.0.0.5/")  # not on the list
    with pytest.raises(WebhookRefused, match="only http and https"):
        check_url("ftp://127.0.0.1/")  # the list opens addresses, not schemes


def test_post_json_sends_the_json_and_returns_the_status(hook_server):
    status = post_json(
        hook_server.url("/hook?token=t"), {"a": 1, "é": "ü"}, allow=["127.0.0.1"], headers={"X-Sig": "s"}
    )

    assert status == 204
    [request] = hook_server.requests
    assert request["path"] == "/hook?token=t"
    assert request["headers"]["content-type"] == "application/json"
    assert request["headers"]["x-sig"] == "s"
    assert hook_server.json() == {"a": 1, "é": "ü"}


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host_header(dns, hook_server):
    # The first answer is what check_url vets; a second lookup (DNS rebinding) would say 10.0.0.1.
    dns.add("hook.test", ["127.0.0.1"], ["10.0.0.1"])
    post_json(f"http://hook.test:{hook_server.port}/hook", {}, allow=["hook.test"])

    assert dns.asked.count("hook.test") == 1
    assert hook_server.requests[0]["headers"]["host"] == f"hook.test:{hook_server.port}"


def test_a_rebinding_name_cannot_move_the_connection_after_the_check(dns, monkeypatch):
    dns.add("rebind.example.com", ["93.184.216.34"], ["169.254.169.254"])
    dialled: list[tuple[str, int]] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        dialled.append(address)
        raise ConnectionRefusedError("not on this test's network")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(WebhookFailed) as failed:
        post_json("http://rebind.example.com/hook", {})

    assert dialled == [("93.184.216.34", 80)]
    assert failed.value.retryable and failed.value.status is None


def test_a_redirect_is_not_followed(hook_server):
    hook_server.status = 302
    hook_server.reply_headers = {"Location": "http://169.254.169.254/latest/meta-data/"}
    with pytest.raises(WebhookFailed) as failed:
        post_json(hook_server.url(), {}, allow=["127.0.0.1"])

    assert failed.value.status == 302 and not failed.value.retryable
    assert "redirect to http://169.254.169.254/latest/meta-data/ not followed" in str(failed.value)
    assert len(hook_server.requests) == 1


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (429, True), (404, False), (400, False)])
def test_an_answer_other_than_2xx_fails_with_its_status(hook_server, status, retryable):
    hook_server.status = status
    with pytest.raises(WebhookFailed) as failed:
        post_json(hook_server.url(), {}, allow=["127.0.0.1"])
    assert failed.value.status == status
    assert failed.value.retryable is retryable
    assert f"answered {status}" in str(failed.value)


def test_no_answer_in_time_is_a_retryable_failure():
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        with pytest.raises(WebhookFailed) as failed:
            post_json(f"http://127.0.0.1:{silent.getsockname()[1]}/", {}, timeout=0.3, allow=["127.0.0.1"])
    assert failed.value.retryable and failed.value.status is None
    assert "timed out" in str(failed.value)


def test_a_refused_connection_is_a_retryable_failure():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(WebhookFailed) as failed:
        post_json(f"http://127.0.0.1:{port}/", {}, allow=["127.0.0.1"])
    assert failed.value.retryable and "ConnectionRefusedError" in str(failed.value)


def test_headers_jobdeck_sets_and_broken_headers_are_refused(hook_server):
    with pytest.raises(WebhookRefused, match="the Host header is set by Jobdeck"):
        post_json(hook_server.url(), {}, allow=["127.0.0.1"], headers={"Host": "internal"})
    with pytest.raises(WebhookRefused, match="invalid header"):
        post_json(hook_server.url(), {}, allow=["127.0.0.1"], headers={"X-A": "1\r\nX-Injected: 2"})
    assert hook_server.requests == []


# ------------------------------------------------------------------ the http.webhook action


def test_the_webhook_action_declares_its_parameters():
    webhook = actions.get("http.webhook")
    assert webhook is not None and webhook.summary and "\n" not in webhook.summary
    assert webhook.validate({"url": "https://example.com/"}) == {"url": "https://example.com/"}
    with pytest.raises(InvalidParameters, match=r"must contain \['url'\]"):
        webhook.validate({})
    with pytest.raises(InvalidParameters, match="headers"):
        webhook.validate({"url": "https://example.com/", "headers": {"X-Count": 3}})
    with pytest.raises(InvalidParameters, match="payload"):
        webhook.validate({"url": "https://example.com/", "payload": [1, 2]})


def test_the_webhook_action_posts_a_summary_and_passes_its_input_on(settings, hook_server):
    webhook = actions.get("http.webhook")
    ctx, lines = action_context(dataclasses.replace(settings, webhook_allow=("127.0.0.1",)))
    nodes = [Node("inbox/a.jpg", 120, "e1"), Node("inbox/b.jpg", 7)]
    params = webhook.validate({"url": hook_server.url("/in"), "headers": {"Authorization": "Bearer t"}})

    out = webhook.run(ctx, params, nodes)

    assert out == nodes
    assert hook_server.requests[0]["headers"]["authorization"] == "Bearer t"
    assert hook_server.json() == {
        "job": {"id": "hooked", "label": "Hooked", "owner": "admin"},
        "task": {
            "id": "01JDTASK00000000000000000",
            "attempt": 2,
            "started_at": "2026-11-25T10:00:01+00:00",
            "trigger": {"type": "manual", "by": "alice"},
        },
        "nodes": [
            {"key": "inbox/a.jpg", "size": 120, "etag": "e1", "last_modified": None},
            {"key": "inbox/b.jpg", "size": 7, "etag": None, "last_modified": None},
        ],
        "nodes_total": 2,
    }
    assert lines == [("INFO", "webhook answered 204")]


def test_the_webhook_action_posts_the_payload_given(settings, hook_server):
    webhook = actions.get("http.webhook")
    ctx, _ = action_context(dataclasses.replace(settings, webhook_allow=("127.0.0.1",)))
    webhook.run(ctx, webhook.validate({"url": hook_server.url(), "payload": {"text": "done"}}), [])
    assert hook_server.json() == {"text": "done"}


def test_a_refused_url_fails_the_action_for_good(settings):
    webhook = actions.get("http.webhook")
    ctx, _ = action_context(settings)
    with pytest.raises(ActionError) as failed:
        webhook.run(ctx, webhook.validate({"url": "http://169.254.169.254/latest/meta-data/"}), [])
    assert failed.value.retryable is False
    assert "webhook refused: 169.254.169.254 is the cloud metadata address" in str(failed.value)


def test_a_webhook_that_is_down_fails_the_action_with_a_retry(settings, hook_server):
    hook_server.status = 503
    webhook = actions.get("http.webhook")
    ctx, _ = action_context(dataclasses.replace(settings, webhook_allow=("127.0.0.1",)))
    with pytest.raises(ActionError) as failed:
        webhook.run(ctx, webhook.validate({"url": hook_server.url()}), [])
    assert failed.value.retryable is True
    assert "answered 503" in str(failed.value)
