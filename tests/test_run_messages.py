"""What a run says, in the technician's language: its measurements by name, its message translated.

Runs store their message in English (the API gives it as it is); the pages find each
sentence's template again and say it in French or English. Old runs, stored before
the pages translated, read the same way; a bench's own words stay as the bench sent them.
"""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from diagnostics import jobs, messages, records
from diagnostics.benches import BatteryInfo, DiskInfo, Status
from diagnostics.link import BENCH_CODES, BenchError, error_for, garbage
from diagnostics.results import BenchIdentity, Measurement, RunResult
from diagnostics.scripts import BATTERY, ERASURE, PSU, SCRIPTS, measurement_specs
from inventory.errors import IllegalTransition
from inventory.intake import receive_device
from inventory.recycling import recycle
from inventory.types import utcnow
from tests.conftest import login, passing_result
from tests.test_runner import battery_bench, disk_bench, fault_status, psu_bench, run
from workshop.diagnostics_pages.runs import message_text
from workshop.display import error_text, label_for

ROOT = Path(__file__).resolve().parent.parent
FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}
ENGLISH = {"Accept-Language": "en"}


def _runner_messages() -> dict[str, str]:
    """What the runner writes when runs end in each way a bench can end them."""
    lost = BenchError("disconnected", messages.LINK_LOST, url="/dev/ttyUSB0", reason="EIO")
    ended = {
        "pass": run(BATTERY, battery_bench())[0],
        "worn": run(BATTERY, battery_bench(test_results=(32480.0, 310.0)))[0],
        "hot": run(BATTERY, battery_bench(temperature=51.0))[0],
        "no battery": run(BATTERY, battery_bench(present=False))[0],
        "overheated": run(
            BATTERY,
            battery_bench(
                test_status=[Status("RUNNING", 20), Status("FAULT", None, 102)],
                raise_for_fault=fault_status(
                    error_for(102, "Battery over temperature", command="BATT:TEST:STAT?")
                ),
            ),
        )[0],
        "time limit": run(BATTERY, battery_bench(test_status=Status("RUNNING", 50)))[0],
        "idle": run(BATTERY, battery_bench(test_status=[Status("IDLE", None)]))[0],
        "no design capacity": run(
            BATTERY, battery_bench(battery_info=BatteryInfo("LION", 0, 52100, 212, "5B10"))
        )[0],
        "stopped": run(BATTERY, battery_bench(), should_abort=lambda: True)[0],
        "wrong bench": run(BATTERY, psu_bench())[0],
        "rail low then lost": run(
            PSU, psu_bench(rail_voltage=[2.9, lost], power_off=lost, set_load=[None, lost])
        )[0],
        "no method": run(
            ERASURE,
            disk_bench(
                disk_info=DiskInfo("Samsung SSD 860 EVO", "S3YH", 250059350016, "SSD"),
                start_erase=BenchError("not_supported", BENCH_CODES[302][2], bench_code=302),
            ),
        )[0],
        "garbage": run(
            BATTERY, battery_bench(temperature=garbage("BATT:TEMP?", "3.x", "a number"))
        )[0],
        "internal": run(BATTERY, battery_bench(voltage=KeyError("cells")))[0],
        "disconnected": run(BATTERY, battery_bench(voltage=OSError(5, "Input/output error")))[0],
    }
    return {name: result.message for name, result in ended.items()}


def test_every_message_the_runner_writes_is_read_back_sentence_by_sentence():
    for name, message in _runner_messages().items():
        sentences = messages.parse(message)
        assert sentences, name
        assert all(sentence.known for sentence in sentences), (name, message)
        # Read back, the sentences say the stored message again, word for word.
        assert " ".join(sentence.text for sentence in sentences) == message, name


def test_a_composed_message_is_split_where_the_runner_joined_it():
    message = _runner_messages()["rail low then lost"]
    sentences = messages.parse(message)

    assert [sentence.template for sentence in sentences[:2]] == [
        messages.OUT_OF_LIMITS,
        messages.THEN,
    ]
    failure = sentences[0].details["failures"][0]
    assert (failure.name, failure.value) == ("load50_3v3_voltage", "2.9 V")
    assert failure.limits.template == messages.LIMITS_RANGE
    assert sentences[1].details["message"].template == messages.LINK_LOST
    cleanup = [sentence.details["what"].text for sentence in sentences[2:]]
    assert cleanup == [messages.SWITCH_LOAD_OFF, messages.RELEASE_PS_ON]


def _n_templates(path: Path) -> set[str]:
    """The templates a module marks with N_(...)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "N_"
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(node.args[0].value)
    return found


def test_every_sentence_the_link_the_drivers_and_the_runner_can_write_is_known():
    written = set()
    for module in ("link.py", "benches.py", "runner.py"):
        written |= _n_templates(ROOT / "diagnostics" / module)
    assert written, "no N_ template found: the scan is broken"
    assert written <= set(messages.SENTENCES)
    # The job sweep and the records write theirs: the same words, known too.
    assert jobs.AGENT_LOST == messages.AGENT_LOST
    assert messages.parse(jobs.AGENT_LOST)[0].known
    assert messages.parse(messages.ABANDONED)[0].known


def test_a_message_that_is_not_ours_is_kept_whole():
    for text in ("Bench on fire.", "The bench said: out of paper", "Out of limits: whatever."):
        sentences = messages.parse(text)
        assert [sentence.text for sentence in sentences] == [text]
        assert not sentences[0].known
    assert messages.parse("") == []


@pytest.fixture
def french(app: Flask):
    with app.test_request_context("/", headers=FRENCH):
        yield


@pytest.fixture
def english(app: Flask):
    with app.test_request_context("/", headers=ENGLISH):
        yield


def test_a_worn_battery_is_said_in_french_with_the_names_and_limits_in_words(french):
    said = message_text(_runner_messages()["worn"])

    assert said == (
        "Hors limites\u00a0: Santé de la batterie\u00a0: 58 % (limites\u00a0: au moins 70 %)"
        "\u00a0; Résistance interne de la batterie\u00a0: 310 mOhm "
        "(limites\u00a0: au plus 250 mOhm)."
    )


def test_the_same_message_in_english_names_the_measurements(english):
    said = message_text(_runner_messages()["worn"])

    assert said == (
        "Out of limits: Battery health 58 % (limits: at least 70 %); "
        "Battery internal resistance 310 mOhm (limits: at most 250 mOhm)."
    )


def test_every_kind_of_end_reads_in_french_and_the_bench_words_stay_as_sent(french):
    said = {name: message_text(message) for name, message in _runner_messages().items()}

    assert said["pass"] == "Toutes les mesures sont dans les limites."
    assert said["stopped"] == "Le test a été arrêté avant la fin."
    assert "L'étape «\u00a0test de capacité\u00a0» n'a pas fini" in said["time limit"]
    assert "6 h" in said["time limit"]
    assert "«\u00a0test de capacité\u00a0»" in said["idle"]
    assert said["wrong bench"].startswith("Le test Batterie a besoin d'un banc BATT-100")
    assert "PSU-200" in said["wrong bench"]
    assert "jauge" in said["no design capacity"]
    lost = said["rail low then lost"]
    assert lost.startswith("Hors limites\u00a0: Tension du rail +3,3 V à 50\u00a0% de charge")
    assert "Puis\u00a0: " in lost
    assert "Impossible de couper la charge\u00a0: " in lost
    assert "Impossible de relâcher PS_ON\u00a0: " in lost
    # Details that are the bench's or the system's own words are not translated.
    assert "EIO" in lost
    assert "CRYPTO ou SANITIZE" in said["no method"]
    assert "'3.x'" in said["garbage"] and "\\'" not in said["garbage"]
    assert "KeyError: 'cells'" in said["internal"]
    assert "Input/output error" in said["disconnected"]
    # Nothing is left in English.
    for name, text in said.items():
        assert "Check" not in text and "Out of limits" not in text, (name, text)


def test_the_bench_own_message_in_a_refusal_stays_as_the_bench_sent_it(french):
    refused = error_for(417, "Relay stuck open", command="PSU:LOAD 50")

    said = message_text(refused.message)

    assert "Relay stuck open" in said and "PSU:LOAD 50" in said and "417" in said
    assert said.startswith("Le banc a refusé")


def test_a_run_stored_before_the_pages_translated_reads_in_french(french):
    # Word for word what the runner wrote before it used diagnostics/messages.py.
    old = {
        "Out of limits: temperature 51 C (limits: at most 45 C).": (
            "Hors limites\u00a0: Température de la batterie\u00a0: 51 C (limites\u00a0: au plus 45 C)."
        ),
        "The bench stopped the erasing (crypto) without a fault (it answers IDLE): it was "
        "probably reset or switched off. Check it, then start again.": None,
        "The run never reported its end: the program running it stopped. Run it again.": (
            "Le test n'a jamais signalé sa fin\u00a0: le programme qui le menait s'est arrêté. "
            "Relancez-le."
        ),
    }
    for stored, expected in old.items():
        said = message_text(stored)
        if expected is not None:
            assert said == expected
    idle = message_text(list(old)[1])
    # The step's words of that time are kept; the sentence around them is French.
    assert idle.startswith("Le banc a arrêté «\u00a0erasing (crypto)\u00a0»")


# -- measurement names ------------------------------------------------------------------------------


def test_every_measurement_of_every_script_has_a_name_in_both_languages(app: Flask):
    names = {spec.name for script in SCRIPTS.values() for spec in measurement_specs(script)}
    steps = {step.name for script in SCRIPTS.values() for step in script.steps}
    for headers, language in ((ENGLISH, "en"), (FRENCH, "fr")):
        with app.test_request_context("/", headers=headers):
            for name in names:
                said = label_for("measurement", name)
                assert said and said != name and "_" not in said, (language, name)
            for step in steps:
                assert label_for("step", step) != step or step == "inspect", (language, step)
    with app.test_request_context("/", headers=FRENCH):
        assert label_for("measurement", "load100_minus12v_ripple") == (
            "Ondulation du rail −12 V à 100\u00a0% de charge"
        )
        assert label_for("measurement", "load50_5vsb_voltage") == (
            "Tension du rail +5 V de veille à 50\u00a0% de charge"
        )
        assert label_for("measurement", "health") == "Santé de la batterie"
        # A value a bench sends that no script defines keeps its code.
        assert label_for("measurement", "fan_rpm") == "fan_rpm"


# -- on the device page -------------------------------------------------------------------------------


def _stored_run(sessions, message: str, measurements: list[Measurement]) -> str:
    """A laptop with a battery run ended as the runner ended it; its asset tag."""
    with sessions() as session:
        device = receive_device(
            session,
            serial_number="PF1MSG",
            category="laptop",
            make="Lenovo",
            model="T480",
            entered_by=None,
        ).device
        ended = utcnow()
        records.record_run(
            session,
            device,
            RunResult(
                script="battery",
                outcome="fail",
                code="out_of_limits",
                message=message,
                started_at=ended - timedelta(minutes=90),
                ended_at=ended,
                bench=BenchIdentity("ACME Bench", "BATT-100", "B-1", "1.4.2"),
                measurements=measurements,
            ),
            operator=None,
        )
        session.commit()
        return device.asset_tag


WORN = [
    Measurement("capacity_test", "health", 58.0, "%", 70.0, None, True, "fail"),
    Measurement("capacity_test", "internal_resistance", 142.0, "mOhm", None, 250.0, True, "pass"),
    # Sent by a newer bench: no script defines it.
    Measurement("capacity_test", "cell_drift", 0.02, "V", None, None, False, "pass"),
]


def test_the_device_page_in_french_names_the_measurements_and_says_the_message(
    client, logged_in, sessions
):
    tag = _stored_run(sessions, "Out of limits: health 58 % (limits: at least 70 %).", WORN)
    logged_in("technician")

    page = client.get(f"/devices/{tag}", headers=FRENCH).get_data(as_text=True)

    assert '<th scope="row">Santé de la batterie</th>' in page
    assert '<th scope="row">Résistance interne de la batterie</th>' in page
    assert '<th scope="row">cell_drift</th>' in page
    # Units as a reader writes them; a unit no script gives stays as the bench sent it.
    assert "<td>142 mΩ</td>" in page and "<td>0.02 V</td>" in page
    assert (
        "<p>Hors limites\u00a0: Santé de la batterie\u00a0: 58 % (limites\u00a0: au moins 70 %).</p>"
        in page
    )
    assert "Out of limits" not in page


def test_the_device_page_in_english_names_the_measurements_too(client, logged_in, sessions):
    tag = _stored_run(sessions, "Out of limits: health 58 % (limits: at least 70 %).", WORN)
    logged_in("technician")

    page = client.get(f"/devices/{tag}", headers=ENGLISH).get_data(as_text=True)

    assert '<th scope="row">Battery health</th>' in page
    assert '<th scope="row">cell_drift</th>' in page
    assert "<p>Out of limits: Battery health 58 % (limits: at least 70 %).</p>" in page


def test_a_bench_message_the_pages_do_not_know_is_shown_escaped_as_stored(
    client, logged_in, sessions
):
    tag = _stored_run(sessions, "Bench says <b>relay 3</b> is stuck.", WORN)
    logged_in("technician")

    page = client.get(f"/devices/{tag}", headers=FRENCH).get_data(as_text=True)

    assert "<p>Bench says &lt;b&gt;relay 3&lt;/b&gt; is stuck.</p>" in page


def test_the_limits_page_names_the_measurements_in_french(client, logged_in):
    logged_in("admin")

    page = client.get("/diagnostics/limits?category=desktop", headers=FRENCH)

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Tension du rail +12 V à 100\u00a0% de charge" in text
    # Units as a reader writes them.
    assert "(°C)" in text and "(secteurs)" in text and "(mΩ)" in text
    assert "Limite basse de Tension du rail +3,3 V à 50\u00a0% de charge" in text


def test_a_device_that_left_refuses_tests_and_erasures_in_the_reader_s_language(app, session):
    """The refusal's last words, chosen by the service, are translated with the rest."""
    device = receive_device(
        session, serial_number="PF1LEFT", category="laptop", make="HP", model="840", entered_by=None
    ).device
    recycle(session, device, reason="obsolete", weight_kg=2, entered_by=None)
    refusals = []
    for attempt in (
        lambda: records.start_run(session, device, "battery", operator=None),
        lambda: jobs.request_job(session, device, "battery", "bench-1", requested_by=None),
    ):
        with pytest.raises(IllegalTransition) as refused:
            attempt()
        refusals.append(refused.value)
    with app.test_request_context("/", headers=FRENCH):
        french = [error_text(error) for error in refusals]
    with app.test_request_context("/", headers=ENGLISH):
        english = [error_text(error) for error in refusals]
    tag = device.asset_tag
    assert (
        french
        == [f"{tag} a quitté l'atelier (étape\u00a0: Recyclé)\u00a0: il ne peut plus être testé."]
        * 2
    )
    assert english == [f"{tag} has left the workshop (stage: Recycled): it cannot be tested."] * 2


def test_a_run_says_who_ran_it_or_where(client, sessions, make_user):
    """A run from `workshop bench run` without --as was typed at a terminal, not run by an agent."""
    make_user("technician", "theo")
    with sessions() as session:
        device = receive_device(
            session, serial_number="PF1WHO", category="laptop", make="HP", model="840",
            entered_by=None,
        ).device  # fmt: skip
        ran = records.start_run(session, device, "battery", operator=None, station="cli")
        ended = passing_result("battery", at=ran.started_at + timedelta(minutes=5))
        records.finish_run(session, ran, ended)
        session.commit()
        tag = device.asset_tag
    login(client, "theo")
    english = client.get(f"/devices/{tag}", headers=ENGLISH).get_data(as_text=True)
    assert "by someone at a terminal" in english and "by a bench agent" not in english
    french = client.get(f"/devices/{tag}", headers=FRENCH).get_data(as_text=True)
    assert "par quelqu’un à un terminal" in french
