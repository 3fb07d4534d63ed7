"""A village's agen statistik register: kept by the village office's kab/kota team and the
province team, read by the others who see the village; bad input refused with a message in
Indonesian; a stale edit never overwrites; every change audited on the village and labelled in
its history."""

from datetime import date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.deadlines import JAKARTA
from core.history import action_label
from core.models import AuditEvent
from program import services
from program.models import VillageAgent
from program.queries import agent_history

FROZEN = datetime(2026, 5, 18, 12, tzinfo=JAKARTA)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(FROZEN, tick=False):
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def agent_form(**overrides) -> dict:
    return {
        "name": "Rina Marlina",
        "role": "Kaur Perencanaan",
        "is_village_official": "on",
        "sk_number": "141/12/2026",
        "sk_date": "2026-05-04",
        "phone": "0812-3456-7890",
        **overrides,
    }


def test_the_kabkota_team_adds_an_agent_through_the_page_and_it_is_audited(
    client, village_rejang_lebong, tim_rejang_lebong
):
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:agent_add", args=[village_rejang_lebong.pk]), agent_form()
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("program:agent_list", args=[village_rejang_lebong.pk])
    agent = VillageAgent.objects.get(village=village_rejang_lebong)
    assert (agent.name, agent.role, agent.is_village_official) == (
        "Rina Marlina",
        "Kaur Perencanaan",
        True,
    )
    assert (agent.sk_number, agent.sk_date, agent.phone) == (
        "141/12/2026",
        date(2026, 5, 4),
        "081234567890",
    )
    event = agent_history(village_rejang_lebong).get()
    assert (event.action, event.actor, event.office) == (
        "agent.add",
        tim_rejang_lebong,
        village_rejang_lebong.office,
    )
    assert event.changes == {
        "agen statistik": [
            None,
            "Rina Marlina · Kaur Perencanaan · aparat desa · SK 141/12/2026 4 Mei 2026 · "
            "081234567890",
        ]
    }
    assert action_label("agent.add") == "Agen statistik ditambahkan ke register"


def test_the_register_page_lists_the_agents_and_the_village_page_links_to_it(
    client, village_rejang_lebong, tim_rejang_lebong, pimpinan_rejang_lebong
):
    services.add_agent(
        village_rejang_lebong,
        name="Budi Santoso",
        role="Ketua Karang Taruna",
        phone="+62 813 1111 2222",
        by=tim_rejang_lebong,
    )
    client.force_login(pimpinan_rejang_lebong)

    page = client.get(reverse("program:agent_list", args=[village_rejang_lebong.pk]))
    village_page = client.get(reverse("program:village_detail", args=[village_rejang_lebong.pk]))

    html = page.content.decode()
    assert [a.name for a in page.context["agents"]] == ["Budi Santoso"]
    assert "+6281311112222" in html and "Ketua Karang Taruna" in html
    assert "belum ada aparat desa (diperlukan sekurang-kurangnya satu)" in html
    assert reverse("program:agent_add", args=[village_rejang_lebong.pk]) not in html  # read only
    assert "Agen statistik ditambahkan ke register" in html  # the history, labelled
    assert reverse("program:agent_list", args=[village_rejang_lebong.pk]) in (
        village_page.content.decode()
    )
    assert "Budi Santoso" in village_page.content.decode()


def test_the_province_team_keeps_the_register_too(client, village_rejang_lebong, tim_provinsi):
    client.force_login(tim_provinsi)

    response = client.post(
        reverse("program:agent_add", args=[village_rejang_lebong.pk]), agent_form()
    )

    assert response.status_code == 302
    assert VillageAgent.objects.get().name == "Rina Marlina"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": "  "}, "name", "Isi nama agen statistik."),
        (
            {"phone": "0812-ABCD"},
            "phone",
            "Tulis nomor telepon dengan angka, diawali 0 atau +62, misalnya 0812 3456 7890.",
        ),
        ({"phone": "812345678"}, "phone", "diawali 0 atau +62"),
        ({"sk_date": date(2026, 5, 19)}, "sk_date", "Tanggal SK tidak boleh di masa depan."),
        ({"sk_number": ""}, "sk_number", "Isi nomor SK bertanggal 4 Mei 2026."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    village_rejang_lebong, tim_rejang_lebong, values, field, message
):
    base = {
        "name": "Rina",
        "sk_number": "141/12/2026",
        "sk_date": date(2026, 5, 4),
        "phone": "081234567890",
    }

    with pytest.raises(ValidationError) as raised:
        services.add_agent(village_rejang_lebong, **{**base, **values}, by=tim_rejang_lebong)

    assert any(message in m for m in raised.value.message_dict[field])
    assert not VillageAgent.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="agent.").exists()


def test_the_same_name_twice_in_one_register_is_refused(
    client, village_rejang_lebong, tim_rejang_lebong
):
    services.add_agent(village_rejang_lebong, name="Rina Marlina", by=tim_rejang_lebong)
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:agent_add", args=[village_rejang_lebong.pk]),
        agent_form(name="rina marlina"),
    )

    assert response.status_code == 200
    assert "rina marlina sudah tercatat di register desa ini." in response.content.decode()
    assert VillageAgent.objects.count() == 1


def test_an_edit_on_a_stale_copy_is_refused_and_the_other_change_stays(
    client, village_rejang_lebong, tim_rejang_lebong, tim_provinsi
):
    agent = services.add_agent(village_rejang_lebong, name="Rina", by=tim_rejang_lebong)
    opened = agent.version
    services.update_agent(agent, version=opened, name="Rina Marlina", by=tim_provinsi)
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:agent_edit", args=[agent.pk]),
        agent_form(name="Rina M.", version=opened),
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "Orang lain mengubah atau menghapus agen statistik ini" in html
    assert 'data-testid="stale-notice"' in html and "Rina Marlina" in html
    assert "core/_stale_notice.html" in [t.name for t in response.templates]
    agent.refresh_from_db()
    assert (agent.name, agent.version) == ("Rina Marlina", opened + 1)


def test_an_agent_removed_meanwhile_is_said_so_in_the_notice(
    rf, village_rejang_lebong, tim_rejang_lebong
):
    """The edit form's notice when the stale save found the agent removed (current is None)."""
    from django.template.loader import render_to_string

    from program.forms import AgentForm

    request = rf.post("/agen-statistik/1/ubah/")
    request.user = tim_rejang_lebong
    context = {"form": AgentForm(), "village": village_rejang_lebong, "stale": True}

    html = render_to_string("program/agent_form.html", {**context, "current": None}, request)

    notice = html[html.index('data-testid="stale-notice"') :]
    assert "Agen statistik ini sementara itu sudah dihapus dari register." in notice
    assert "Muat ulang dengan perubahan mereka" not in html  # nothing to reload


def test_an_edit_is_audited_with_the_old_and_new_line(
    client, village_rejang_lebong, tim_rejang_lebong
):
    agent = services.add_agent(village_rejang_lebong, name="Rina", by=tim_rejang_lebong)
    client.force_login(tim_rejang_lebong)

    client.post(
        reverse("program:agent_edit", args=[agent.pk]),
        {"name": "Rina", "role": "Kasi Pemerintahan", "is_village_official": "on", "version": 1},
    )

    event = agent_history(village_rejang_lebong).first()
    assert event.action == "agent.update"
    assert event.changes == {"agen statistik": ["Rina", "Rina · Kasi Pemerintahan · aparat desa"]}
    history = client.get(reverse("program:village_history", args=[village_rejang_lebong.pk]))
    assert "Data agen statistik di register diubah" in history.content.decode()


def test_removing_an_agent_keeps_its_line_in_the_history(
    client, village_rejang_lebong, tim_rejang_lebong
):
    agent = services.add_agent(village_rejang_lebong, name="Rina", by=tim_rejang_lebong)
    client.force_login(tim_rejang_lebong)

    response = client.post(
        reverse("program:agent_delete", args=[agent.pk]), {"version": agent.version}
    )

    assert response.status_code == 302
    assert not VillageAgent.objects.exists()
    assert agent_history(village_rejang_lebong).first().changes == {
        "agen statistik": ["Rina", None]
    }


def test_removing_a_changed_agent_is_refused(village_rejang_lebong, tim_rejang_lebong):
    agent = services.add_agent(village_rejang_lebong, name="Rina", by=tim_rejang_lebong)
    services.update_agent(agent, version=1, name="Rina Marlina", by=tim_rejang_lebong)

    with pytest.raises(services.StaleEditError):
        services.delete_agent(agent, version=1, by=tim_rejang_lebong)

    assert VillageAgent.objects.get().name == "Rina Marlina"


def test_another_kabkota_neither_sees_nor_changes_the_register(
    client, village_rejang_lebong, tim_rejang_lebong, tim_kaur
):
    agent = services.add_agent(village_rejang_lebong, name="Rina", by=tim_rejang_lebong)
    client.force_login(tim_kaur)

    assert (
        client.get(reverse("program:agent_list", args=[village_rejang_lebong.pk])).status_code
        == 404
    )
    assert (
        client.post(reverse("program:agent_edit", args=[agent.pk]), agent_form()).status_code == 404
    )
    assert VillageAgent.objects.get().name == "Rina"


# --- a village taking part again: its earlier register is offered ------------------------------


@pytest.fixture
def took_part_in_2025(province, village_rejang_lebong, tim_rejang_lebong):
    """The desa of village_rejang_lebong (2026, empty register) also took part in 2025, with
    two agen statistik."""
    from program.models import ParticipatingVillage, VillageKind
    from program.services import create_program_year

    earlier = ParticipatingVillage.objects.create(
        program_year=create_program_year(province, year=2025, by=None),
        village=village_rejang_lebong.village,
        office=village_rejang_lebong.office,
        kind=VillageKind.UTAMA,
    )
    services.add_agent(
        earlier,
        name="Rina Marlina",
        role="Kaur Perencanaan",
        is_village_official=True,
        sk_number="141/12/2025",
        sk_date=date(2025, 3, 3),
        phone="0812 3456 7890",
        by=tim_rejang_lebong,
    )
    services.add_agent(earlier, name="Budi Santoso", role="Ketua RT 02", by=tim_rejang_lebong)
    return earlier


def register(village) -> list[tuple]:
    return list(
        village.agents.order_by("name").values_list(
            "name", "role", "is_village_official", "sk_number", "sk_date", "phone"
        )
    )


def test_a_village_taking_part_again_is_offered_its_earlier_agents_and_copies_them(
    client, village_rejang_lebong, tim_rejang_lebong, took_part_in_2025
):
    client.force_login(tim_rejang_lebong)
    url = reverse("program:agent_list", args=[village_rejang_lebong.pk])

    offer = client.get(url).content.decode()
    response = client.post(reverse("program:agent_copy", args=[village_rejang_lebong.pk]))

    assert 'data-testid="agent-copy"' in offer
    assert "Desa/kelurahan ini sudah ikut pada 2025" in offer and "Budi Santoso" in offer
    assert response.status_code == 302 and response["Location"] == url
    assert register(village_rejang_lebong) == register(took_part_in_2025)  # every field
    assert len(register(took_part_in_2025)) == 2  # the 2025 register stays as it was
    event = agent_history(village_rejang_lebong).get()
    assert (event.action, event.actor) == ("agent.copy", tim_rejang_lebong)
    assert event.changes == {
        "agen statistik": [
            None,
            [  # the audit keeps a list sorted
                "Budi Santoso · Ketua RT 02",
                "Rina Marlina · Kaur Perencanaan · aparat desa · SK 141/12/2025 3 Maret 2025 · "
                "081234567890",
            ],
        ],
        "copied from": [None, 2025],
    }
    after = client.get(url).content.decode()
    assert 'data-testid="agent-copy"' not in after  # copied once: no offer any more
    assert "Agen statistik disalin dari tahun program sebelumnya" in after
    assert "disalin dari tahun program" in after and "2025" in after


def test_the_copy_leaves_out_agents_already_listed_and_refuses_when_none_is_left(
    village_rejang_lebong, tim_rejang_lebong, took_part_in_2025
):
    services.add_agent(village_rejang_lebong, name="rina marlina", by=tim_rejang_lebong)

    copies = services.copy_previous_agents(village_rejang_lebong, by=tim_rejang_lebong)

    assert [a.name for a in copies] == ["Budi Santoso"]
    assert village_rejang_lebong.agents.count() == 2
    with pytest.raises(ValidationError) as error:
        services.copy_previous_agents(village_rejang_lebong, by=tim_rejang_lebong)
    assert error.value.messages == [
        "Tidak ada agen statistik dari tahun program sebelumnya yang dapat disalin ke register ini."
    ]


def test_only_an_earlier_register_of_the_same_desa_is_offered(
    province, village_rejang_lebong, tim_rejang_lebong, took_part_in_2025
):
    from conftest import desa_in
    from program.models import ParticipatingVillage, VillageKind
    from program.queries import previous_agents
    from program.services import create_program_year

    later = ParticipatingVillage.objects.create(
        program_year=create_program_year(province, year=2027, by=None),
        village=village_rejang_lebong.village,
        office=village_rejang_lebong.office,
        kind=VillageKind.BERKELANJUTAN,
    )
    services.add_agent(later, name="Sari Dewi", by=tim_rejang_lebong)
    neighbour = ParticipatingVillage.objects.create(
        program_year=village_rejang_lebong.program_year,
        village=desa_in(village_rejang_lebong.office, 1),
        office=village_rejang_lebong.office,
        kind=VillageKind.TAMBAHAN,
    )

    earlier, agents = previous_agents(village_rejang_lebong)
    assert (earlier, [a.name for a in agents]) == (
        took_part_in_2025,
        ["Rina Marlina", "Budi Santoso"],
    )
    assert previous_agents(neighbour) == (None, [])  # first time in the program
    # 2027 looks back past the empty 2026 register to the 2025 one
    assert previous_agents(later)[0] == took_part_in_2025


def test_who_only_reads_the_register_is_not_offered_the_copy(
    client, village_rejang_lebong, pimpinan_rejang_lebong, took_part_in_2025
):
    client.force_login(pimpinan_rejang_lebong)

    page = client.get(reverse("program:agent_list", args=[village_rejang_lebong.pk]))
    refused = client.post(reverse("program:agent_copy", args=[village_rejang_lebong.pk]))

    assert 'data-testid="agent-copy"' not in page.content.decode()
    assert refused.status_code == 403
    assert village_rejang_lebong.agents.count() == 0
