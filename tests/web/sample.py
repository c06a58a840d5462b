"""A small, realistic registry for the site's tests: real names, structures and dates.

Fentanyl stays a medical narcotic drug across the 2025 reorganisation; carfentanil moves from
the 2013 narcotic list to the non-medical list; 5F-ADB and α-PVP are new psychoactive
substances; the fentanyl-related substances are controlled as a whole class from 2019-05-01.
"""

import datetime
from types import SimpleNamespace

from registry import services
from registry.models import Schedule
from substances.models import Name, Relation
from tests.factories import (
    TEST_ACTOR,
    InstrumentFactory,
    JurisdictionFactory,
    ListingFactory,
    NameFactory,
    RelationFactory,
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


KETAMINE_SMILES = "CNC1(CCCCC1=O)c1ccccc1Cl"
AMFETAMINE_SMILES = "CC(N)Cc1ccccc1"
LEVAMFETAMINE_SMILES = "C[C@@H](N)Cc1ccccc1"
D1964 = datetime.date(1964, 12, 13)
D1971 = datetime.date(1971, 5, 1)
D1999 = datetime.date(1999, 8, 12)
D2020 = datetime.date(2020, 3, 2)
D2024 = datetime.date(2024, 7, 1)


def build_three_jurisdictions() -> SimpleNamespace:
    """The sample, with the UN's and the US's lists beside China's: fentanyl on all three,
    ketamine in China and the US (with its DEA code) but not the UN, dextromethorphan in China
    only, levamfetamine reached as a stereoisomer of amfetamine; acts cited by an English
    reference with a Chinese title (a CND decision without a known number, a DEA action whose
    Federal Register citation is not identified)."""
    sample = build_sample()
    cn = sample.cn
    un = JurisdictionFactory(
        code="UN",
        uid="un",
        name="United Nations (international conventions)",
        name_zh="联合国（国际公约）",
        records_from=D1964,
    )
    us = JurisdictionFactory(
        code="US",
        uid="us",
        name="United States (federal)",
        name_zh="美国（联邦）",
        records_from=D1971,
    )
    psy1_2025 = ScheduleFactory(
        jurisdiction=cn,
        uid="cn-psychotropic-1-2025",
        code="CN-PSY1-2025",
        name="Catalogue of Medical Psychotropic Substances (2025 edition), Class I",
        name_zh="药用类精神药品目录（2025年版）第一类",
        regime=Schedule.Regime.PSYCHOTROPIC,
        sort_order=60,
    )
    psy2_2025 = ScheduleFactory(
        jurisdiction=cn,
        uid="cn-psychotropic-2-2025",
        code="CN-PSY2-2025",
        name="Catalogue of Medical Psychotropic Substances (2025 edition), Class II",
        name_zh="药用类精神药品目录（2025年版）第二类",
        regime=Schedule.Regime.PSYCHOTROPIC,
        sort_order=70,
    )
    un_1961_i = ScheduleFactory(
        jurisdiction=un,
        uid="un-1961-i",
        code="UN-1961-I",
        name="Schedule I of the Single Convention on Narcotic Drugs, 1961",
        name_zh="《1961年麻醉品单一公约》附表一",
        regime=Schedule.Regime.NARCOTIC,
        sort_order=10,
    )
    us_ii = ScheduleFactory(
        jurisdiction=us,
        uid="us-schedule-ii",
        code="US-II",
        name="Schedule II (21 CFR 1308.12)",
        name_zh="附表二",
        regime=Schedule.Regime.CONTROLLED,
        sort_order=20,
    )
    us_iii = ScheduleFactory(
        jurisdiction=us,
        uid="us-schedule-iii",
        code="US-III",
        name="Schedule III (21 CFR 1308.13)",
        name_zh="附表三",
        regime=Schedule.Regime.CONTROLLED,
        sort_order=30,
    )
    single_convention = InstrumentFactory(
        jurisdiction=un,
        uid="un-1961-convention",
        reference="UN Treaty Series vol. 520, No. 7515",
        title_en="Single Convention on Narcotic Drugs, 1961",
        title_zh="1961年麻醉品单一公约",
        published_on=D1964,
        effective_on=D1964,
    )
    cnd_decision = InstrumentFactory(
        jurisdiction=un,
        uid="un-cnd-63-1971-4-cmc",
        reference="CND 63 (2020), decision number not confirmed",
        title_en="CND decision placing 4-CMC in Schedule II of the 1971 Convention",
        title_zh="麻醉药品委员会决定：将4-氯甲卡西酮列入《1971年精神药物公约》附表二",
        published_on=D2020,
        effective_on=D2020,
    )
    dea_1971 = InstrumentFactory(
        jurisdiction=us,
        uid="us-cfr-history-1971-05-01",
        reference="DEA scheduling action in force on 1971-05-01 (FR citation not identified)",
        title_en="Federal scheduling in force on 1971-05-01",
        title_zh="1971年5月1日生效的美国联邦列管行动（联邦公报出处未查明）",
        published_on=D1971,
        effective_on=D1971,
    )
    dea_1999 = InstrumentFactory(
        jurisdiction=us,
        uid="us-64-fr-37673",
        reference="64 FR 37673",
        title_en="Placement of ketamine into Schedule III",
        title_zh="将氯胺酮列入附表三",
        published_on=datetime.date(1999, 7, 13),
        effective_on=D1999,
    )
    cn_2024 = InstrumentFactory(
        jurisdiction=cn,
        uid="cn-2024-dextromethorphan",
        reference="2024年第1号",
        title_en="Announcement adding dextromethorphan to Class II",
        title_zh="关于将右美沙芬列入第二类精神药品的公告",
        published_on=datetime.date(2024, 4, 30),
        effective_on=D2024,
    )
    ketamine = SubstanceFactory(
        uid="ketamine", name_en="Ketamine", name_zh="氯胺酮", smiles=KETAMINE_SMILES
    )
    dextromethorphan = SubstanceFactory(
        uid="dextromethorphan", name_en="Dextromethorphan", name_zh="右美沙芬"
    )
    amfetamine = SubstanceFactory(
        uid="amfetamine", name_en="Amfetamine", name_zh="苯丙胺", smiles=AMFETAMINE_SMILES
    )
    levamfetamine = SubstanceFactory(
        uid="levamfetamine",
        name_en="Levamfetamine",
        name_zh="左苯丙胺",
        smiles=LEVAMFETAMINE_SMILES,
    )
    RelationFactory(
        subject=levamfetamine, kind=Relation.Kind.FORM_OF, form="stereoisomer", target=amfetamine
    )
    ListingFactory(
        schedule=psy1_2025,
        substance=ketamine,
        effective_from=D2025,
        listed_by=sample.reorganisation,
    )
    ListingFactory(
        schedule=us_iii,
        substance=ketamine,
        effective_from=D1999,
        listed_by=dea_1999,
        attributes={"dea_code": "7285"},
    )
    ListingFactory(
        schedule=psy2_2025, substance=dextromethorphan, effective_from=D2024, listed_by=cn_2024
    )
    ListingFactory(
        schedule=psy1_2025,
        substance=amfetamine,
        effective_from=D2025,
        listed_by=sample.reorganisation,
    )
    ListingFactory(
        schedule=us_ii,
        substance=amfetamine,
        effective_from=D1971,
        listed_by=dea_1971,
        attributes={"dea_code": "1100"},
    )
    ListingFactory(
        schedule=un_1961_i,
        substance=sample.fentanyl,
        effective_from=D1964,
        listed_by=single_convention,
    )
    ListingFactory(
        schedule=us_ii,
        substance=sample.fentanyl,
        effective_from=D1971,
        listed_by=dea_1971,
        attributes={"dea_code": "9801"},
    )
    added = {name: value for name, value in locals().items() if name != "sample"}
    return SimpleNamespace(**(vars(sample) | added))
