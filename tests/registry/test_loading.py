"""load_registry: reports every problem with file and line; loads through the services, once."""

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from registry.loading import read_fixtures
from registry.models import Change, Listing
from substances.models import Name, Substance

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _small_fixtures(tmp_path: Path) -> Path:
    """A consistent miniature of the real fixtures: CN, two lists, fentanyl's history."""
    folder = tmp_path / "fixtures"
    folder.mkdir()
    shutil.copy(FIXTURES / "jurisdictions.csv", folder)
    shutil.copy(FIXTURES / "schedules.csv", folder)
    (folder / "instruments.csv").write_text(
        "uid,jurisdiction,reference,title_zh,title_en,issuers,published_on,effective_on,"
        "source_url,confidence,notes\n"
        "cn-2013-230,cn,X〔2013〕230号,,The 2013 lists,,2013-11-11,2014-01-01,,medium,\n"
        "cn-2025-55,cn,2025年第55号,,Reorganisation,,2025-07-28,2025-07-28,,medium,\n"
    )
    (folder / "substances.csv").write_text(
        "uid,name_en,name_zh,kind,cas,smiles,structure_source,notes\n"
        "fentanyl,Fentanyl,芬太尼,compound,437-38-7,CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1,t,\n"
        "fentanyl-citrate,Fentanyl citrate,,form,990-73-8,"
        "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1.OC(=O)CC(O)(CC(=O)O)C(=O)O,t,\n"
    )
    (folder / "relations.csv").write_text(
        "uid,subject,kind,form,target,source,notes\n"
        "r-citrate,fentanyl-citrate,form_of,salt,fentanyl,t,\n"
    )
    (folder / "names.csv").write_text(
        "substance,name,language,kind,source\nfentanyl,Sublimaze,en,trade,\n"
    )
    (folder / "precursor_uses.csv").write_text("uid,precursor,product,product_name,role,source\n")
    (folder / "listings.csv").write_text(
        "uid,schedule,substance,class,effective_from,effective_to,listed_by,ended_by,"
        "item_number,scope,produced_in_china,source,notes\n"
        "l-f-1,cn-narcotic-2013,fentanyl,,2014-01-01,2025-07-28,cn-2013-230,cn-2025-55,1,,1,,\n"
        "l-f-2,cn-narcotic-2025,fentanyl,,2025-07-28,,cn-2025-55,,1,,1,,\n"
    )
    (folder / "classes.yaml").write_text("[]\n")
    return folder


def test_small_fixtures_load_through_the_services_and_again_change_nothing(tmp_path):
    folder = _small_fixtures(tmp_path)
    out = io.StringIO()
    call_command("load_registry", "--fixtures", str(folder), stdout=out)
    assert "Registry loaded" in out.getvalue()
    citrate = Substance.objects.get(uid="fentanyl-citrate")
    [relation] = citrate.relations.all()
    assert (relation.kind, relation.form, relation.target.uid) == ("form_of", "salt", "fentanyl")
    assert citrate.parent_key == relation.target.parent_key
    assert Name.objects.get(name="Sublimaze").substance.uid == "fentanyl"
    assert Listing.objects.count() == 2
    changes = Change.objects.count()
    # every resource has exactly one created row, parents before their forms
    assert (
        changes
        == len(read_fixtures(folder).rows["jurisdiction"])
        + len(read_fixtures(folder).rows["schedule"])
        + 2
        + 2
        + 1
        + 1
        + 2
    )
    order = list(Change.objects.filter(resource_type="substance").values_list("uid", flat=True))
    assert order == ["fentanyl", "fentanyl-citrate"]
    call_command("load_registry", "--fixtures", str(folder), stdout=io.StringIO())
    assert Change.objects.count() == changes


def test_an_edited_fixture_row_is_one_update(tmp_path):
    folder = _small_fixtures(tmp_path)
    call_command("load_registry", "--fixtures", str(folder), stdout=io.StringIO())
    head = Change.objects.count()
    path = folder / "substances.csv"
    path.write_text(path.read_text().replace("Fentanyl,芬太尼", "Fentanyl,芬太尼（修订）"))
    call_command("load_registry", "--fixtures", str(folder), stdout=io.StringIO())
    [change] = Change.objects.filter(seq__gt=head)
    assert (change.action, change.uid, change.data["name_zh"]) == (
        "updated",
        "fentanyl",
        "芬太尼（修订）",
    )


def test_check_reports_every_problem_with_file_and_line_and_writes_nothing(tmp_path):
    folder = _small_fixtures(tmp_path)
    with (folder / "substances.csv").open("a") as handle:
        handle.write("oxycodone,Oxycodone,,compound,76-42-5,C1CC(,,\n")
        handle.write("Bad Uid,X,,compound,,,,\n")
        handle.write("loop-a,A,,form,,,,\n")
        handle.write("loop-b,B,,form,,,,\n")
    with (folder / "relations.csv").open("a") as handle:
        handle.write("r-loop-a,loop-a,form_of,salt,loop-b,,\n")
        handle.write("r-loop-b,loop-b,member_of,,loop-a,,\n")
        handle.write("r-bad,loop-a,member_of,salt,nobody,,\n")
        handle.write("r-contains,fentanyl,contains,,fentanyl-citrate,,\n")
    with (folder / "listings.csv").open("a") as handle:
        handle.write("l-f-3,cn-narcotic-2025,fentanyl,,2026-01-01,,cn-2025-55,,,,,,\n")
        handle.write("l-f-4,cn-narcotic-2025,nobody,,2026-13-01,,cn-9999,,,,,,\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command("load_registry", "--check", "--fixtures", str(folder), stderr=err)
    report = err.getvalue()
    assert "fixtures/substances.csv:4: CAS 76-42-5 fails its check digit (expected 6)" in report
    assert "fixtures/substances.csv:4: SMILES does not parse" in report
    assert "fixtures/substances.csv:5: uid 'Bad Uid' is not a valid uid" in report
    assert "fixtures/relations.csv:3: relations go round in a circle through loop-a" in report
    assert "fixtures/relations.csv:5: target 'nobody' is not a known substance" in report
    assert "fixtures/relations.csv:5: a form_of relation names its form" in report
    assert (
        "fixtures/relations.csv:6: subject fentanyl is a compound: only a preparation or a "
        "material contains an ingredient" in report
    )
    assert "fixtures/listings.csv:4: fentanyl on cn-narcotic-2025 overlaps" in report
    assert "fixtures/listings.csv:5: substance 'nobody' is not a known substance" in report
    assert "fixtures/listings.csv:5: effective_from '2026-13-01' is not a YYYY-MM-DD date" in report
    assert "fixtures/listings.csv:5: listed_by 'cn-9999' is not a known instrument" in report
    assert Change.objects.count() == 0


def test_check_passes_on_the_real_fixtures():
    out = io.StringIO()
    call_command("load_registry", "--check", stdout=out)
    assert "Fixtures are valid" in out.getvalue()


def test_help_says_what_the_command_does():
    import subprocess
    import sys

    root = FIXTURES.parent
    result = subprocess.run(
        [sys.executable, "manage.py", "load_registry", "--help"],
        cwd=root,
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings_test", "PATH": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "Idempotent" in result.stdout and "--check" in result.stdout


def test_a_listings_attributes_cell_is_a_json_object_of_known_attributes(tmp_path):
    folder = _small_fixtures(tmp_path)
    path = folder / "listings.csv"
    lines = path.read_text().splitlines()
    wording = '"{""legal_text_zh"": ""依原有目录予以管制"", ""excepted"": []}"'
    path.write_text(
        "\n".join([lines[0] + ",attributes", lines[1] + "," + wording, lines[2] + ","]) + "\n"
    )
    call_command("load_registry", "--fixtures", str(folder), stdout=io.StringIO())
    # The produced_in_china column is China's mark, an attribute like the others.
    assert Listing.objects.get(uid="l-f-1").attributes == {
        "legal_text_zh": "依原有目录予以管制",
        "excepted": [],
        "produced_in_china": True,
    }
    assert Listing.objects.get(uid="l-f-2").attributes == {"produced_in_china": True}
    with path.open("a") as handle:
        handle.write('l-f-3,cn-narcotic-2025,fentanyl,,2030-01-01,,cn-2025-55,,,,,,,"{""x"": 1}"\n')
        handle.write("l-f-4,cn-narcotic-2025,fentanyl,,2031-01-01,,cn-2025-55,,,,,,,{oops\n")
        handle.write(
            'l-f-5,cn-narcotic-2025,fentanyl,,2032-01-01,,cn-2025-55,,,,,,,"{""excepted"": [1]}"\n'
        )
    err = io.StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command("load_registry", "--check", "--fixtures", str(folder), stderr=err)
    report = err.getvalue()
    assert "fixtures/listings.csv:4: Unknown attribute x" in report
    assert "fixtures/listings.csv:5: attributes:" in report
    assert "fixtures/listings.csv:6: excepted is a list of uids." in report


def test_a_withdrawn_name_the_loader_wrote_is_deleted_and_a_curators_kept(tmp_path):
    # The fixtures dropped 35 pieces of US names ("any", "synthetic"): a registry loaded before
    # kept them, and a check of "any" still answered controlled.
    from registry import services
    from tests.factories import NameFactory

    folder = _small_fixtures(tmp_path)
    names = folder / "names.csv"
    names.write_text(names.read_text() + "fentanyl,any,en,synonym,\n")
    call_command("load_registry", "--fixtures", str(folder), stdout=io.StringIO())
    assert Name.objects.filter(name="any").exists()
    curators = NameFactory(substance=Substance.objects.get(uid="fentanyl"), name="dosage forms")
    services.save_resource(curators, actor=services.Actor(name="curator", via="admin"))
    names.write_text(names.read_text().replace("fentanyl,any,en,synonym,\n", ""))
    (folder / "names_withdrawn.csv").write_text(
        "substance,name,language,reason\n"
        "fentanyl,any,en,a piece of a name\n"
        f"fentanyl,dosage forms,{curators.language},a piece of a name\n"
    )
    before = Change.objects.count()
    out = io.StringIO()
    call_command("load_registry", "--fixtures", str(folder), stdout=out)
    assert not Name.objects.filter(name="any").exists()
    assert Name.objects.filter(name="dosage forms").exists()  # written by a curator: kept
    assert "1 withdrawn" in out.getvalue()
    assert list(Change.objects.filter(seq__gt=before).values_list("action", "resource_type")) == [
        ("deleted", "name")
    ]
    call_command("load_registry", "--fixtures", str(folder), stdout=io.StringIO())
    assert Change.objects.filter(seq__gt=before).count() == 1  # nothing more the second time


def test_a_withdrawn_name_still_in_the_fixtures_is_a_problem(tmp_path):
    folder = _small_fixtures(tmp_path)
    (folder / "names_withdrawn.csv").write_text(
        "substance,name,language,reason\nfentanyl,Sublimaze,en,no\n"
    )
    assert any("withdrawn, and still in names.csv" in p for p in read_fixtures(folder).problems)
