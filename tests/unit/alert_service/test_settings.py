"""Where the other workers reach this worker's API."""

import socket

from alert_service.settings import AlertServiceSettings


def test_advertised_url_defaults_to_the_listening_address() -> None:
    settings = AlertServiceSettings(http_host="127.0.0.1", http_port=8123)
    assert settings.api_url == "http://127.0.0.1:8123"


def test_listening_on_every_interface_advertises_the_host_name() -> None:
    settings = AlertServiceSettings(http_host="0.0.0.0", http_port=8002)
    assert settings.api_url == f"http://{socket.gethostname()}:8002"


def test_an_explicit_advertised_url_wins() -> None:
    settings = AlertServiceSettings(http_host="0.0.0.0", advertised_url="http://alerts-1:8002")
    assert settings.api_url == "http://alerts-1:8002"
