"""The API for bench agents: runs posted with their measurements and erasures, manual erasures."""

from __future__ import annotations

import pytest

from tests.conftest import passing_result, result_json

API = "/api/v1"
LAPTOP = {"serial_number": "PF1API01", "category": "laptop", "make": "Lenovo", "model": "T480"}
DRIVE = {
    "drive_model": "Samsung PM981",
    "drive_serial": "S4DYNX0M123456",
    "capacity_bytes": 256_060_514_304,
    "drive_type": "NVME",
    "method": "CRYPTO",
    "tool": "ShredOS nwipe 0.34",
    "log": "crypto erase done, verified",
}

NO_START = {
    name: value
    for name, value in result_json(passing_result("erasure"))["erasures"][0].items()
    if name != "started_at"
}


@pytest.fixture
def tag(client, bearer):
    response = client.post(f"{API}/devices", json=LAPTOP, headers=bearer("warehouse", "wanda"))
    return response.get_json()["asset_tag"]


def test_an_agent_posts_a_run_and_the_device_shows_it(client, bearer, tag):
    theo = bearer("technician", "theo")
    body = result_json(passing_result("erasure", drive_serial="WD-1"))
    body["station"] = "bench-3"
    body["transcript"] = [
        {"at": body["started_at"], "direction": ">", "text": "DISK:INFO?"},
        {"at": body["started_at"], "direction": "<", "text": "WDC,WD-1,500107862016,HDD"},
    ]
    posted = client.post(f"{API}/devices/{tag}/diagnostics", json=body, headers=theo)
    assert posted.status_code == 201, posted.get_json()
    run = posted.get_json()
    assert (run["script"], run["outcome"], run["operator"], run["station"]) == (
        "erasure",
        "pass",
        "theo",
        "bench-3",
    )
    assert run["bench"]["model"] == "DISK-300"
    assert run["measurements"][0]["name"] == "erasure_ok"
    assert run["limits"] == {"erasure_ok": {"low": 1.0, "high": None}}
    assert run["drives"][0]["serial"] == "WD-1"

    device = client.get(f"{API}/devices/{tag}", headers=theo).get_json()
    assert [item["id"] for item in device["diagnostics"]] == [run["id"]]
    [erasure] = device["erasures"]
    assert (erasure["drive_serial"], erasure["nist_category"], erasure["manual"]) == (
        "WD-1",
        "Clear",
        False,
    )
    kinds = [event["kind"] for event in device["events"]]
    assert kinds[-3:] == ["diagnostic_started", "erasure", "diagnostic_run"]


def test_a_manual_erasure_and_no_storage_by_api(client, bearer, tag):
    manager = bearer("manager", "marie")
    response = client.post(f"{API}/devices/{tag}/erasures", json=DRIVE, headers=manager)
    assert response.status_code == 201
    record = response.get_json()
    assert (record["manual"], record["nist_category"], record["log"]) == (
        True,
        "Purge",
        "crypto erase done, verified",
    )
    assert record["recorded_by"] == "marie" and record["verified"] is True
    first = client.post(f"{API}/devices/{tag}/no-storage", json={}, headers=manager)
    again = client.post(f"{API}/devices/{tag}/no-storage", json={"note": "x"}, headers=manager)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["declared_by"] == "marie"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"script": "coffee"}, "script"),
        ({"outcome": "great"}, "outcome"),
        ({"started_at": "yesterday"}, "started_at"),
        ({"started_at": "2026-03-04T09:00:00"}, "started_at"),
        ({"ended_at": "2020-01-01T00:00:00+00:00"}, "ended_at"),
        ({"bench": {"maker": "ACME"}}, "bench.model"),
        ({"bench": "BATT-100"}, "bench"),
        ({"measurements": [{"step": "x", "name": "y"}]}, "measurements[0].outcome"),
        ({"measurements": [{"step": "x", "name": "y", "outcome": "pass", "value": "1"}]},
         "measurements[0].value"),
        ({"measurements": {}}, "measurements"),
        ({"erasures": [NO_START]}, "erasures[0].started_at"),
        ({"erasures": [DRIVE]}, "erasures[0].log"),  # the first unknown member, in key order
        ({"transcript": [{"at": "2026-03-04T09:00:00Z", "direction": "?", "text": ""}]},
         "transcript[0].direction"),
    ],
)  # fmt: skip
def test_a_malformed_result_is_refused_naming_the_field(client, bearer, tag, change, field):
    theo = bearer("technician", "theo")
    body = result_json(passing_result("battery")) | change
    response = client.post(f"{API}/devices/{tag}/diagnostics", json=body, headers=theo)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["field"] == field
    device = client.get(f"{API}/devices/{tag}", headers=theo).get_json()
    assert device["diagnostics"] == []


def test_a_wrong_nist_category_is_refused(client, bearer, tag):
    body = result_json(passing_result("erasure"))
    body["erasures"][0]["nist_category"] = "Purge"  # OVERWRITE is Clear
    response = client.post(
        f"{API}/devices/{tag}/diagnostics", json=body, headers=bearer("technician", "theo")
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "erasures[0].nist_category"


@pytest.mark.parametrize("role", ["warehouse", "hr"])
def test_only_the_bench_roles_record_diagnostics(client, bearer, tag, role):
    headers = bearer(role, "someone")
    for path, body in (
        ("diagnostics", result_json(passing_result("battery"))),
        ("erasures", DRIVE),
        ("no-storage", {}),
    ):
        response = client.post(f"{API}/devices/{tag}/{path}", json=body, headers=headers)
        assert response.status_code == 403
        assert response.get_json()["error"]["permission"] == "record_diagnostics"
