"""Join codes projected from the facilitator's laptop carry an address phones can reach, and
certificates warn before they print an address only the workshop network can reach."""

import socket
import sys

import pytest

import lms.urls
from lms.urls import _interface_addresses, is_private_url, lan_address


@pytest.fixture
def laptop(app, client, monkeypatch):
    """The test client as the facilitator's own browser, on the laptop's loopback address."""
    monkeypatch.setitem(app.config, "SERVER_NAME", "127.0.0.1:5000")  # the test client's host
    monkeypatch.setattr(lms.urls, "lan_address", lambda: "192.168.1.20")
    return client


def test_room_view_on_loopback_shows_the_laptops_address_on_the_workshop_network(laptop, auth, make_cohort):
    cohort = make_cohort()
    auth.login(cohort.facilitators[0])
    laptop.get("/lang/vi")
    for path in (f"/cohorts/{cohort.id}/room", f"/cohorts/{cohort.id}/poster"):
        page = laptop.get(path).text
        assert f"http://192.168.1.20:5000/join/{cohort.join_code}" in page
        assert "127.0.0.1" in page  # the note says how the page was opened
        assert "địa chỉ của máy tính này trên mạng của lớp" in page  # the note, in Vietnamese
        assert "http://127.0.0.1:5000/join/" not in page
    laptop.get("/lang/en")
    page = laptop.get(f"/cohorts/{cohort.id}/room").text
    assert "the laptop's address on the workshop network, http://192.168.1.20:5000" in page


def test_room_view_on_loopback_without_a_network_says_so(laptop, auth, make_cohort, monkeypatch):
    monkeypatch.setattr(lms.urls, "lan_address", lambda: None)
    cohort = make_cohort()
    auth.login(cohort.facilitators[0])
    laptop.get("/lang/en")
    page = laptop.get(f"/cohorts/{cohort.id}/room").text
    assert f"http://127.0.0.1:5000/join/{cohort.join_code}" in page
    assert "has no address on a network" in page


def test_a_real_host_or_public_url_is_used_as_is_without_a_note(app, laptop, auth, make_cohort):
    cohort = make_cohort()
    auth.login(cohort.facilitators[0])
    app.config["SERVER_NAME"] = "lms.example.vn"
    auth.login(cohort.facilitators[0])
    page = laptop.get(f"/cohorts/{cohort.id}/room").text
    assert f"http://lms.example.vn/join/{cohort.join_code}" in page
    assert "address-note" not in page and "192.168.1.20" not in page

    app.config["SERVER_NAME"] = "127.0.0.1:5000"
    app.config["PUBLIC_URL"] = "https://training.example.vn"
    page = laptop.get(f"/cohorts/{cohort.id}/room").text
    assert f"https://training.example.vn/join/{cohort.join_code}" in page
    assert "address-note" not in page and "192.168.1.20" not in page


def test_lan_address_is_the_routes_source_address_never_loopback():
    found = lan_address()
    assert found is None or not found.startswith("127.")
    if found is not None and sys.platform == "linux":
        assert found in _interface_addresses()  # the same address, seen from the interfaces


def test_without_a_route_lan_address_reads_the_interfaces(monkeypatch):
    def no_route(self, address):
        raise OSError("Network is unreachable")  # a laptop's own hotspot, no default route

    monkeypatch.setattr(socket.socket, "connect", no_route)
    monkeypatch.setattr(lms.urls, "_interface_addresses", lambda: ["169.254.3.4", "10.42.0.1"])
    assert lan_address() == "10.42.0.1"  # link-local addresses are skipped
    monkeypatch.setattr(lms.urls, "_interface_addresses", lambda: [])
    assert lan_address() is None


@pytest.mark.parametrize(
    ("url", "private"),
    [
        ("http://127.0.0.1:5000/verify", True),
        ("http://localhost/verify", True),
        ("http://[::1]:8000/verify", True),
        ("http://192.168.1.20:5000/verify", True),
        ("http://10.0.0.5/verify", True),
        ("http://172.20.1.1/verify", True),
        ("http://laptop/verify", True),
        ("http://may-tinh.local/verify", True),
        ("https://training.example.vn/verify", False),
        ("http://203.113.131.1/verify", False),
    ],
)
def test_private_addresses_are_recognised(url, private):
    assert is_private_url(url) is private


def test_certificate_issuing_warns_before_printing_a_private_address(app, laptop, auth, make_cohort):
    cohort = make_cohort(trainees=1)
    auth.login(cohort.facilitators[0])
    laptop.get("/lang/vi")
    page = laptop.get(f"/cohorts/{cohort.id}/certificates").text
    assert "Kiểm tra địa chỉ trước khi in." in page and "http://127.0.0.1:5000/verify" in page
    laptop.get("/lang/en")
    page = laptop.get(f"/cohorts/{cohort.id}/certificates").text
    assert "Check the address before you print." in page

    app.config["PUBLIC_URL"] = "http://192.168.1.20:5000"  # configured, but still private
    assert "http://192.168.1.20:5000/verify" in laptop.get(f"/cohorts/{cohort.id}/certificates").text

    app.config["PUBLIC_URL"] = "https://training.example.vn"
    assert "Check the address" not in laptop.get(f"/cohorts/{cohort.id}/certificates").text
