"""A substance page to cite: links out, structure files, and a citation with the feed position."""

import pytest
from rdkit import Chem

from registry.models import Change

pytestmark = pytest.mark.django_db


def test_links_out_by_inchikey_and_cas(client, sample):
    html = client.get("/substances/fentanyl/").content.decode()
    key = sample.fentanyl.inchikey
    assert f"https://pubchem.ncbi.nlm.nih.gov/#query={key}" in html
    assert f"cas_rn={sample.fentanyl.cas}" in html


def test_cite_line_names_the_day_and_the_feed_position(client, sample):
    html = client.get("/substances/fentanyl/").content.decode()
    cite = html[html.index('id="cite-text"') :][:400]
    assert f"feed position {Change.objects.head()}" in cite
    assert "(fentanyl)" in cite and "http://testserver/substances/fentanyl/" in cite


def test_molfile_and_sd_file_hold_the_structure(client, sample):
    mol = client.get("/substances/fentanyl/mol/")
    assert mol["Content-Type"] == "chemical/x-mdl-molfile"
    read = Chem.MolFromMolBlock(mol.content.decode())
    assert Chem.MolToInchiKey(read) == sample.fentanyl.inchikey
    sdf = client.get("/substances/fentanyl/sdf/").content.decode()
    supplier = Chem.SDMolSupplier()
    supplier.SetData(sdf)
    record = next(iter(supplier))
    assert record.GetProp("uid") == "fentanyl" and record.GetProp("cas") == sample.fentanyl.cas


def test_an_entry_without_structure_has_no_structure_file(client, sample):
    sample.fentanyl.smiles = ""
    sample.fentanyl.save()
    assert client.get("/substances/fentanyl/mol/").status_code == 404
    assert client.get("/substances/no-such/sdf/").status_code == 404
