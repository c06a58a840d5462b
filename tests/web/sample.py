"""A small, realistic registry for the site's tests: real names, structures and dates.

Fentanyl stays a medical narcotic drug across the 2025 reorganisation; carfentanil moves from
the 2013 narcotic list to the non-medical list; 5F-ADB and α-PVP are new psychoactive
substances; the fentanyl-related substances are controlled as a whole class from 2019-05-01.
"""

import datetime
from types import SimpleNamespace

from registry import services
from registry.models import Schedule
from substances.models import Name
from tests.factories import (
    TEST_ACTOR,
    InstrumentFactory,
    JurisdictionFactory,
    ListingFactory,
    NameFactory,
    ScheduleFactory,
    SubstanceFactory,
)

FENTANYL_SMILES = "CCC(=O)N(c1ccccc1)C1CCN(CCc2ccccc2)CC1"
CARFENTANIL_SMILES = "CCC(=O)N(c1ccccc1)C1(C(=O)OC)CCN(CCc2ccccc2)CC1"
ADB_SMILES = "CC(C)(C)[C@@H](C(=O)OC)NC(=O)c1nn(CCCCCF)c2ccccc12"
PVP_SMILES = "CCCC(N1CCCC1)C(=O)c1ccccc1"
# An analogue named on no list: fentanyl with a fluorine on the anilide ring (para-fluorofentanyl
# is listed in reality; here it stands for "a new analogue" and is not entered).
ANALOGUE_SMILES = "CCC(=O)N(c1ccc(F)cc1)C1CCN(CCc2ccccc2)CC1"

D2014 = datetime.date(2014, 1, 1)
D2015 = datetime.date(2015, 10, 1)
D2019 = datetime.date(2019, 5, 1)
D2025 = datetime.date(2025, 7, 28)


def build_sample() -> SimpleNamespace:
    cn = JurisdictionFactory(code="CN", uid="cn", name="China", name_zh="中国")
    narcotic_2013 = ScheduleFactory(
        jurisdiction=cn,
        uid="cn-narcotic-2013",
        code="CN-NARC-2013",
        name="Catalogue of Narcotic Drugs (2013 edition)",
        name_zh="麻醉药品品种目录（2013年版）",
        regime=Schedule.Regime.NARCOTIC,
        sort_order=10,
    )
    nonmedical_2015 = ScheduleFactory(
        jurisdiction=cn,
        uid="cn-nonmedical-2015",
        code="CN-NONMED-2015",
        name="Supplementary List of Controlled Non-medical Substances",
        name_zh="非药用类麻醉药品和精神药品管制品种增补目录",
        regime=Schedule.Regime.NONMEDICAL,
        sort_order=40,
    )
    narcotic_2025 = ScheduleFactory(
        jurisdiction=cn,
        uid="cn-narcotic-2025",
        code="CN-NARC-2025",
        name="Catalogue of Medical Narcotic Drugs (2025 edition)",
        name_zh="药用类麻醉药品目录（2025年版）",
        regime=Schedule.Regime.NARCOTIC,
        sort_order=50,
    )
    nonmedical_2025 = ScheduleFactory(
        jurisdiction=cn,
        uid="cn-nonmedical-2025",
        code="CN-NONMED-2025",
        name="Catalogue of Non-medical Narcotic Drugs and Psychotropic Substances",
        name_zh="非药用类麻醉药品和精神药品目录",
        regime=Schedule.Regime.NONMEDICAL,
        sort_order=80,
    )
    notice_2013 = InstrumentFactory(
        jurisdiction=cn,
        uid="cn-2013-230",
        reference="食药监药化监〔2013〕230号",
        title_en="Notice issuing the 2013 catalogues",
        title_zh="关于公布麻醉药品和精神药品品种目录的通知",
        published_on=datetime.date(2013, 11, 11),
        effective_on=D2014,
    )
    measures_2015 = InstrumentFactory(
        jurisdiction=cn,
        uid="cn-2015-27",
        reference="公通字〔2015〕27号",
        title_en="Measures on non-medical substances, with the Supplementary List",
        title_zh="非药用类麻醉药品和精神药品列管办法",
        published_on=datetime.date(2015, 9, 24),
        effective_on=D2015,
    )
    fentanyl_class_2019 = InstrumentFactory(
        jurisdiction=cn,
        uid="cn-2019-fentanyls",
        reference="no number found (joint announcement of 2019-04-01)",
        title_en="Announcement adding fentanyl-related substances as a class",
        title_zh="关于将芬太尼类物质列入增补目录的公告",
        published_on=datetime.date(2019, 4, 1),
        effective_on=D2019,
    )
    reorganisation = InstrumentFactory(
        jurisdiction=cn,
        uid="cn-2025-55",
        reference="2025年第55号",
        title_en="Announcement issuing the 2025 catalogues",
        title_zh="关于发布2025年版目录的公告",
        published_on=D2025,
        effective_on=D2025,
    )
    fentanyl = SubstanceFactory(
        uid="fentanyl",
        name_en="Fentanyl",
        name_zh="芬太尼",
        cas="437-38-7",
        smiles=FENTANYL_SMILES,
    )
    carfentanil = SubstanceFactory(
        uid="carfentanil",
        name_en="Carfentanil",
        name_zh="卡芬太尼",
        cas="59708-52-0",
        smiles=CARFENTANIL_SMILES,
    )
    adb = SubstanceFactory(
        uid="5f-adb",
        name_en="5F-ADB",
        name_zh="5F-ADB",
        cas="1715016-75-3",
        smiles=ADB_SMILES,
    )
    pvp = SubstanceFactory(
        uid="alpha-pvp",
        name_en="α-PVP",
        name_zh="α-吡咯烷基苯戊酮",
        cas="14530-33-7",
        smiles=PVP_SMILES,
    )
    NameFactory(substance=adb, name="5F-MDMB-PINACA", language=Name.Language.UNDETERMINED)
    NameFactory(substance=pvp, name="alpha-Pyrrolidinovalerophenone")
    NameFactory(substance=pvp, name="Flakka", kind=Name.Kind.STREET)
    NameFactory(substance=fentanyl, name="芬太尼碱", language=Name.Language.CHINESE)

    fentanyl_2013 = ListingFactory(
        schedule=narcotic_2013,
        substance=fentanyl,
        effective_from=D2014,
        listed_by=notice_2013,
        item_number="47",
    )
    carfentanil_2013 = ListingFactory(
        schedule=narcotic_2013,
        substance=carfentanil,
        effective_from=D2014,
        listed_by=notice_2013,
        item_number="8",
    )
    adb_2015 = ListingFactory(
        schedule=nonmedical_2015,
        substance=adb,
        effective_from=D2015,
        listed_by=measures_2015,
    )
    pvp_2015 = ListingFactory(
        schedule=nonmedical_2015,
        substance=pvp,
        effective_from=D2015,
        listed_by=measures_2015,
    )
    fentanyls = services.define_class(
        actor=TEST_ACTOR,
        uid="class-fentanyls",
        name_en="Fentanyl-related substances",
        name_zh="芬太尼类物质",
        definition_zh="芬太尼类物质是指化学结构与芬太尼相比，符合以下一个或多个条件的物质。",
        definition_en="Substances whose structure, compared with fentanyl, meets one or more "
        "of the following conditions.",
        notes="The rules require the N-phenyl-N-(piperidin-4-yl)amide core.",
        reference_smiles=FENTANYL_SMILES,
        rules=[
            {
                "label": "anilidopiperidine",
                "kind": "include",
                "smarts": "O=C[NX3](c1ccccc1)C1CCNCC1",
                "explanation": "the amide, the phenyl and the piperidine of fentanyl",
            }
        ],
    )
    class_2019 = services.list_substance(
        schedule=nonmedical_2015,
        instrument=fentanyl_class_2019,
        effective_from=D2019,
        substance_class=fentanyls,
        actor=TEST_ACTOR,
    )
    for listing, target in (
        (fentanyl_2013, narcotic_2025),
        (carfentanil_2013, nonmedical_2025),
        (adb_2015, nonmedical_2025),
        (pvp_2015, nonmedical_2025),
        (class_2019, nonmedical_2025),
    ):
        services.reschedule(
            listing=listing,
            to_schedule=target,
            instrument=reorganisation,
            effective_on=D2025,
            actor=TEST_ACTOR,
        )
    return SimpleNamespace(**locals())
