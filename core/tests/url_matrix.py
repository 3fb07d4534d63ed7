"""What every URL of the project answers to every role, for an object of the role's own office
and of another office: the declarations read by core/tests/test_url_matrix.py.

Written from the design (DESIGN.md, "People, roles, visibility"), never from the code under
test: outside the scope → 404; inside it but not allowed → 403; a wrong method → 405;
anonymous → the login page. "Own" is an object of Rejang Lebong (A, 1702); "other" is one of
Kaur (B, 1704) for the kab/kota roles and one of a kab/kota of another province (X, 1601) for
the province and the national roles (url_world.py builds them). The national roles (BPS RI)
reach every province: for them the other province's object answers as the own one does, and
every write of a province's work is refused (403), as for a province viewer. A national
persona names the side's province (`provinsi`) in the query of every URL, as the links of the
national dashboard do (test_url_matrix.py adds it; a page that takes no year ignores it).

To declare a new URL, add an entry `"namespace:name": Url(...)` to URLS:
- `kwargs`: the URL's arguments for a side (`lambda s: {"pk": s.village.pk}`; the Side fields
  are in url_world.py); a plain dict for a URL that names no office's object
  (`{"kind": "sosialisasi"}`); leave it out for a URL without arguments.
- `query`: GET parameters (`lambda s: {"tahun": 2026}`); a filtered list may name the side's
  office (`lambda s: {"office": s.office.pk}`) and is then tried with the other office too.
- `get`: the status of a GET of the own office's URL for every role (PEOPLE): build it with
  `everyone(200)` or `only(PROVINCE_TEAM)` (those 200, the others 403), `everyone(405)` for a
  POST-only URL; the other office's URL is then 404 (405 stays 405).
- `post`: for a URL whose POST changes state, the status of a refused POST per role, with
  ALLOWED for the roles that may (they are not posted here; the app's tests do that):
  `refused(KABKOTA_TEAM)` (ALLOWED for those, 403 for the others). A refused POST must change
  nothing (no new audit row); on the other office's URL it is 404.
- `data`: the POST body (default empty), when the view checks the right only on valid input.
- `shows_own`: a list or export whose 200 answer must show the own office's marker (that the
  check for other offices' markers, made on every 200 answer, is not vacuous).
- `names_own_offices`: a list or a table of figures per office, which must not even name an
  office outside the role's scope (its recap row, its line in the results, its filter choice).
- `scope="province"`: the object belongs to the province (its calendar, its recap), so for a
  kab/kota role B's object is the same as A's; `scope="national"`: one object for everyone
  (an LKE instrument), tried once per role.
- `anonymous`: the status without login (default 302 to the login page)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

PROVINCE = ("admin", "kepala", "ketua_tim", "tim_provinsi", "viewer")
PROVINCE_TEAM = ("ketua_tim", "tim_provinsi")
KABKOTA = ("tim_kabkota", "pimpinan_kabkota", "pembina")
KABKOTA_TEAM = ("tim_kabkota", "pembina")
# BPS RI: read every province, change nothing of a province's work (core/models.py)
NATIONAL = ("pimpinan_nasional", "ketua_tim_nasional", "tim_nasional", "viewer_nasional")
PEOPLE = PROVINCE + KABKOTA + NATIONAL
PEOPLE_MANAGERS = ("admin", "ketua_tim")  # manage the accounts of their offices
PEOPLE_HEADS = ("kepala", "pimpinan_kabkota")  # read their offices' people
INSTRUMENT_MANAGERS = ("admin", "ketua_tim")  # the LKE instruments (national objects)
ANONYMOUS = "anonymous"
ROLES = (*PEOPLE, ANONYMOUS)

ALLOWED = None  # in `post`: the role may make this change (not posted by the matrix)
YEAR = 2026


def everyone(status: int = 200, **overrides: int) -> dict[str, int]:
    return {role: overrides.get(role, status) for role in PEOPLE}


def only(roles, ok: int = 200, refused: int = 403) -> dict[str, int]:
    return {role: ok if role in roles else refused for role in PEOPLE}


def refused(allowed=(), status: int = 403) -> dict[str, int | None]:
    return {role: ALLOWED if role in allowed else status for role in PEOPLE}


def nobody() -> dict[str, int]:
    return refused(())


def year(_side=None) -> dict:
    return {"tahun": YEAR}


@dataclass(frozen=True)
class Url:
    get: Mapping[str, int]
    kwargs: Callable | None = None
    query: Callable | None = None
    post: Mapping[str, int | None] | None = None
    data: Callable = field(default=lambda s: {})
    shows_own: bool = False
    scope: str = "office"
    filtered: bool = False  # `query` names the side's office: try the other office's too
    anonymous: int = 302
    public: bool = False  # answers without login (else anonymous is sent to the login page)
    names_own_offices: bool = False  # a list or figure per office: no other office is named

    @property
    def names_object(self) -> bool:
        return callable(self.kwargs) and self.scope != "national"

    @property
    def sided(self) -> bool:
        return self.names_object or self.filtered

    def kwargs_for(self, side) -> dict | None:
        return self.kwargs(side) if callable(self.kwargs) else self.kwargs

    def _same_for_other(self, role: str) -> bool:
        return (
            not self.names_object
            or (self.scope == "province" and role in KABKOTA)
            or role in NATIONAL
        )

    def expected_get(self, role: str, other: bool) -> int:
        own = self.get[role]
        if not other or self._same_for_other(role):
            return own
        return 405 if own == 405 else 404

    def expected_post(self, role: str, other: bool) -> int | None:
        own = self.post[role]
        if not other or self._same_for_other(role):
            return own
        return 404


def _v(s):
    return {"pk": s.village.pk}


def _act(s):
    return {"pk": s.activity.pk}


def _agent(s):
    return {"pk": s.extras["agent"].pk}


def _rep(kind):
    def kwargs(s):
        return {"kind": kind, "village": s.village.pk}

    return kwargs


def _person(s):
    return {"pk": s.extras["person"].pk}


def _meet(s):
    return {"pk": s.meeting.pk}


def _item(s):
    return {"pk": s.action_item.pk}


def _ws(s):
    return {"pk": s.worksheet.pk}


def _ws_item(s):
    return {"pk": s.worksheet.pk, "item_pk": s.answer_item.pk}


def _answer(s):
    current = s.worksheet.answers.get(item=s.answer_item, level="self")
    option = s.answer_item.options.get(score=2)
    return {
        "level": "self",
        "option": option.pk,
        "version": current.version,
        "note": "",
        "reason": "",
    }


SOSIALISASI = _rep("sosialisasi")
AKHIR = _rep("akhir")  # the report in draft
READ = everyone(200)
POST_ONLY = everyone(405)
RULE_FORMS = ("lke:instrument_rule_add", "lke:instrument_rule_edit")

URLS: dict[str, Url] = {
    # --- core: accounts ------------------------------------------------------------------------
    "/favicon.ico": Url(get=everyone(301), anonymous=301, public=True),
    # for the load balancer: no login, no data (core/health.py)
    "healthz": Url(get=READ, anonymous=200, public=True),
    # the language is set by a POST (any user); a GET goes back to the site
    "set_language": Url(get=everyone(302), anonymous=302, public=True),
    "login": Url(get=everyone(302), anonymous=200, public=True),
    "logout": Url(get=POST_ONLY, anonymous=405, public=True),
    # SSO BPS: off in a deployment without OIDC_* settings (as here), so not there for anyone;
    # with SSO on, core/tests/test_sso.py drives them against a real provider.
    "sso_login": Url(get=everyone(404), anonymous=404, public=True),
    "sso_callback": Url(get=everyone(404), anonymous=404, public=True),
    "password_change": Url(get=READ),
    "password_change_done": Url(get=READ),
    "profile": Url(get=READ),
    "profile_update": Url(get=POST_ONLY),
    "notification_settings": Url(get=POST_ONLY),
    "api_tokens:token_create": Url(get=POST_ONLY),
    # A's token is the tim_kabkota persona's own; everyone else's is not there for them.
    "api_tokens:token_revoke": Url(
        get=POST_ONLY,
        kwargs=lambda s: {"pk": s.token.pk},
        post=refused(("tim_kabkota",), status=404),
    ),
    # --- core: people (managed by the team lead and the admin; the heads read theirs) ---------
    "people_list": Url(
        get=only(PEOPLE_MANAGERS + PEOPLE_HEADS),
        query=lambda s: {"office": s.office.pk},
        filtered=True,
        shows_own=True,
        names_own_offices=True,
    ),
    "people_invite": Url(get=only(PEOPLE_MANAGERS), post=refused(PEOPLE_MANAGERS)),
    "people_import": Url(get=only(PEOPLE_MANAGERS), post=refused(PEOPLE_MANAGERS)),
    "people_import_confirm": Url(get=POST_ONLY, post=refused(PEOPLE_MANAGERS)),
    "people_import_template": Url(get=only(PEOPLE_MANAGERS)),
    "people_detail": Url(get=only(PEOPLE_MANAGERS + PEOPLE_HEADS), kwargs=_person, shows_own=True),
    "people_edit": Url(get=only(PEOPLE_MANAGERS), kwargs=_person, post=refused(PEOPLE_MANAGERS)),
    "people_role_add": Url(get=POST_ONLY, kwargs=_person, post=refused(PEOPLE_MANAGERS)),
    "people_role_remove": Url(
        get=POST_ONLY,
        kwargs=lambda s: {
            "pk": s.extras["person"].pk,
            "membership_pk": s.extras["person"].memberships.get(role="viewer").pk,
        },
        post=refused(PEOPLE_MANAGERS),
    ),
    "people_deactivate": Url(
        get=only(PEOPLE_MANAGERS), kwargs=_person, post=refused(PEOPLE_MANAGERS)
    ),
    "people_reactivate": Url(get=POST_ONLY, kwargs=_person, post=refused(PEOPLE_MANAGERS)),
    "people_password_link": Url(get=POST_ONLY, kwargs=_person, post=refused(PEOPLE_MANAGERS)),
    # the one-time link of an invitation: public; a made-up link is answered "no longer works"
    "password_set": Url(
        get=everyone(200),
        kwargs={"uidb64": "MQ", "token": "abc-123"},
        anonymous=200,
        public=True,
    ),
    # --- program -------------------------------------------------------------------------------
    "program:home": Url(get=READ, shows_own=True, names_own_offices=True),
    "program:village_list": Url(
        get=READ,
        query=lambda s: {"office": s.office.pk},
        filtered=True,
        shows_own=True,
        names_own_offices=True,
    ),
    "program:village_create": Url(get=only(PROVINCE_TEAM), query=year, post=refused(PROVINCE_TEAM)),
    "program:village_import": Url(get=only(PROVINCE_TEAM), query=year, post=refused(PROVINCE_TEAM)),
    "program:village_import_confirm": Url(get=POST_ONLY, query=year, post=refused(PROVINCE_TEAM)),
    "program:village_import_template": Url(get=only(PROVINCE_TEAM), query=year),
    "program:village_detail": Url(get=READ, kwargs=_v, shows_own=True),
    "program:village_edit": Url(get=only(PROVINCE_TEAM), kwargs=_v, post=refused(PROVINCE_TEAM)),
    "program:village_upload": Url(get=POST_ONLY, kwargs=_v, post=refused(PROVINCE_TEAM)),
    "program:village_attachment": Url(
        get=READ, kwargs=lambda s: {"pk": s.village.pk, "attachment_pk": s.village_file.pk}
    ),
    "program:village_history": Url(get=READ, kwargs=_v, shows_own=True),
    # the agen statistik register: kept by the village office's kab/kota team and the province team
    "program:agent_list": Url(get=READ, kwargs=_v, shows_own=True),
    "program:agent_add": Url(
        get=only(KABKOTA_TEAM + PROVINCE_TEAM),
        kwargs=_v,
        post=refused(KABKOTA_TEAM + PROVINCE_TEAM),
    ),
    "program:agent_copy": Url(get=POST_ONLY, kwargs=_v, post=refused(KABKOTA_TEAM + PROVINCE_TEAM)),
    "program:agent_edit": Url(
        get=only(KABKOTA_TEAM + PROVINCE_TEAM),
        kwargs=_agent,
        post=refused(KABKOTA_TEAM + PROVINCE_TEAM),
    ),
    "program:agent_delete": Url(
        get=only(KABKOTA_TEAM + PROVINCE_TEAM),
        kwargs=_agent,
        post=refused(KABKOTA_TEAM + PROVINCE_TEAM),
    ),
    "program:office_detail": Url(
        get=READ, kwargs=lambda s: {"pk": s.office.pk}, query=year, shows_own=True
    ),
    "program:sop_calendar": Url(get=READ, query=year),
    "program:sop_settings": Url(get=only(("ketua_tim",)), query=year, post=refused(("ketua_tim",))),
    "program:sop_history": Url(get=READ, query=year),
    "program:sop_activity_edit": Url(
        get=only(("ketua_tim",)),
        kwargs=lambda s: {"pk": s.sop_activity.pk},
        post=refused(("ketua_tim",)),
        scope="province",
    ),
    "program:activity_add": Url(get=only(KABKOTA_TEAM), kwargs=_v, post=refused(KABKOTA_TEAM)),
    "program:work_plan_export": Url(get=READ, kwargs=_v, shows_own=True),
    "program:work_plan_import": Url(get=only(KABKOTA_TEAM), kwargs=_v, post=refused(KABKOTA_TEAM)),
    "program:activity_detail": Url(get=READ, kwargs=_act, shows_own=True),
    "program:activity_edit": Url(get=only(KABKOTA_TEAM), kwargs=_act, post=refused(KABKOTA_TEAM)),
    "program:activity_realise": Url(
        get=only(KABKOTA_TEAM), kwargs=_act, post=refused(KABKOTA_TEAM)
    ),
    "program:activity_delete": Url(get=only(KABKOTA_TEAM), kwargs=_act, post=refused(KABKOTA_TEAM)),
    "program:activity_upload": Url(get=POST_ONLY, kwargs=_act, post=refused(KABKOTA_TEAM)),
    "program:activity_attachment": Url(
        get=READ, kwargs=lambda s: {"pk": s.activity.pk, "attachment_pk": s.activity_file.pk}
    ),
    "program:activity_history": Url(get=READ, kwargs=_act, shows_own=True),
    "program:office_work_plan": Url(
        get=READ, kwargs=lambda s: {"pk": s.office.pk}, query=year, shows_own=True
    ),
    "program:office_work_plan_export": Url(
        get=READ, kwargs=lambda s: {"pk": s.office.pk}, query=year, shows_own=True
    ),
    # --- reports -------------------------------------------------------------------------------
    "reports:index": Url(get=READ, query=year, names_own_offices=True),  # counts only
    "reports:needs": Url(
        get=READ,
        query=lambda s: {"tahun": YEAR, "office": s.office.pk},
        filtered=True,
        shows_own=True,
        names_own_offices=True,
    ),
    "reports:needs_xlsx": Url(
        get=READ,
        query=lambda s: {"tahun": YEAR, "office": s.office.pk},
        filtered=True,
        shows_own=True,
        names_own_offices=True,
    ),
    "reports:final_draft_docx": Url(
        get=READ, kwargs=lambda s: {"village": s.village.pk}, shows_own=True
    ),
    "reports:final_draft_pdf": Url(
        get=READ, kwargs=lambda s: {"village": s.village.pk}, shows_own=True
    ),
    "reports:report_list": Url(
        get=READ,
        kwargs={"kind": "sosialisasi"},
        query=lambda s: {"tahun": YEAR, "office": s.office.pk},
        filtered=True,
        shows_own=True,
        names_own_offices=True,
    ),
    "reports:report_list_xlsx": Url(
        get=READ,
        kwargs={"kind": "sosialisasi"},
        query=lambda s: {"tahun": YEAR, "office": s.office.pk},
        filtered=True,
        shows_own=True,
        names_own_offices=True,
    ),
    "reports:report_detail": Url(get=READ, kwargs=SOSIALISASI, shows_own=True),
    "reports:report_edit": Url(get=only(KABKOTA_TEAM), kwargs=AKHIR, post=refused(KABKOTA_TEAM)),
    "reports:report_upload": Url(get=POST_ONLY, kwargs=AKHIR, post=refused(KABKOTA_TEAM)),
    "reports:attachment_download": Url(
        get=READ,
        kwargs=lambda s: {**SOSIALISASI(s), "attachment": s.sosialisasi_file.pk},
    ),
    "reports:attachment_remove": Url(
        get=POST_ONLY,
        kwargs=lambda s: {**AKHIR(s), "attachment": s.akhir_file.pk},
        post=refused(KABKOTA_TEAM),
    ),
    "reports:report_submit": Url(get=POST_ONLY, kwargs=AKHIR, post=refused(KABKOTA_TEAM)),
    "reports:report_return": Url(get=POST_ONLY, kwargs=SOSIALISASI, post=refused(PROVINCE_TEAM)),
    "reports:report_approve": Url(get=POST_ONLY, kwargs=SOSIALISASI, post=refused(PROVINCE_TEAM)),
    "reports:version_detail": Url(
        get=READ, kwargs=lambda s: {**SOSIALISASI(s), "number": 1}, shows_own=True
    ),
    "reports:report_history": Url(get=READ, kwargs=SOSIALISASI, shows_own=True),
    "reports:report_pdf": Url(get=READ, kwargs=SOSIALISASI, shows_own=True),
    # --- meetings (A's meeting is shared with B: its pages must not show B's parts) ------------
    "meetings:list": Url(get=READ, query=year, shows_own=True),
    "meetings:create": Url(get=only(PROVINCE_TEAM), query=year, post=refused(PROVINCE_TEAM)),
    "meetings:detail": Url(get=READ, kwargs=_meet, shows_own=True),
    # a held meeting is no longer edited: the team is sent back to its page
    "meetings:edit": Url(
        get=only(PROVINCE_TEAM, ok=302), kwargs=_meet, post=refused(PROVINCE_TEAM)
    ),
    "meetings:cancel": Url(get=POST_ONLY, kwargs=_meet, post=refused(PROVINCE_TEAM)),
    # the invited office confirms its attendance (its refusals: meetings/tests)
    "meetings:confirm": Url(get=POST_ONLY, kwargs=_meet),
    "meetings:delete": Url(get=POST_ONLY, kwargs=_meet, post=refused(PROVINCE_TEAM)),
    "meetings:schedule": Url(get=POST_ONLY, kwargs=_meet, post=refused(PROVINCE_TEAM)),
    "meetings:hold": Url(get=POST_ONLY, kwargs=_meet, post=refused(PROVINCE_TEAM)),
    "meetings:close": Url(get=POST_ONLY, kwargs=_meet, post=refused(("ketua_tim",))),
    "meetings:correct_number": Url(get=POST_ONLY, kwargs=_meet, post=refused(("ketua_tim",))),
    "meetings:attendance": Url(get=only(PROVINCE_TEAM), kwargs=_meet, post=refused(PROVINCE_TEAM)),
    "meetings:minutes": Url(get=only(PROVINCE_TEAM), kwargs=_meet, post=refused(PROVINCE_TEAM)),
    "meetings:action_create": Url(
        get=only(PROVINCE_TEAM), kwargs=_meet, post=refused(PROVINCE_TEAM)
    ),
    "meetings:history": Url(get=READ, kwargs=_meet, shows_own=True),
    "meetings:report_pdf": Url(get=READ, kwargs=_meet, shows_own=True),
    "meetings:report_docx": Url(get=READ, kwargs=_meet, shows_own=True),
    "meetings:attendance_pdf": Url(get=READ, kwargs=_meet, shows_own=True),
    "meetings:ics": Url(get=READ, kwargs=_meet, shows_own=True),
    "meetings:action_list": Url(
        get=READ,
        query=lambda s: {"tahun": YEAR, "office": s.office.pk},
        filtered=True,
        shows_own=True,
        names_own_offices=True,
    ),
    "meetings:action_xlsx": Url(
        get=READ,
        query=lambda s: {"tahun": YEAR, "office": s.office.pk},
        filtered=True,
        shows_own=True,
        names_own_offices=True,
    ),
    "meetings:action_detail": Url(get=READ, kwargs=_item, shows_own=True),
    "meetings:action_edit": Url(get=only(PROVINCE_TEAM), kwargs=_item, post=refused(PROVINCE_TEAM)),
    "meetings:action_delete": Url(get=POST_ONLY, kwargs=_item, post=refused(PROVINCE_TEAM)),
    "meetings:action_done": Url(get=POST_ONLY, kwargs=_item, post=refused(KABKOTA_TEAM)),
    "meetings:action_confirm": Url(get=POST_ONLY, kwargs=_item, post=refused(PROVINCE_TEAM)),
    "meetings:action_reopen": Url(get=POST_ONLY, kwargs=_item, post=refused(PROVINCE_TEAM)),
    "meetings:action_attachment": Url(
        get=READ, kwargs=lambda s: {"pk": s.action_item.pk, "attachment_pk": s.action_file.pk}
    ),
    # --- LKE (worksheets in self-assessment: only the kab/kota team writes now) ----------------
    "lke:index": Url(get=READ, query=year, shows_own=True, names_own_offices=True),
    "lke:open": Url(get=POST_ONLY, query=year, post=refused(("ketua_tim",))),
    # many worksheets at once: each through its service, which checks the right (lke/tests)
    "lke:bulk": Url(get=POST_ONLY, query=year),
    "lke:sync": Url(get=POST_ONLY, query=year, post=refused(("ketua_tim",))),
    "lke:worksheet": Url(get=READ, kwargs=_ws, shows_own=True),
    "lke:answer": Url(get=POST_ONLY, kwargs=_ws_item, post=refused(KABKOTA_TEAM), data=_answer),
    # a checking rule is applied in verification only: refused to everyone in self-assessment
    "lke:check_rule": Url(
        get=POST_ONLY,
        kwargs=lambda s: {
            "pk": s.worksheet.pk,
            "item_pk": s.answer_item.pk,
            "rule_pk": s.check_rule.pk,
        },
        post=nobody(),
        data=lambda s: {"version": 0},
    ),
    "lke:evidence_file": Url(get=POST_ONLY, kwargs=_ws_item, post=refused(KABKOTA_TEAM)),
    "lke:evidence_link": Url(get=POST_ONLY, kwargs=_ws_item, post=refused(KABKOTA_TEAM)),
    "lke:evidence_document": Url(get=POST_ONLY, kwargs=_ws_item, post=refused(KABKOTA_TEAM)),
    "lke:evidence_remove": Url(
        get=POST_ONLY,
        kwargs=lambda s: {"pk": s.worksheet.pk, "evidence_pk": s.evidence.pk},
        post=refused(KABKOTA_TEAM),
    ),
    "lke:evidence_download": Url(
        get=READ, kwargs=lambda s: {"pk": s.worksheet.pk, "evidence_pk": s.evidence.pk}
    ),
    "lke:submit": Url(get=POST_ONLY, kwargs=_ws, post=refused(KABKOTA_TEAM)),
    # the other steps do not apply to a worksheet in self-assessment: refused to everyone
    "lke:start_verification": Url(get=POST_ONLY, kwargs=_ws, post=nobody()),
    "lke:return": Url(get=POST_ONLY, kwargs=_ws, post=nobody()),
    "lke:accept_self": Url(get=POST_ONLY, kwargs=_ws, post=nobody()),
    "lke:finalise": Url(get=POST_ONLY, kwargs=_ws, post=nobody()),
    "lke:reopen": Url(get=POST_ONLY, kwargs=_ws, post=nobody()),
    "lke:worksheet_xlsx": Url(get=READ, kwargs=_ws, shows_own=True),
    "lke:worksheet_national_form": Url(get=READ, kwargs=_ws, shows_own=True),
    "lke:office_national_form": Url(
        get=READ, kwargs=lambda s: {"pk": s.office.pk}, query=year, shows_own=True
    ),
    "lke:worksheet_import": Url(get=POST_ONLY, kwargs=_ws, post=refused(KABKOTA_TEAM)),
    "lke:worksheet_history": Url(get=READ, kwargs=_ws, shows_own=True),
    "lke:results": Url(get=READ, query=year, shows_own=True, names_own_offices=True),
    "lke:results_xlsx": Url(get=READ, query=year, shows_own=True, names_own_offices=True),
    # the berita acara before sign-off: its record comes with the request
    "lke:results_pdf": Url(
        get=READ,
        query=lambda s: {
            "tahun": YEAR,
            "number": "001/BA/2026",
            "place": "Bengkulu",
            "date": "2026-05-18",
            "lead": s.extras["ketua_tim"].pk,
        },
        shows_own=True,
        names_own_offices=True,
    ),
    "lke:results_sign_off": Url(get=POST_ONLY, query=year, post=refused(("kepala",))),
    # the national results are for the national operator (a superuser) only
    "lke:results_national_xlsx": Url(get=everyone(403), query=year),
    # the nominees of the signed results (the national desk's input; none signed in the world):
    # BPS RI reads every province's, a province office its own; a kab/kota office has no such
    # page (it reads its province's nominees on the signed results page)
    "lke:nominees": Url(
        get=everyone(200, **dict.fromkeys(KABKOTA, 404)), query=year, names_own_offices=True
    ),
    "lke:nominees_xlsx": Url(
        get=everyone(200, **dict.fromkeys(KABKOTA, 404)), query=year, names_own_offices=True
    ),
    "lke:instrument_list": Url(get=only(INSTRUMENT_MANAGERS)),
    "lke:instrument_import": Url(get=POST_ONLY, post=refused(INSTRUMENT_MANAGERS)),
    "lke:instrument_workbook": Url(
        get=only(INSTRUMENT_MANAGERS), post=refused(INSTRUMENT_MANAGERS)
    ),
    "lke:instrument_detail": Url(
        get=only(INSTRUMENT_MANAGERS), kwargs=lambda s: {"pk": s.instrument.pk}, scope="national"
    ),
    "lke:instrument_xlsx": Url(
        get=only(INSTRUMENT_MANAGERS), kwargs=lambda s: {"pk": s.instrument.pk}, scope="national"
    ),
    # corrections of an instrument's checking rules and divisors: the admin, and the team lead
    # of the only province whose assessment uses it. The world's instrument is used by both
    # provinces (Bengkulu and Sumsel), so the Bengkulu team lead is refused too (403). The add
    # and edit URLs answer a GET with their form (opened on demand from the instrument's page).
    **{
        name: Url(
            get=only(("admin",)) if name in RULE_FORMS else POST_ONLY,
            kwargs=kwargs,
            scope="national",
            post=refused(("admin",)),
            data=lambda s: {"version": 1, "text": "Aturan", "score": 2, "present": "notulen"},
        )
        for name, kwargs in {
            "lke:instrument_rule_add": lambda s: {
                "pk": s.instrument.pk,
                "item_pk": s.answer_item.pk,
            },
            "lke:instrument_rule_edit": lambda s: {
                "pk": s.instrument.pk,
                "item_pk": s.answer_item.pk,
                "rule_pk": s.check_rule.pk,
            },
            "lke:instrument_rule_delete": lambda s: {
                "pk": s.instrument.pk,
                "item_pk": s.answer_item.pk,
                "rule_pk": s.check_rule.pk,
            },
            "lke:instrument_divisor": lambda s: {
                "pk": s.instrument.pk,
                "item_pk": s.answer_item.pk,
            },
        }.items()
    },
    # --- monitoring ----------------------------------------------------------------------------
    # a kab/kota user of one office is taken to its office's page; BPS RI names the province
    # (naming none, it is taken to the national dashboard: monitoring/tests/test_national.py)
    "monitoring:dashboard": Url(
        get=everyone(200, **dict.fromkeys(KABKOTA, 302)),
        query=lambda s: {"tahun": YEAR, "kabkota": s.office.pk},
        filtered=True,
    ),
    # the national dashboard and its xlsx (a row per province, no kab/kota's marker): BPS RI
    # only; to anyone else no such page
    "monitoring:national": Url(get=only(NATIONAL, refused=404), query=year),
    "monitoring:national_xlsx": Url(get=only(NATIONAL, refused=404), query=year),
    "monitoring:office": Url(
        get=READ,
        kwargs=lambda s: {"pk": s.office.pk},
        query=year,
        shows_own=True,
        names_own_offices=True,
    ),
    "monitoring:village": Url(get=READ, kwargs=_v, shows_own=True),
    "monitoring:extension_grant": Url(
        get=only(("ketua_tim",)),
        kwargs=lambda s: {
            "type_id": s.extras["activity_type"],
            "object_id": str(s.activity.pk),
            "office_pk": s.office.pk,
        },
        query=year,
        post=refused(("ketua_tim",)),
    ),
    "monitoring:extension_request": Url(
        get=only(KABKOTA_TEAM),
        kwargs=lambda s: {
            "type_id": s.extras["activity_type"],
            "object_id": str(s.activity.pk),
            "office_pk": s.office.pk,
        },
        query=year,
        post=refused(KABKOTA_TEAM),
    ),
    # the world holds no request to decline yet: only the method is checked here
    "monitoring:extension_decline": Url(
        get=POST_ONLY, kwargs=lambda s: {"pk": 1}, scope="national"
    ),
    "monitoring:recap_list": Url(get=READ, query=year, names_own_offices=True),
    "monitoring:recap_generate": Url(
        get=POST_ONLY, post=refused(PROVINCE_TEAM), data=lambda s: {"tahun": YEAR, "period": 2}
    ),
    "monitoring:recap_detail": Url(
        get=READ, kwargs=lambda s: {"pk": s.recap.pk}, scope="province", names_own_offices=True
    ),
    "monitoring:recap_sign": Url(
        get=POST_ONLY,
        kwargs=lambda s: {"pk": s.recap.pk},
        post=refused(("kepala",)),
        scope="province",
    ),
    "monitoring:recap_xlsx": Url(
        get=READ, kwargs=lambda s: {"pk": s.recap.pk}, scope="province", names_own_offices=True
    ),
    "monitoring:recap_pdf": Url(
        get=READ, kwargs=lambda s: {"pk": s.recap.pk}, scope="province", names_own_offices=True
    ),
}
