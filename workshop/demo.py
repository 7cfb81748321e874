"""A believable workshop to try the application on: donor lots, a few hundred devices, users.

Everything goes through the same services the workshop uses, so the event log
tells a true story: who received each device, who moved it through which
stages, when. Dates are spread over the past months, relative to `now`; the
random choices are seeded, so the same `now` always gives the same workshop.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from diagnostics import records
from diagnostics.results import BenchIdentity, Erasure, Measurement, RunResult
from diagnostics.scripts import NIST_CATEGORY, SCRIPTS, default_limits
from inventory import checks, intake, lots, parts, repairs, stages
from inventory.accounts import User
from inventory.badges import issue_badge, set_pin
from inventory.models import Device, Lot
from inventory.recycling import recycle
from inventory.types import utcnow
from workshop import accounts

SEED = 1905

# Service tags and serials are drawn from these, in the shape each maker prints.
DIGITS = "0123456789"
ALNUM = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
DELL_TAG = "0123456789BCDFGHJKLMNPQRSTVWXYZ"


@dataclass(frozen=True)
class Model:
    """A make and model as it arrives in donations, with its weight and typical specs."""

    category: str
    make: str
    model: str
    weight_kg: str
    serial_prefix: str
    serial_length: int
    serial_alphabet: str
    specs: dict[str, list[Any]] = field(default_factory=dict)


def _laptop(cpus: list[str], screen: float, storage: list[str] | None = None) -> dict[str, list]:
    return {
        "cpu": cpus,
        "ram_gb": [8, 8, 16],
        "storage": storage or ["256 GB SSD", "256 GB SSD", "512 GB SSD"],
        "screen_in": [screen],
    }


def _desktop(cpus: list[str]) -> dict[str, list]:
    return {"cpu": cpus, "ram_gb": [8, 16], "storage": ["256 GB SSD", "500 GB HDD"]}


def _monitor(size: float, resolution: str = "1920x1080") -> dict[str, list]:
    return {"size_in": [size], "resolution": [resolution]}


def _phone(storage: list[int]) -> dict[str, list]:
    return {"storage_gb": storage}


CATALOGUE: dict[str, Model] = {
    model.model: model
    for model in (
        Model("laptop", "Dell", "Latitude 5490", "1.600", "", 7, DELL_TAG,
              _laptop(["Intel Core i5-8250U", "Intel Core i5-8350U"], 14)),
        Model("laptop", "Dell", "Latitude 7490", "1.400", "", 7, DELL_TAG,
              _laptop(["Intel Core i5-8350U", "Intel Core i7-8650U"], 14)),
        Model("laptop", "Dell", "Latitude E7470", "1.360", "", 7, DELL_TAG,
              _laptop(["Intel Core i5-6300U"], 14, ["256 GB SSD"])),
        Model("laptop", "Lenovo", "ThinkPad T480", "1.580", "PF", 6, ALNUM,
              _laptop(["Intel Core i5-8250U", "Intel Core i5-8350U"], 14)),
        Model("laptop", "Lenovo", "ThinkPad X280", "1.130", "PF", 6, ALNUM,
              _laptop(["Intel Core i5-8250U"], 12.5)),
        Model("laptop", "Lenovo", "ThinkPad T470s", "1.320", "PC", 6, ALNUM,
              _laptop(["Intel Core i5-7300U"], 14)),
        Model("laptop", "HP", "EliteBook 840 G5", "1.480", "5CG8", 6, ALNUM,
              _laptop(["Intel Core i5-8350U", "Intel Core i7-8650U"], 14)),
        Model("laptop", "HP", "ProBook 450 G5", "2.100", "5CD8", 6, ALNUM,
              _laptop(["Intel Core i5-8250U"], 15.6, ["256 GB SSD", "500 GB HDD"])),
        Model("laptop", "Apple", "MacBook Air 13-inch (2017)", "1.350", "C02", 9, ALNUM,
              _laptop(["Intel Core i5-5350U"], 13.3, ["128 GB SSD", "256 GB SSD"])),
        Model("desktop", "HP", "EliteDesk 800 G4 SFF", "5.400", "CZC8", 6, ALNUM,
              _desktop(["Intel Core i5-8500"])),
        Model("desktop", "HP", "ProDesk 600 G3 SFF", "5.100", "CZC7", 6, ALNUM,
              _desktop(["Intel Core i5-7500"])),
        Model("desktop", "Dell", "OptiPlex 7060 SFF", "5.300", "", 7, DELL_TAG,
              _desktop(["Intel Core i5-8500", "Intel Core i7-8700"])),
        Model("desktop", "Dell", "OptiPlex 3050 Micro", "1.200", "", 7, DELL_TAG,
              _desktop(["Intel Core i3-7100T", "Intel Core i5-7500T"])),
        Model("desktop", "Lenovo", "ThinkCentre M720q Tiny", "1.300", "MJ0", 5, ALNUM,
              _desktop(["Intel Core i5-8400T"])),
        Model("monitor", "iiyama", "ProLite XU2492HSU", "3.600", "11", 11, DIGITS, _monitor(24)),
        Model("monitor", "iiyama", "ProLite X2283HS", "2.900", "11", 11, DIGITS, _monitor(21.5)),
        Model("monitor", "Dell", "P2419H", "5.200", "CN0", 9, ALNUM, _monitor(24)),
        Model("monitor", "HP", "EliteDisplay E243", "4.600", "CNC8", 6, ALNUM, _monitor(23.8)),
        Model("monitor", "Philips", "243V7QDSB", "3.200", "UHB", 10, DIGITS, _monitor(23.8)),
        Model("phone", "Apple", "iPhone 8", "0.148", "F", 11, ALNUM, _phone([64, 64, 256])),
        Model("phone", "Apple", "iPhone X", "0.174", "F", 11, ALNUM, _phone([64, 256])),
        Model("phone", "Apple", "iPhone SE (2nd generation)", "0.148", "F", 11, ALNUM,
              _phone([64, 128])),
        Model("phone", "Samsung", "Galaxy S9", "0.163", "R58", 8, ALNUM, _phone([64])),
        Model("tablet", "Apple", "iPad (6th generation)", "0.469", "DMP", 9, ALNUM,
              _phone([32, 128])),
        Model("tablet", "Samsung", "Galaxy Tab A 10.1 (2019)", "0.469", "R52", 8, ALNUM,
              _phone([32])),
        Model("printer", "HP", "LaserJet Pro M402dn", "8.600", "PHB", 7, ALNUM),
        Model("printer", "Brother", "HL-L2350DW", "7.200", "E7", 7, ALNUM),
        Model("network", "Cisco", "Catalyst 2960X-24TS-L", "4.000", "FOC", 8, ALNUM),
        Model("peripheral", "Dell", "WD19 docking station", "0.585", "", 7, DELL_TAG),
        Model("peripheral", "Lenovo", "ThinkPad USB-C Dock Gen 2", "0.420", "ZD", 6, ALNUM),
        Model("server", "Dell", "PowerEdge R630", "17.500", "", 7, DELL_TAG,
              {"cpu": ["2 x Intel Xeon E5-2630 v4"], "ram_gb": [64, 128]}),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Collection:
    """A donor's lot: how long ago it arrived and the batches of identical devices in it."""

    code: str
    donor: str
    reference: str
    days_ago: int
    batches: tuple[tuple[str, int], ...]


# Oldest first, 300 devices in all. Donors give in batches of identical
# machines, the way an office renews its fleet.
COLLECTIONS = (
    Collection(
        "L-001",
        "Banque Coopérative du Rhône",
        "Convention BCR-2024-07",
        182,
        (("Latitude 5490", 28), ("P2419H", 12), ("WD19 docking station", 4), ("iPhone 8", 6)),
    ),
    Collection(
        "L-002",
        "Mairie de Villeneuve-sur-Saône",
        "Délibération 2024-118",
        154,
        (
            ("EliteDesk 800 G4 SFF", 16),
            ("EliteDisplay E243", 14),
            ("LaserJet Pro M402dn", 2),
            ("ProBook 450 G5", 6),
        ),
    ),
    Collection(
        "L-003",
        "Lycée Marie Curie",
        "Région, lot 2024-LMC",
        121,
        (
            ("ThinkCentre M720q Tiny", 20),
            ("ProLite X2283HS", 16),
            ("iPad (6th generation)", 5),
            ("HL-L2350DW", 1),
        ),
    ),
    Collection(
        "L-004",
        "Centre hospitalier des Monts d'Or",
        "DSI-2024-055",
        93,
        (
            ("OptiPlex 7060 SFF", 18),
            ("ProLite XU2492HSU", 14),
            ("ThinkPad T480", 6),
            ("PowerEdge R630", 2),
            ("Catalyst 2960X-24TS-L", 2),
        ),
    ),
    Collection(
        "L-005",
        "Mutuelle des Artisans",
        "MDA/IT/2024/31",
        64,
        (("EliteBook 840 G5", 20), ("iPhone X", 8), ("Galaxy S9", 6), ("243V7QDSB", 6)),
    ),
    Collection(
        "L-006",
        "Communauté de communes du Val d'Ozon",
        "CCVO 2024-204",
        29,
        (
            ("Latitude 7490", 10),
            ("OptiPlex 3050 Micro", 10),
            ("ProLite XU2492HSU", 8),
            ("Galaxy Tab A 10.1 (2019)", 3),
            ("ThinkPad USB-C Dock Gen 2", 4),
        ),
    ),
    Collection(
        "L-007",
        "Cabinet Morel Expertise Comptable",
        "Don 2024-11",
        14,
        (
            ("ThinkPad T480", 10),
            ("ThinkPad X280", 9),
            ("MacBook Air 13-inch (2017)", 3),
            ("iPhone SE (2nd generation)", 5),
        ),
    ),
    Collection(
        "L-008",
        "Collège Jean Jaurès",
        "Département, lot CJJ-3",
        4,
        (
            ("ProDesk 600 G3 SFF", 12),
            ("ProLite X2283HS", 8),
            ("Latitude E7470", 4),
            ("ThinkPad T470s", 2),
        ),
    ),
)


@dataclass(frozen=True)
class DemoAccount:
    """A demo user and the password the demo gave them."""

    username: str
    role: str
    name: str
    password: str
    # Technicians also get a badge and a PIN, to try the workbench terminal.
    badge: str = ""
    pin: str = ""


PEOPLE = (
    ("sophie", "admin", "Sophie Marchand"),
    ("marc", "admin", "Marc Lefèvre"),
    ("nadia", "manager", "Nadia Benali"),
    ("olivier", "manager", "Olivier Garnier"),
    ("claire", "hr", "Claire Dubois"),
    ("hugo", "hr", "Hugo Perrin"),
    ("samir", "technician", "Samir Haddad"),
    ("lea", "technician", "Léa Rousseau"),
    ("thomas", "technician", "Thomas Girard"),
    ("ines", "technician", "Inès Moreau"),
    ("karim", "warehouse", "Karim Mansouri"),
    ("julie", "warehouse", "Julie Fontaine"),
    ("mehdi", "warehouse", "Mehdi Bouzid"),
)

REPAIRS = (
    "Battery replaced",
    "Keyboard replaced",
    "Fan cleaned, thermal paste renewed",
    "Hinge repaired",
    "Screen replaced",
    "Power button replaced",
    "RAM module replaced",
    "Charging port replaced",
)
# What the repair stage found and did, per category, drawn with the note above (same
# index): (fault, action, part kind taken from stock or None, what the technician wrote).
REPAIR_ACTIONS: dict[str, tuple[tuple[str, str, str | None, str], ...]] = {
    "laptop": (
        ("keyboard_keys", "replaced", "keyboard", "Keyboard replaced"),
        ("hinge", "replaced", "hinge", "Hinge repaired"),
        ("broken_screen", "replaced", "screen", "Screen replaced"),
        ("missing_ram", "upgraded", "ram", "RAM module added: 8 GB"),
        ("touchpad", "cleaned", None, "Touchpad cleaned, it clicks again"),
        ("usb_ports", "reseated", None, "USB board reseated"),
        ("wifi", "replaced", None, "Wi-Fi card replaced"),
        ("charger", "replaced", "charger", "Charger replaced"),
    ),
    "desktop": (
        ("fan_noise", "cleaned", None, "Fan cleaned, thermal paste renewed"),
        ("missing_ram", "upgraded", "ram", "RAM module added: 8 GB"),
        ("usb_ports", "replaced", None, "Front USB board replaced"),
        ("fan_noise", "replaced", "fan", "Fan replaced"),
    ),
    "monitor": (
        ("stand", "reseated", None, "Stand tightened"),
        ("inputs", "cleaned", None, "HDMI input cleaned"),
    ),
    "phone": (
        ("charging_port", "replaced", None, "Charging port replaced"),
        ("cameras", "cleaned", None, "Camera lens cleaned"),
    ),
    "tablet": (("charging_port", "replaced", None, "Charging port replaced"),),
}
# Categories without a list of their own share the generic faults.
GENERIC_REPAIRS = (
    ("does_not_work", "reseated", None, "Cables and cards reseated"),
    ("damaged", "replaced", None, "Cracked cover replaced"),
)
# The parts a dead laptop gives before it goes to the recycler.
HARVESTED = ("battery", "ram", "keyboard")
SUPPLIER = "Pièces Info Lyon"
PART_COSTS = {"keyboard": "24.90", "hinge": "9.50", "screen": "54.00", "ram": "18.00",
              "charger": "15.00", "fan": "12.00", "battery": "39.00"}  # fmt: skip
QC_FAILURES = (
    "Two keys stick",
    "Battery under 70 % of its design capacity",
    "Dead pixel near the centre",
    "Wi-Fi drops out",
)
BEYOND_REPAIR = (
    "Motherboard dead: recycled, parts kept",
    "Cracked chassis and broken screen: not worth repairing",
    "Liquid damage",
    "Swollen battery, no spare available",
)
# A few laptops fail one manual check first: (check, what was found, what fixed it).
CHECK_FAILURES = (
    ("hinges", "Left hinge loose: the screen falls back", "Hinge screws replaced and tightened"),
    ("webcam", "No image from the webcam", "Webcam ribbon cable reseated"),
)

# The workshop's benches, as they answer *IDN?.
BENCHES = {
    "BATT-100": BenchIdentity("ACME Bench", "BATT-100", "B100-0042", "1.4.2"),
    "PSU-200": BenchIdentity("ACME Bench", "PSU-200", "P200-0007", "2.0.1"),
    "DISK-300": BenchIdentity("ACME Bench", "DISK-300", "D300-0013", "1.2.0"),
}
# The drive each model comes with: (model, capacity in bytes, type).
DRIVES = {
    "HDD": ("WDC WD5000LPLX-60ZNTT1", 500_107_862_016, "HDD"),
    "SSD": ("SAMSUNG MZ7LN256HAJQ", 256_060_514_304, "SSD"),
    "NVME": ("SAMSUNG MZVLB256HAHQ", 256_060_514_304, "NVME"),
}
# A desktop whose drive went to the wiping station (an old PC booting ShredOS) while
# the dock was busy: recorded by hand, with the tool's log.
ERASED_ELSEWHERE_LOG = """\
nwipe 0.34 (ShredOS 2021.08.2_23)
Device: /dev/sda  Model: %(model)s  Serial: %(serial)s
Method: PRNG stream, 1 pass, verification: last pass
Started: %(start)s
Finished: %(end)s
Result: ERASED, verification passed, 0 errors
"""

RETURNS = (
    "Returned by the buyer: battery does not hold its charge",
    "Returned by the buyer: screen flickers",
)


@dataclass
class DemoWorkshop:
    """What the demo created."""

    accounts: list[DemoAccount]
    lots: int
    devices: int


def is_empty(session: Session) -> bool:
    """True when no user, lot or device exists yet (the demo never mixes with real data)."""
    return not any(
        session.scalar(select(func.count()).select_from(table)) for table in (User, Lot, Device)
    )


class _Clock:
    """Working days and hours, counted back from today, so every date is in the past."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.today = now.astimezone(UTC).date()

    def day(self, days_ago: int) -> date:
        """A working day about `days_ago` days back."""
        return self._workday(self.today - timedelta(days=days_ago))

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=UTC)

    def later(self, moment: datetime, least: int, most: int) -> datetime:
        """A moment during working hours, `least` to `most` working days after `moment`."""
        day = moment.date() + timedelta(days=self.rng.randint(least, most))
        day = self._workday(day)
        hour, minute = self.rng.randint(8, 16), self.rng.randrange(0, 60, 5)
        result = self.at(day, hour, minute)
        if result <= moment:
            result = moment + timedelta(minutes=self.rng.randint(10, 90))
        return result

    def is_past(self, moment: datetime) -> bool:
        # Nothing happens today, so the demo does not depend on the hour it runs.
        return moment.date() < self.today

    @staticmethod
    def _workday(day: date) -> date:
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return day


class _Workshop:
    """Fills one session; every change goes through the workshop's services."""

    def __init__(self, session: Session, rng: random.Random, now: datetime) -> None:
        self.session = session
        self.rng = rng
        self.clock = _Clock(rng, now)
        self.people: dict[str, list[User]] = {}
        self.serials: set[str] = set()
        self.sold: list[tuple[Device, datetime]] = []
        self.check_failures = list(CHECK_FAILURES)
        # Values measured on the benches come from their own draws, so that the story of
        # the devices (what the workshop's event log tells) stays the one it always was.
        self.bench_rng = random.Random(str(rng.getstate()[1][:8]))
        self.stories = {"worn_battery", "failing_disk", "erased_elsewhere"}
        # Repairs and parts draw from their own sequence too, for the same reason.
        self.parts_rng = random.Random(str(rng.getstate()[1][8:16]))

    def hire(self) -> list[DemoAccount]:
        made = []
        for username, role, name in PEOPLE:
            password = f"demo-{username}"
            user = accounts.create_user(self.session, username, role, password, name)
            self.people.setdefault(role, []).append(user)
            badge = pin = ""
            if role == "technician":
                badge = issue_badge(self.session, user, by=None)
                pin = str(2468 + 1111 * (len(self.people[role]) - 1))
                set_pin(self.session, user, pin, by=None)
            made.append(DemoAccount(username, role, name, password, badge, pin))
        return made

    def someone(self, role: str) -> User:
        return self.rng.choice(self.people[role])

    def serial(self, model: Model) -> str:
        while True:
            tail = "".join(self.rng.choices(model.serial_alphabet, k=model.serial_length))
            serial = model.serial_prefix + tail
            if serial not in self.serials:
                self.serials.add(serial)
                return serial

    def specs(self, model: Model) -> dict[str, Any]:
        return {name: self.rng.choice(values) for name, values in model.specs.items()}

    def receive(self, collection: Collection, come_backs: list[Device]) -> int:
        day = self.clock.day(collection.days_ago)
        clerk = self.someone("warehouse")
        lots.open_lot(
            self.session,
            collection.code,
            donor=collection.donor,
            received_on=day,
            reference=collection.reference,
            entered_by=clerk,
            occurred_at=self.clock.at(day, 8, 30),
        )
        # A batch is scanned in one go, a device every minute or two.
        moment = self.clock.at(day, 9, 0)
        count = 0
        for name, size in collection.batches:
            model = CATALOGUE[name]
            specs = self.specs(model)
            for _ in range(size):
                moment += timedelta(seconds=self.rng.randint(50, 150))
                received = intake.receive_device(
                    self.session,
                    serial_number=self.serial(model),
                    category=model.category,
                    make=model.make,
                    model=model.model,
                    lot=collection.code,
                    weight_kg=model.weight_kg,
                    specs=specs,
                    entered_by=clerk,
                    station="demo",
                    occurred_at=moment,
                )
                self.refurbish(received.device, moment)
                count += 1
        for device in come_backs:
            moment += timedelta(seconds=self.rng.randint(50, 150))
            intake.receive_device(
                self.session,
                serial_number=device.serial_number or "",
                category=device.category,
                make=device.make,
                model=device.model,
                lot=collection.code,
                entered_by=clerk,
                station="demo",
                occurred_at=moment,
            )
        return count

    def move(self, device: Device, to: str, when: datetime, role: str, **details: Any) -> bool:
        """Move the device if that moment has already come; False once the story reaches today."""
        if not self.clock.is_past(when):
            return False
        who = self.someone(role)
        if to == "recycled":
            recycle(
                self.session, device, reason="beyond_repair", entered_by=who, occurred_at=when,
                **details,
            )  # fmt: skip
            if device.category == "laptop":
                self.take_parts(device, when + timedelta(hours=1))
        else:
            stages.move_to_stage(
                self.session, device, to, entered_by=who, occurred_at=when, **details
            )
        return True

    def technician(self) -> User:
        return self.parts_rng.choice(self.people["technician"])

    def take_parts(self, donor: Device, when: datetime) -> None:
        """A dead laptop gives its battery, memory and keyboard, if that moment has come."""
        if not self.clock.is_past(when):
            return
        parts.harvest(
            self.session,
            donor,
            [
                {"kind": kind, "reference": _reference(kind, donor), "fits": [donor.model]}
                for kind in HARVESTED
            ],
            by=self.technician(),
            occurred_at=when,
        )

    def repair(
        self, device: Device, when: datetime, fault: str, action: str, kind: str | None
    ) -> None:
        """Record what was done, with a part from stock: harvested if one fits, else bought."""
        used: list[str] = []
        if kind is not None:
            fitting = [
                part
                for part in parts.parts_that_fit(
                    self.session, device.model, kind=parts.get_kind(self.session, kind)
                )
                if part.received_at <= when
            ]
            if not fitting:
                fitting = parts.receive_parts(
                    self.session,
                    {"kind": kind, "reference": _reference(kind, device), "fits": [device.model]},
                    supplier=SUPPLIER,
                    unit_cost=PART_COSTS[kind],
                    by=self.someone_in_warehouse(),
                    occurred_at=when - timedelta(hours=2),
                )
            used = [fitting[0].code]
        repairs.record_repair(
            self.session,
            device,
            fault,
            action,
            used,
            self.parts_rng.randint(10, 75),
            by=self.technician(),
            occurred_at=when,
        )

    def someone_in_warehouse(self) -> User:
        return self.parts_rng.choice(self.people["warehouse"])

    def check(self, device: Device, when: datetime) -> datetime | None:
        """Answer the device's manual checks in qc; when it can go on, None if time ran out.

        Most devices pass every check at once; the first laptops fail one, go back to
        repair, and pass it on a second look.
        """
        tester = self.someone("technician")
        if device.category != "laptop" or not self.check_failures:
            checks.answer_every_check(self.session, device, entered_by=tester, occurred_at=when)
            return when
        code, found, fixed = self.check_failures.pop(0)
        results = {item.code: "pass" for item in checks.checklist(self.session, device.category)}
        results[code] = "fail"
        checks.answer_checks(
            self.session, device, results, {code: found}, entered_by=tester, occurred_at=when
        )
        when = self.clock.later(when, 0, 1)
        if not self.move(device, "repair", when, "technician", note=found):
            return None
        when = self.clock.later(when, 1, 3)
        if not self.move(device, "qc", when, "technician"):
            return None
        checks.answer_checks(
            self.session,
            device,
            {code: "pass"},
            {code: fixed},
            entered_by=self.someone("technician"),
            occurred_at=when + timedelta(minutes=15),
        )
        return when + timedelta(minutes=15)

    def story(self, device: Device, name: str, categories: tuple[str, ...]) -> bool:
        """True once per story, for the first device of the right category that gets there."""
        if name in self.stories and device.category in categories:
            self.stories.remove(name)
            return True
        return False

    def run(self, device: Device, script: str, when: datetime, **faults: Any) -> datetime:
        """Record one bench run of a few minutes from `when`; the moment it ended."""
        bench = BENCHES[SCRIPTS[script].bench_model]
        ended = when + timedelta(minutes=2)
        measurements = self.measure(script, **faults)
        failed = [item for item in measurements if item.outcome == "fail"]
        erased = []
        if script == "erasure":
            model, capacity, kind = self.drive(device)
            method = "OVERWRITE" if kind == "HDD" else "CRYPTO"
            erased.append(
                Erasure(
                    model, self.drive_serial(device), capacity, kind, method,
                    NIST_CATEGORY[method], True, "PASS,4096", when, ended - timedelta(seconds=30),
                )
            )  # fmt: skip
        result = RunResult(
            script=script,
            outcome="fail" if failed else "pass",
            code="out_of_limits" if failed else "",
            message=f"{', '.join(item.name for item in failed)} out of limits." if failed else "",
            started_at=when,
            ended_at=ended,
            bench=bench,
            measurements=measurements,
            erasures=erased,
        )
        records.record_run(
            self.session,
            device,
            result,
            operator=self.bench_rng.choice(self.people["technician"]),
            station="bench-1",
            limits_applied=default_limits(SCRIPTS[script]),
        )
        return ended

    def measure(
        self, script: str, *, worn_battery: bool = False, failing_disk: bool = False
    ) -> list[Measurement]:
        """Believable values for each measurement of a script, held against its limits."""
        draw = self.bench_rng
        values: dict[str, float | None] = {}
        if script == "battery":
            values = {
                "temperature": round(draw.uniform(24, 31), 1),
                "voltage": round(draw.uniform(11.1, 12.6), 2),
                "design_capacity": 56000.0,
                "full_charge_capacity": float(draw.randrange(41000, 54000, 10)),
                "cycles": float(draw.randint(80, 600)),
                "health": 58.0 if worn_battery else round(draw.uniform(72, 96), 1),
                "internal_resistance": float(draw.randint(90, 180)),
            }
            values["measured_capacity"] = round(56000 * values["health"] / 100)
        elif script == "disk-health":
            values = {
                "pending_sectors": 12.0 if failing_disk else 0.0,
                "uncorrectable_sectors": 3.0 if failing_disk else 0.0,
                "reallocated_sectors": 2300.0 if failing_disk else float(draw.choice((0, 0, 0, 2))),
                "wear": None,
                "power_on_hours": float(draw.randint(4000, 30000)),
            }
        elif script == "psu":
            for spec in _specs("psu"):
                limits = spec.limits
                if spec.unit == "V" and limits.low is not None and limits.high is not None:
                    middle = (limits.low + limits.high) / 2
                    spread = draw.uniform(-0.3, 0.3) * (limits.high - middle)
                    values[spec.name] = round(middle + spread, 3)
                elif spec.unit == "mV":
                    values[spec.name] = round(draw.uniform(8, 0.6 * (limits.high or 50)), 1)
            values["power_good"] = 1.0
            values["power_good_time"] = float(draw.randint(180, 320))
        elif script == "erasure":
            values = {"verified": 1.0, "sectors_sampled": 4096.0}
        found = []
        for step in SCRIPTS[script].steps:
            for spec in step.measurements:
                value = values.get(spec.name)
                if value is None:
                    outcome = "not_measured"
                else:
                    outcome = "pass" if spec.limits.accepts(value) else "fail"
                found.append(
                    Measurement(
                        step.name, spec.name, value, spec.unit, spec.limits.low,
                        spec.limits.high, spec.required, outcome,
                    )
                )  # fmt: skip
        return found

    def drive(self, device: Device) -> tuple[str, int, str]:
        storage = str((device.specs or {}).get("storage", "SSD"))
        if "HDD" in storage:
            return DRIVES["HDD"]
        return DRIVES["NVME"] if device.category == "laptop" else DRIVES["SSD"]

    def drive_serial(self, device: Device) -> str:
        return f"S{device.asset_tag[1:]}D"

    def erase(self, device: Device, when: datetime) -> None:
        """In the erasure stage: the drive erased on the dock, or recorded as erased elsewhere."""
        if device.category not in records.REQUIRED_SCRIPTS:
            return
        if self.story(device, "erased_elsewhere", ("desktop",)):
            model, capacity, kind = self.drive(device)
            start, end = when + timedelta(minutes=5), when + timedelta(minutes=95)
            records.record_manual_erasure(
                self.session,
                device,
                drive_model=model,
                drive_serial=self.drive_serial(device),
                capacity_bytes=capacity,
                drive_type=kind,
                method="OVERWRITE",
                tool="ShredOS 2021.08.2 (nwipe 0.34)",
                log=ERASED_ELSEWHERE_LOG
                % {
                    "model": model,
                    "serial": self.drive_serial(device),
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                },
                verification="Verification passed, 0 errors",
                started_at=start,
                ended_at=end,
                entered_by=self.bench_rng.choice(self.people["technician"]),
            )
            return
        self.run(device, "erasure", when + timedelta(minutes=1))

    def diagnose(self, device: Device, when: datetime, **faults: Any) -> None:
        """In the diagnostics stage: the disk's health, then the battery or the power supply."""
        scripts = [s for s in records.required_scripts(device.category) if s != "erasure"]
        moment = when + timedelta(minutes=1)
        for script in scripts:
            moment = self.run(device, script, moment, **faults) + timedelta(seconds=30)

    def refurbish(self, device: Device, received: datetime) -> None:
        """Walk one device along the workshop's line for as far as time allows."""
        rng, clock = self.rng, self.clock
        when = clock.later(received, 0, 8)
        if not self.move(device, "triage", when, "technician"):
            return
        if rng.random() < 0.06:
            self.move(
                device, "recycled", clock.later(when, 0, 2), "technician",
                note=rng.choice(BEYOND_REPAIR),
            )  # fmt: skip
            return
        for stage, least, most in (("erasure", 1, 12), ("diagnostics", 1, 12)):
            when = clock.later(when, least, most)
            if not self.move(device, stage, when, "technician"):
                return
            if stage == "erasure":
                self.erase(device, when)
        if rng.random() < 0.05:
            failing = self.story(device, "failing_disk", ("laptop", "desktop"))
            self.diagnose(device, when, failing_disk=failing)
            moment = clock.later(when, 0, 2)
            note = rng.choice(BEYOND_REPAIR)
            if failing:
                note = "Disk failing (pending sectors): not worth a new one, recycled"
            self.move(device, "recycled", moment, "technician", note=note)
            return
        repairing = rng.random() < 0.45
        worn = repairing and self.story(device, "worn_battery", ("laptop",))
        self.diagnose(device, when, worn_battery=worn)
        if repairing:
            when = clock.later(when, 1, 10)
            # Drawn as an index, as the note used to be: the story's sequence stays the same.
            actions = REPAIR_ACTIONS.get(device.category, GENERIC_REPAIRS)
            fault, action, kind, note = actions[rng.randrange(len(REPAIRS)) % len(actions)]
            if worn:
                fault, action, kind = "dead_battery", "replaced", "battery"
                note = "Battery replaced: it held 58 % of its design capacity"
            if not self.move(device, "repair", when, "technician", note=note):
                return
            self.repair(device, when + timedelta(seconds=30), fault, action, kind)
            if worn:
                self.run(device, "battery", when + timedelta(minutes=1))
        when = clock.later(when, 2, 15)
        if not self.move(device, "qc", when, "technician"):
            return
        if rng.random() < 0.12:
            # A failed quality control sends the device back to the bench.
            when = clock.later(when, 0, 1)
            if not self.move(device, "repair", when, "technician", note=rng.choice(QC_FAILURES)):
                return
            when = clock.later(when, 1, 3)
            if not self.move(device, "qc", when, "technician"):
                return
        when = clock.later(when, 1, 6)
        if not clock.is_past(when):
            return
        when = self.check(device, when)
        if when is None:
            return
        grade = rng.choices("ABC", weights=(5, 4, 1))[0]
        stages.set_grade(
            self.session, device, grade, entered_by=self.someone("technician"), occurred_at=when
        )
        if not self.move(device, "ready", when + timedelta(minutes=5), "technician"):
            return
        when = clock.later(when, 3, 80)
        if rng.random() < 0.2 or not self.move(device, "sold", when, "warehouse"):
            return
        if rng.random() < 0.06:
            self.move(
                device, "returned", clock.later(when, 3, 25), "warehouse",
                note=rng.choice(RETURNS),
            )  # fmt: skip
        elif device.stage == "sold":
            self.sold.append((device, when))


def _reference(kind: str, device: Device) -> str:
    """A part number for a kind of part of this model (memory is generic)."""
    if kind == "ram":
        return "DDR4 SO-DIMM 8 GB" if device.category == "laptop" else "DDR4 DIMM 8 GB"
    initials = "".join(word[0] for word in device.make.split()).upper()
    return f"{initials}-{kind.upper()}-{device.model.replace(' ', '')[:20]}"


def _specs(script: str) -> list[Any]:
    return [spec for step in SCRIPTS[script].steps for spec in step.measurements]


def fill(session: Session, *, now: datetime | None = None, seed: int = SEED) -> DemoWorkshop:
    """Create the demo users, lots and devices in an empty database (the caller commits)."""
    rng = random.Random(seed)
    # The migrations seed them; a database emptied some other way gets them again.
    repairs.seed_default_codes(session)
    parts.seed_default_kinds(session)
    workshop = _Workshop(session, rng, now or utcnow())
    made = workshop.hire()
    devices = 0
    last = COLLECTIONS[-1]
    for collection in COLLECTIONS:
        come_backs: list[Device] = []
        if collection is last:
            # Two laptops sold in the spring come back with a new donor: a new cycle each.
            gone_before = workshop.clock.at(workshop.clock.day(last.days_ago), 8, 0)
            early = [
                device
                for device, sold in workshop.sold
                if sold < gone_before and device.category == "laptop"
            ]
            come_backs = early[:2]
        devices += workshop.receive(collection, come_backs)
    session.flush()
    return DemoWorkshop(accounts=made, lots=len(COLLECTIONS), devices=devices)
