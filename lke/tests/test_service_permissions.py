"""Who may change the LKE is checked inside lke.services with the rules the pages use
(lke.queries: can_answer, can_take_step, can_open_assessment, can_sign_off,
can_manage_instruments), so a management command or the API is refused what the page refuses.
The worksheet of every case is the Rejang Lebong village's. Harness:
core/tests/service_permissions.py."""

import copy
from datetime import date
from types import SimpleNamespace

from conftest import desa_in
from core.models import Office
from core.tests.service_permissions import (
    PROVINCE_TEAM,
    Case,
    check,
    parametrize,
    pdf,
    people,  # noqa: F401 (the fixture)
)
from lke import services
from lke.models import (
    Answer,
    Assessment,
    CheckRule,
    Evidence,
    Instrument,
    Item,
    Level,
    Status,
    Worksheet,
)
from lke.scoring import instrument_tree, required_items
from lke.tests.conftest import SMALL
from program.models import ParticipatingVillage, ProgramYear, VillageKind
from program.services import create_program_year

KABKOTA_TEAM = frozenset({"tim_kabkota"})
LEAD = frozenset({"ketua_tim"})
HEAD = frozenset({"kepala"})


def _year() -> ProgramYear:
    province = Office.objects.get(code="1700")
    return ProgramYear.objects.filter(province=province, year=2026).first() or create_program_year(
        province, year=2026, by=None
    )


def _villages(year: ProgramYear) -> None:
    for code, kind in (("1702", VillageKind.UTAMA), ("1704", VillageKind.TAMBAHAN)):
        office = Office.objects.get(code=code)
        ParticipatingVillage.objects.create(
            program_year=year, village=desa_in(office), office=office, kind=kind
        )


def _instrument() -> Instrument:
    return services.create_instrument(copy.deepcopy(SMALL), by=None)


def _assessment(users) -> Assessment:
    year = _year()
    _villages(year)
    return services.open_assessment(year, instrument=_instrument(), by=users["ketua_tim"])


def _worksheet(users, status: str = Status.SELF_ASSESSMENT, *, answered: bool = False):
    assessment = _assessment(users)
    worksheet = Worksheet.objects.get(assessment=assessment, village__office__code="1702")
    if answered:
        for item in required_items(instrument_tree(assessment.instrument, worksheet.target)):
            option = item.options.order_by("-score").first()
            services.save_answer(
                worksheet,
                item=item,
                level=Level.SELF,
                option=option,
                version=0,
                by=users["tim_kabkota"],
            )
        for item in services.missing_evidence(worksheet):  # what the answers need (#10 pt 4)
            services.add_evidence_link(
                worksheet,
                item=item,
                url="https://desa.example/sk",
                title="SK",
                by=users["tim_kabkota"],
            )
    Worksheet.objects.filter(pk=worksheet.pk).update(status=status)
    return Worksheet.objects.get(pk=worksheet.pk)


def _item(worksheet: Worksheet, code: str = "k1.a") -> Item:
    return Item.objects.get(instrument=worksheet.assessment.instrument, code=code)


def _status(worksheet: Worksheet):
    return lambda: Worksheet.objects.get(pk=worksheet.pk).status


def _answers(worksheet: Worksheet):
    return lambda: sorted(
        Answer.objects.filter(worksheet=worksheet).values_list("item_id", "level", "option_id")
    )


def _evidence(worksheet: Worksheet):
    return lambda: sorted(Evidence.objects.filter(worksheet=worksheet).values_list("pk", "title"))


def create_instrument(users):
    data = copy.deepcopy(SMALL) | {"version": 8}
    return (
        lambda by: services.create_instrument(copy.deepcopy(data), by=by),
        lambda: Instrument.objects.count(),
    )


def open_assessment(users):
    year = _year()
    _villages(year)
    instrument = _instrument()
    return (
        lambda by: services.open_assessment(year, instrument=instrument, by=by),
        lambda: (Assessment.objects.count(), Worksheet.objects.count()),
    )


def add_missing_worksheets(users):
    assessment = _assessment(users)
    office = Office.objects.get(code="1702")
    ParticipatingVillage.objects.create(
        program_year=assessment.program_year,
        village=desa_in(office, 1),
        office=office,
        kind=VillageKind.TAMBAHAN,
    )
    return (
        lambda by: services.add_missing_worksheets(assessment, by=by),
        lambda: Worksheet.objects.count(),
    )


def save_self_answer(users):
    worksheet = _worksheet(users)
    item = _item(worksheet)
    option = item.options.order_by("score").first()
    return (
        lambda by: services.save_answer(
            worksheet, item=item, level=Level.SELF, option=option, version=0, by=by
        ),
        _answers(worksheet),
    )


def save_provincial_answer(users):
    worksheet = _worksheet(users, Status.PROVINCIAL_VERIFICATION, answered=True)
    item = _item(worksheet)
    option = item.options.order_by("score").first()
    return (
        lambda by: services.save_answer(
            worksheet,
            item=item,
            level=Level.PROVINCIAL,
            option=option,
            reason="Bukti SK tidak lengkap",
            version=0,
            by=by,
        ),
        _answers(worksheet),
    )


def apply_check_rule(users):
    worksheet = _worksheet(users, Status.PROVINCIAL_VERIFICATION, answered=True)
    rule = CheckRule.objects.create(
        item=_item(worksheet), self_score=4, absent=["undangan"], score=1, text="Tanpa undangan"
    )
    return (
        lambda by: services.apply_check_rule(worksheet, rule=rule, version=0, by=by),
        _answers(worksheet),
    )


def accept_self_answers(users):
    worksheet = _worksheet(users, Status.PROVINCIAL_VERIFICATION, answered=True)
    return (lambda by: services.accept_self_answers(worksheet, by=by), _answers(worksheet))


def add_evidence_file(users):
    worksheet = _worksheet(users)
    item = _item(worksheet)
    return (
        lambda by: services.add_evidence_file(worksheet, item=item, upload=pdf(), by=by),
        _evidence(worksheet),
    )


def add_evidence_link(users):
    worksheet = _worksheet(users)
    item = _item(worksheet)
    return (
        lambda by: services.add_evidence_link(
            worksheet, item=item, url="https://desa.example/sk", title="SK agen", by=by
        ),
        _evidence(worksheet),
    )


def add_evidence_document(users):
    worksheet = _worksheet(users)
    item = _item(worksheet)
    document = SimpleNamespace(attachment=None, url="https://monev.example/rapat/1/", label="Rapat")
    return (
        lambda by: services.add_evidence_document(worksheet, item=item, document=document, by=by),
        _evidence(worksheet),
    )


def remove_evidence(users):
    worksheet = _worksheet(users)
    evidence = services.add_evidence_link(
        worksheet,
        item=_item(worksheet),
        url="https://desa.example/sk",
        title="SK agen",
        by=users["tim_kabkota"],
    )
    return (lambda by: services.remove_evidence(evidence, by=by), _evidence(worksheet))


def submit_worksheet(users):
    worksheet = _worksheet(users, answered=True)
    return (lambda by: services.submit_worksheet(worksheet, by=by), _status(worksheet))


def start_verification(users):
    worksheet = _worksheet(users, Status.SUBMITTED, answered=True)
    return (lambda by: services.start_verification(worksheet, by=by), _status(worksheet))


def return_worksheet(users):
    worksheet = _worksheet(users, Status.SUBMITTED, answered=True)
    return (
        lambda by: services.return_worksheet(worksheet, reason="Lengkapi bukti K1", by=by),
        _status(worksheet),
    )


def finalise_worksheet(users):
    worksheet = _worksheet(users, Status.PROVINCIAL_VERIFICATION, answered=True)
    services.accept_self_answers(worksheet, by=users["tim_provinsi"])
    return (lambda by: services.finalise_worksheet(worksheet, by=by), _status(worksheet))


def reopen_worksheet(users):
    worksheet = _worksheet(users, Status.FINALISED, answered=True)
    return (
        lambda by: services.reopen_worksheet(worksheet, reason="Koreksi skor K2", by=by),
        _status(worksheet),
    )


def sign_off_worksheet(users):
    worksheet = _worksheet(users, Status.FINALISED, answered=True)
    return (lambda by: services.sign_off_worksheet(worksheet, by=by), _status(worksheet))


def sign_off_results(users):
    worksheet = _worksheet(users, Status.FINALISED, answered=True)
    assessment = worksheet.assessment
    Worksheet.objects.filter(assessment=assessment).update(status=Status.FINALISED)
    record = {"number": "B-1/2026", "place": "Bengkulu", "date": date(2026, 11, 2)}
    record["lead"] = users["ketua_tim"]
    return (
        lambda by: services.sign_off_results(assessment, record=record, by=by),
        lambda: (
            Assessment.objects.get(pk=assessment.pk).signed_off_at,
            sorted(
                Worksheet.objects.filter(assessment=assessment).values_list("status", flat=True)
            ),
        ),
    )


def import_answers(users):
    worksheet = _worksheet(users)
    item = _item(worksheet)
    row = {"row": 5, "code": item.code, "version": 0, "option": item.options.first()}
    row |= {"text": "", "note": "Dari berkas", "reason": ""}
    return (
        lambda by: services.import_answers(worksheet, [row], level=Level.SELF, by=by),
        _answers(worksheet),
    )


def apply_to_many(users):
    worksheet = _worksheet(users, Status.SUBMITTED, answered=True)
    return (
        lambda by: services.apply_to_many([worksheet], "start_verification", by=by),
        _status(worksheet),
    )


def _used_instrument(users, data=None) -> Instrument:
    """An instrument the Bengkulu assessment uses (so another province's team lead may not
    correct it), with a checking rule on k1.a."""
    year = _year()
    _villages(year)
    instrument = services.create_instrument(data or copy.deepcopy(SMALL), by=None)
    services.open_assessment(year, instrument=instrument, by=users["ketua_tim"])
    CheckRule.objects.create(
        item=Item.objects.get(instrument=instrument, code="k1.a"),
        self_score=4,
        absent=["undangan"],
        score=1,
        text="Tanpa undangan",
    )
    return instrument


def _rules(instrument: Instrument):
    return lambda: sorted(
        CheckRule.objects.filter(item__instrument=instrument).values_list(
            "pk", "self_score", "score", "text", "version"
        )
    )


RULE = {"self_score": 3, "absent": ["notulen"], "score": 2, "text": "Tanpa notulen: turun 1"}


def add_check_rule(users):
    instrument = _used_instrument(users)
    item = Item.objects.get(instrument=instrument, code="k1.a")
    return (
        lambda by: services.add_check_rule(instrument, item=item, values=RULE, by=by),
        _rules(instrument),
    )


def update_check_rule(users):
    instrument = _used_instrument(users)
    rule = CheckRule.objects.get(item__instrument=instrument)
    return (
        lambda by: services.update_check_rule(rule, values=RULE, version=1, by=by),
        _rules(instrument),
    )


def delete_check_rule(users):
    instrument = _used_instrument(users)
    rule = CheckRule.objects.get(item__instrument=instrument)
    return (
        lambda by: services.delete_check_rule(rule, version=1, by=by),
        _rules(instrument),
    )


def set_item_divisor(users):
    from lke.tests.conftest import small_workbook_data

    instrument = _used_instrument(users, small_workbook_data())
    item = Item.objects.get(instrument=instrument, code="k2.a")
    return (
        lambda by: services.set_item_divisor(item, divisor="3", version=1, by=by),
        lambda: (
            Item.objects.get(pk=item.pk).score_divisor,
            sorted(Worksheet.objects.values_list("pk", "scores")),
        ),
    )


CORRECTORS = frozenset({"superuser", "admin", "ketua_tim"})

CASES = [
    Case(
        services.create_instrument,
        frozenset({"superuser", "admin", "ketua_tim", "ketua_tim_other_province", "system"}),
        create_instrument,
    ),
    Case(services.open_assessment, LEAD, open_assessment),
    Case(services.add_missing_worksheets, LEAD, add_missing_worksheets),
    Case(services.save_answer, KABKOTA_TEAM, save_self_answer, variant="self"),
    Case(services.save_answer, PROVINCE_TEAM, save_provincial_answer, variant="provincial"),
    Case(services.accept_self_answers, PROVINCE_TEAM, accept_self_answers),
    Case(services.apply_check_rule, PROVINCE_TEAM, apply_check_rule),
    Case(services.add_evidence_file, KABKOTA_TEAM, add_evidence_file),
    Case(services.add_evidence_link, KABKOTA_TEAM, add_evidence_link),
    Case(services.add_evidence_document, KABKOTA_TEAM, add_evidence_document),
    Case(services.remove_evidence, KABKOTA_TEAM, remove_evidence),
    Case(services.submit_worksheet, KABKOTA_TEAM, submit_worksheet),
    Case(services.start_verification, PROVINCE_TEAM, start_verification),
    Case(services.return_worksheet, PROVINCE_TEAM, return_worksheet),
    Case(services.finalise_worksheet, LEAD, finalise_worksheet),
    Case(services.reopen_worksheet, LEAD, reopen_worksheet),
    Case(services.sign_off_worksheet, HEAD, sign_off_worksheet),
    Case(services.sign_off_results, HEAD, sign_off_results),
    Case(services.import_answers, KABKOTA_TEAM, import_answers),
    Case(services.apply_to_many, PROVINCE_TEAM, apply_to_many),
    # the instrument's corrections: the admin, and the team lead of the only province using it
    Case(services.add_check_rule, CORRECTORS, add_check_rule),
    Case(services.update_check_rule, CORRECTORS, update_check_rule),
    Case(services.delete_check_rule, CORRECTORS, delete_check_rule),
    Case(services.set_item_divisor, CORRECTORS, set_item_divisor),
]


@parametrize(CASES)
def test_service_checks_the_actor(case, persona, allowed, people):  # noqa: F811
    check(case, persona, allowed, people)
