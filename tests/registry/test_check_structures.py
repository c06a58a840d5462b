"""manage.py check_structures: screening files of compounds into CSV verdicts."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from tests.registry.conftest import DEXAMFETAMINE, FENTANYL

pytestmark = pytest.mark.django_db

BUTYRYLFENTANYL = "CCCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"


def _run(path, *args) -> tuple[list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("check_structures", str(path), "--on", "2024-01-01", *args, stdout=out, stderr=err)
    return list(csv.DictReader(io.StringIO(out.getvalue()))), err.getvalue()


def test_smiles_file_gives_one_verdict_per_line(registry, tmp_path):
    path = tmp_path / "seized.smi"
    path.write_text(
        f"{FENTANYL} exhibit-1\n# a comment\n\n{BUTYRYLFENTANYL} exhibit-2\n"
        "CC(=O)Nc1ccc(O)cc1 exhibit-3\nC1CC( exhibit-4\n"
    )
    rows, err = _run(path)
    assert [(r["id"], r["status"]) for r in rows] == [
        ("exhibit-1", "controlled"),
        ("exhibit-2", "controlled"),
        ("exhibit-3", "not_controlled"),
        ("exhibit-4", "unknown"),
    ]
    assert rows[0]["substance"] == "fentanyl" and "NM since 2017-03-01" in rows[0]["listings"]
    assert rows[1]["classes"].startswith("class-fentanyls")
    assert "Checked 4 compounds" in err and "4/4" in err


def test_csv_file_with_a_chosen_column(registry, tmp_path):
    path = tmp_path / "batch.csv"
    path.write_text(f"code,structure\nA,{DEXAMFETAMINE}\nB,fentanyl\nC,437-38-8\n")
    rows, _ = _run(path, "--column", "structure", "--id-column", "code")
    assert [(r["id"], r["status"], r["matched_by"]) for r in rows] == [
        ("A", "controlled", "stereoisomer"),
        ("B", "controlled", "name"),
        ("C", "invalid", ""),
    ]


def test_csv_without_the_column_is_a_clear_error(registry, tmp_path):
    path = tmp_path / "batch.csv"
    path.write_text("name\nx\n")
    with pytest.raises(CommandError, match="has no column 'structure' or 'smiles'"):
        _run(path)


AMFETAMINE_MOLFILE = """exhibit-9
     hand-written

 10 10  0  0  0  0  0  0  0  0999 V2000
    5.2500   -1.2990    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    3.7500   -1.2990    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    3.0000   -2.5981    0.0000 N   0  0  0  0  0  0  0  0  0  0  0  0
    3.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    1.5000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    0.7500    1.2990    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
   -0.7500    1.2990    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
   -1.5000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
   -0.7500   -1.2990    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
    0.7500   -1.2990    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0
  1  2  1  0
  2  3  1  0
  2  4  1  0
  4  5  1  0
  5  6  2  0
  6  7  1  0
  7  8  2  0
  8  9  1  0
  9 10  2  0
 10  5  1  0
M  END
"""


def test_sdf_file(registry, tmp_path):
    path = tmp_path / "seized.sdf"
    path.write_text(AMFETAMINE_MOLFILE + "> <note>\nseized 2024\n\n$$$$\n")
    rows, _ = _run(path)
    assert [(r["id"], r["status"], r["substance"]) for r in rows] == [
        ("exhibit-9", "controlled", "amfetamine")
    ]


def test_output_file_and_missing_input(registry, tmp_path):
    path = tmp_path / "one.smi"
    path.write_text(FENTANYL + "\n")
    target = tmp_path / "out.csv"
    call_command("check_structures", str(path), "-o", str(target), stderr=io.StringIO())
    assert "controlled" in target.read_text()
    with pytest.raises(CommandError, match="does not exist"):
        _run(tmp_path / "nope.smi")
