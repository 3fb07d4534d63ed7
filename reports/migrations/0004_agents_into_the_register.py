"""Fill each village's agen statistik register (program.VillageAgent) from its sosialisasi
report, for villages whose register is still empty: the report's list was the only record of
the agents before the register. The report keeps its own list (and its frozen versions)."""

from django.db import migrations


def copy_agents(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    StatisticalAgent = apps.get_model("reports", "StatisticalAgent")
    VillageAgent = apps.get_model("program", "VillageAgent")
    filled = set(VillageAgent.objects.values_list("village_id", flat=True))
    rows, seen = [], set()
    reports = Report.objects.filter(kind="sosialisasi").exclude(village_id__in=filled)
    agents = StatisticalAgent.objects.filter(report__in=reports).order_by(
        "report__village_id", "position", "id"
    )
    for agent in agents.values(
        "report__village_id", "name", "role", "is_village_official", "sk_number", "sk_date"
    ):
        village = agent.pop("report__village_id")
        name = agent["name"].strip()
        if not name or (village, name.casefold()) in seen:
            continue
        seen.add((village, name.casefold()))
        rows.append(VillageAgent(village_id=village, **{**agent, "name": name}))
    VillageAgent.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_text_limits"),
        ("program", "0005_village_agent"),
    ]

    operations = [migrations.RunPython(copy_agents, migrations.RunPython.noop)]
