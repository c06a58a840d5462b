"""Phrases of the registry's data, and of the chemistry, that the Chinese pages show translated.

The lists' scope clauses are written in English from the footnotes' small vocabulary; each is
marked here so that `makemessages` keeps its translation in locale/ (registry.web.templatetags
.web.scope_text looks them up, clause by clause). A clause not listed here is shown as written.

The chemistry (substances.chemistry) says in English why it cannot read a structure, and the
check and the search pass its reason on as they get it, alone or inside a sentence of their own
("not a parsable structure either: unparseable SMILES: ..."). `chemistry_reasons` finds each
known form of these reasons in a text and puts it in the language in use; a form not known here
stays as written.
"""

import re

from django.utils.translation import gettext, gettext_noop

SCOPE_CLAUSES = [
    gettext_noop("salts, stereoisomers and their salts"),
    gettext_noop("salts, optical isomers and their salts"),
    gettext_noop("salts, single-ingredient preparations and isomers"),
    gettext_noop("salts, single-ingredient preparations, isomers, esters and ethers"),
    gettext_noop("also esters and ethers and their salts and stereoisomers"),
    gettext_noop("salts, single-ingredient preparations and stereoisomers"),
    gettext_noop("salts where their existence is possible"),
    gettext_noop("salts (annex note 1: salts of Category I and II substances are also controlled)"),
    gettext_noop("salts, single-ingredient preparations, stereoisomers, esters and ethers"),
    gettext_noop("no salt clause (annex note 1 covers Categories I and II only)"),
    gettext_noop("whole class by structural definition"),
    gettext_noop("substances listed by name stay under their own entries"),
    gettext_noop("salts"),
    gettext_noop(
        "pharmaceutical-type precursor (annex note 2, marked *): raw material and "
        "single-ingredient preparations"
    ),
    gettext_noop("compound oral solid preparations of buprenorphine and naloxone"),
    gettext_noop("compound preparations containing diphenoxylate"),
    gettext_noop("compound preparations containing tramadol"),
    gettext_noop("salts where their existence is possible (salts of this acid excluded)"),
    gettext_noop("acid and its esters"),
    gettext_noop("esters"),
    gettext_noop(
        "codeine-containing compound oral liquid preparations, including oral solutions and syrups"
    ),
    gettext_noop("midazolam active substance (including salts and isomers) and injections"),
    gettext_noop(
        "midazolam single-ingredient preparations other than the active substance and injections"
    ),
    # The UN and US lists' clauses, and Chinese entries' own wording, as the data has them.
    gettext_noop(
        "the salts, isomers and salts of isomers (for 1308.11(d) "
        "hallucinogens: optical, positional and geometric isomers), "
        "and for opiates (1308.11(b)) also esters and ethers, "
        "whenever their existence is possible"
    ),
    gettext_noop("the salts of the substances, whenever their existence is possible"),
    gettext_noop("the salts, isomers and salts of isomers as the paragraph says"),
    gettext_noop("esters and ethers only if they promote muscle growth (the 1990 definition)"),
    gettext_noop(
        "the salts, esters and ethers (21 CFR 1308.13(f) and 21 U.S.C. 802(41)(A) since 2005-01-20)"
    ),
    gettext_noop(
        "an isomer only as a drug chemically and pharmacologically related to testosterone"
    ),
    gettext_noop(
        "the isomers (unless specifically excepted), esters and "
        "ethers (unless in another Schedule), and the salts of all of "
        "these, whenever their existence is possible"
    ),
    gettext_noop("dextromethorphan and dextrorphan are specifically excluded from the Schedule"),
    gettext_noop(
        "the salts, isomers, esters and ethers as the paragraph says "
        "(for coca and cocaine: optical and geometric isomers)"
    ),
    gettext_noop("stereoisomers as the Schedule specifies"),
    gettext_noop("the salts, optical isomers and salts of optical isomers (21 CFR 1310.02(a))"),
    gettext_noop(
        "a Schedule IV drug is also in Schedule I and subject to the special measures of art. 2(5)"
    ),
    gettext_noop("the salts (21 CFR 1310.02(b))"),
    gettext_noop(
        "the isomers (unless specifically excepted) and their salts, "
        "whenever their existence is possible"
    ),
    gettext_noop("the preparations as described (limits per dosage unit or concentration)"),
    gettext_noop("the salts as the paragraph says"),
    gettext_noop("preparations within the stated limits"),
    gettext_noop("and its salts (21 CFR 1310.02(a))"),
    gettext_noop("and its optical and geometric isomers (21 CFR 1310.02(a))"),
    gettext_noop(
        "and its salts, optical and geometric isomers, and salts of isomers (21 CFR 1310.02(a))"
    ),
    gettext_noop("and its optical isomers (21 CFR 1310.02(a))"),
    gettext_noop("and its amides, its carbamates, and its salts"),
    gettext_noop("from 2023-11-30 also its halides (21 CFR 1310.02(a))"),
    gettext_noop(
        "as a carbamate of 4-piperidone (88 FR 21902: 4-piperidone, its acetals, amides, "
        "carbamates and salts)"
    ),
    gettext_noop("specifically listed from 2025-10-02 (FR Doc 2025-19349)"),
    gettext_noop("its salts and optical isomers (21 U.S.C. 802(34) as amended in 1990)"),
    gettext_noop(
        "D-lysergic acid, its salts and optical isomers (21 U.S.C. 802(34) as amended in 1990)"
    ),
    gettext_noop(
        "compound oral solids with more than 5 mg oxycodone base per "
        "dosage unit and no other narcotic, psychotropic or "
        "pharmaceutical precursor ingredient"
    ),
    gettext_noop(
        "compound oral solids with at most 5 mg oxycodone base per "
        "dosage unit and no other narcotic, psychotropic or "
        "pharmaceutical precursor ingredient"
    ),
    gettext_noop(
        "compound oral solids with more than 5 mg hydrocodone base "
        "per dosage unit and no other narcotic, psychotropic or "
        "pharmaceutical precursor ingredient"
    ),
    gettext_noop(
        "compound oral solids with at most 5 mg hydrocodone base per "
        "dosage unit and no other narcotic, psychotropic or "
        "pharmaceutical precursor ingredient"
    ),
    gettext_noop("dextrorphan, the other isomer, is specifically excluded from Schedule I"),
    gettext_noop("dextromethorphan, the other isomer, is specifically excluded from Schedule I"),
    gettext_noop(
        "dextromethorphan ((+)-3-methoxy-N-methylmorphinan) is "
        "specifically excluded from Schedule I and is not covered by "
        "this entry"
    ),
    gettext_noop(
        "dextrorphan ((+)-3-hydroxy-N-methylmorphinan) is "
        "specifically excluded from Schedule I and is not covered by "
        "this entry"
    ),
    gettext_noop("open-ended: '等' (etc.) covers other ephedrine-type substances"),
    gettext_noop(
        "the stereoisomers of the named members are read as such substances (racephedrine, a "
        "named member, is the racemate of ephedrine and its enantiomer)"
    ),
    gettext_noop(
        "its acetals, its amides, its carbamates, its salts, and salts of its acetals, amides "
        "and carbamates, and any combination thereof (21 CFR 1310.02(a))"
    ),
    gettext_noop("the derivatives are the class class-us-4-piperidone-acetals-amides-carbamates"),
    gettext_noop(
        "4-piperidone, its acetals, its amides, its carbamates, and any combination thereof, "
        "as a structure-defined group"
    ),
    gettext_noop(
        "4-AP, its amides and its carbamates, as a structure-defined group (either nitrogen)"
    ),
    gettext_noop(
        'halides of 4-AP, and their amides and carbamates ("any combination thereof"), as a '
        "structure-defined group"
    ),
    gettext_noop("salts (21 CFR 1310.02(a))"),
    gettext_noop('entry reads "布托啡诺及其注射剂" (substance and its injection)'),
    gettext_noop('entry reads "地佐辛及其注射剂" (substance and its injection)'),
    gettext_noop('entry reads "纳布啡及其注射剂" (substance and its injection)'),
    gettext_noop("substances not otherwise controlled in any schedule"),
    gettext_noop("their isomers, esters, ethers, salts and salts of isomers, esters and ethers"),
    gettext_noop(
        "acid and its methyl ester from 2019 (the methyl ester is also a separate entry here)"
    ),
    gettext_noop("other esters see pmk-glycidic-acid-esters"),
    gettext_noop(
        "在中国境内批准上市的含依托咪酯的药品制剂除外 (etomidate medicines approved for "
        "marketing in China excepted)"
    ),
    gettext_noop(
        "acid and its methyl, ethyl, propyl, isopropyl, butyl, "
        "isobutyl, sec-butyl and tert-butyl esters, optical isomers "
        "included"
    ),
    gettext_noop(
        "methyl, ethyl, propyl, isopropyl, butyl, isobutyl, sec-butyl "
        "and tert-butyl esters and their optical isomers"
    ),
    gettext_noop("unless specifically exempted or listed in another schedule"),
    gettext_noop("salts, isomers and salts of isomers"),
    gettext_noop(
        "entry reads 芽子碱，及其易转化为芽子碱和可卡因的衍生物 (and its derivatives "
        "convertible to ecgonine and cocaine)"
    ),
    gettext_noop(
        "entry reads 吗啡甲溴化物，及其他五价氮吗啡衍生物"
        "(特别是吗啡-N-氧化物的衍生物，例如可待因-N-氧化物) "
        "(and other pentavalent-nitrogen morphine derivatives, in "
        "particular the morphine-N-oxide derivatives, e.g. "
        "codeine-N-oxide)"
    ),
    # The US lists' scopes of the cannabis entries and the structure-defined precursor groups.
    gettext_noop(
        'the salts, as 1308.14(b) says of its narcotic drugs ("or their salts"): not its isomers'
    ),
    # The US entries whose paragraph or entry names salts and no isomers, or its own isomers.
    gettext_noop(
        'the salts, as 1308.13(e) says of its narcotic drugs ("or their salts"): not its isomers'
    ),
    gettext_noop('the salts, as 1308.14(g) says ("including its salts"): not its isomers'),
    gettext_noop(
        'the salts, as 1308.14(g) says ("including its salts"), and the optical isomers its '
        'entry names ("Butorphanol (including its optical isomers)")'
    ),
    gettext_noop("the salts, isomers and salts of isomers, as 1308.15(d) says"),
    gettext_noop("an isomer is the optical isomer (21 CFR 1300.01)"),
    gettext_noop(
        'the salts, as compounds that contain it (1308.13(c): "any material, compound, '
        'mixture, or preparation which contains any quantity of"): not its isomers, which '
        "neither the paragraph nor its entry names"
    ),
    gettext_noop(
        "the salts, as the drug by whatever name it is designated (1308.13(a)): not its "
        'isomers, which its entry ("Nalorphine", 1308.13(d)) does not name'
    ),
    gettext_noop(
        "the salts, isomers and salts of isomers, as the rule that placed it says (72 FR 24532)"
    ),
    gettext_noop(
        'the salts, and the optical isomers its entry names ("Eluxadoline (...) (including its '
        'optical isomers) and its salts, isomers, and salts of isomers")'
    ),
    gettext_noop(
        "the salts, isomers (whether optical, position, or geometric) and salts of such isomers, "
        "as 1308.14(d) said"
    ),
    gettext_noop(
        'the salts, and the esters and ethers as derivatives of an opiate (1308.12(b)(1): "Opium '
        'and opiate, and any salt, compound, derivative, or preparation of opium or opiate")'
    ),
    gettext_noop(
        "its isomers only as opiates, or compounds or derivatives of opium or an opiate, "
        "themselves: the paragraph names no isomers"
    ),
    gettext_noop(
        "its isomers, esters, ethers, salts, and salts of isomers, esters, and ethers, as its "
        "entry says"
    ),
    # The US anabolic steroids by their definition, as a class with a condition.
    gettext_noop(
        "any drug or hormonal substance chemically and pharmacologically related to testosterone, "
        "other than estrogens, progestins and corticosteroids (from 2005-01-20 also "
        "dehydroepiandrosterone), and its salts, esters and ethers"
    ),
    gettext_noop("only on that condition, which a structure cannot show"),
    # Dehydroepiandrosterone under the definition of 1990 (1991-02-27 to 2005-01-19).
    gettext_noop(
        "any drug or hormonal substance chemically and pharmacologically related to testosterone, "
        "other than estrogens, progestins and corticosteroids, that promotes muscle growth"
    ),
    gettext_noop(
        "hemp as Pub. L. 119-37 defines it (total THC not more than 0.3 %, no cannabinoid "
        "synthesized outside the plant) cannot be the pure compound"
    ),
    gettext_noop(
        "tetrahydrocannabinols of the plant, their synthetic equivalents, and synthetic "
        "substances, derivatives and isomers of similar structure and pharmacological activity"
    ),
    gettext_noop("not hemp (7 U.S.C. 1639o)"),
    gettext_noop(
        "as '6 cis or trans tetrahydrocannabinol' of 21 CFR 1308.11(d)(31), a named example of the "
        "tetrahydrocannabinols"
    ),
    gettext_noop(
        "as '3, 4 cis or trans tetrahydrocannabinol' of 21 CFR 1308.11(d)(31), a named example "
        "of the tetrahydrocannabinols"
    ),
    gettext_noop("as '6 cis or trans tetrahydrocannabinol' of 21 CFR 1308.11(d)(31)"),
    gettext_noop("as '3, 4 cis or trans tetrahydrocannabinol' of 21 CFR 1308.11(d)(31)"),
    gettext_noop("only CB1 receptor agonists shown by binding studies and functional assays"),
    gettext_noop("delta-9-tetrahydrocannabinol and its stereochemical variants"),
    gettext_noop("acid and its esters, as a structure-defined group (any ester matched)"),
    gettext_noop(
        "acid and its esters, as a structure-defined group (any ester matched, EAPA included)"
    ),
    # The US schedule III entry of the derivatives of barbituric acid, as a class.
    gettext_noop(
        "any substance which contains any quantity of a derivative of barbituric acid, or any "
        "salt of one"
    ),
    gettext_noop("unless listed in another schedule"),
    gettext_noop("esters, as a structure-defined group (any ester matched)"),
    gettext_noop(
        "acid and its methyl, ethyl, propyl, isopropyl, butyl, isobutyl, sec-butyl and tert-butyl "
        "esters, optical isomers included, as a structure-defined group"
    ),
    gettext_noop(
        "methyl, ethyl, propyl, isopropyl, butyl, isobutyl, sec-butyl and tert-butyl esters and "
        "their optical isomers, as a structure-defined group"
    ),
]


# RDKit's own words for what is wrong, which the chemistry's reasons quote after a colon.
_UNTIL_END = r"(?=$|[;；)）])"  # a quoted detail ends with its sentence or its bracket
_DETAILS = [
    (re.compile(r"^syntax error$"), gettext_noop("syntax error")),
    (re.compile(r"^extra open parentheses$"), gettext_noop("extra open parentheses")),
    (re.compile(r"^extra close parentheses$"), gettext_noop("extra close parentheses")),
    (re.compile(r"^unclosed ring$"), gettext_noop("unclosed ring")),
    (
        re.compile(
            r"^explicit valence for atom # (?P<atom>\d+) (?P<element>[A-Za-z*]+), "
            r"(?P<valence>\d+), is greater than permitted$"
        ),
        gettext_noop(
            "explicit valence for atom # %(atom)s %(element)s, %(valence)s, is greater than "
            "permitted"
        ),
    ),
    (
        re.compile(r"^can't kekulize mol\. Unkekulized atoms: (?P<atoms>[\d ]+)$"),
        gettext_noop("can't kekulize mol. Unkekulized atoms: %(atoms)s"),
    ),
    (
        re.compile(r"^non-ring atom (?P<atom>\d+) marked aromatic$"),
        gettext_noop("non-ring atom %(atom)s marked aromatic"),
    ),
]

# The forms of the chemistry's reasons (substances.chemistry.ChemistryError), the most specific
# first: "SMARTS too long" before "too long". A `what` group is a detail of RDKit's (_DETAILS).
_REASONS = [
    (
        re.compile(
            r"unparseable (?P<kind>SMILES|SMARTS|molfile): (?P<what>[^;；()（）]+?) "
            r"at position (?P<position>\d+)" + _UNTIL_END
        ),
        gettext_noop("unparseable %(kind)s: %(what)s at position %(position)s"),
    ),
    (
        re.compile(r"unparseable (?P<kind>SMILES|SMARTS|molfile) at position (?P<position>\d+)"),
        gettext_noop("unparseable %(kind)s at position %(position)s"),
    ),
    (
        re.compile(
            r"(?P<verb>unparseable|invalid) (?P<kind>SMILES|SMARTS|molfile): "
            r"(?P<what>[^;；()（）]+?)" + _UNTIL_END
        ),
        None,  # "unparseable ...: ..." or "invalid ...: ...", below
    ),
    (
        re.compile(r"unparseable (?P<kind>SMILES|SMARTS|molfile)"),
        gettext_noop("unparseable %(kind)s"),
    ),
    (re.compile(r"invalid (?P<kind>molfile)"), gettext_noop("invalid %(kind)s")),
    (
        re.compile(r"SMARTS too long: (?P<count>\d+) characters, limit (?P<limit>\d+)"),
        gettext_noop("SMARTS too long: %(count)s characters, limit %(limit)s"),
    ),
    (
        re.compile(r"SMARTS too large: (?P<count>\d+) atoms, limit (?P<limit>\d+)"),
        gettext_noop("SMARTS too large: %(count)s atoms, limit %(limit)s"),
    ),
    (re.compile(r"empty SMARTS"), gettext_noop("empty SMARTS")),
    (re.compile(r"not a SMARTS string"), gettext_noop("not a SMARTS string")),
    (re.compile(r"not a SMILES string"), gettext_noop("not a SMILES string")),
    (
        re.compile(r"too large: (?P<count>\d+) heavy atoms, limit (?P<limit>\d+)"),
        gettext_noop("too large: %(count)s heavy atoms, limit %(limit)s"),
    ),
    (
        re.compile(r"too long: (?P<count>\d+) characters, limit (?P<limit>\d+)"),
        gettext_noop("too long: %(count)s characters, limit %(limit)s"),
    ),
    (re.compile(r"empty structure: no atoms"), gettext_noop("empty structure: no atoms")),
    (
        re.compile(r"not a complete structure: contains a wildcard atom \(\*\)"),
        gettext_noop("not a complete structure: contains a wildcard atom (*)"),
    ),
    (
        re.compile(
            r"no such isotope: mass (?P<mass>\d+) for (?P<element>\w+) \(atom (?P<atom>\d+)\)"
        ),
        gettext_noop("no such isotope: mass %(mass)s for %(element)s (atom %(atom)s)"),
    ),
    (
        re.compile(r"no such isotope: mass (?P<mass>-?\d+) for (?P<element>\w+)(?! \(atom)"),
        gettext_noop("no such isotope: mass %(mass)s for %(element)s"),
    ),
    (
        re.compile(r"no such isotope: mass (?P<mass>-?\d+)(?![\d ])"),
        gettext_noop("no such isotope: mass %(mass)s"),
    ),
    (re.compile(r"empty input"), gettext_noop("empty input")),
    (
        re.compile(
            r"substructure search stopped after (?P<seconds>[\d.e+-]+) s: "
            r"pattern too expensive for this structure"
        ),
        gettext_noop(
            "substructure search stopped after %(seconds)s s: pattern too expensive for this "
            "structure"
        ),
    ),
    (
        re.compile(r"substructure search not started: the time budget was spent"),
        gettext_noop("substructure search not started: the time budget was spent"),
    ),
]
_VERB_FORMS = {
    "unparseable": gettext_noop("unparseable %(kind)s: %(what)s"),
    "invalid": gettext_noop("invalid %(kind)s: %(what)s"),
}


def _detail(text: str) -> str:
    for pattern, message in _DETAILS:
        if found := pattern.match(text):
            return gettext(message) % found.groupdict()
    return text


def _say(found: re.Match, message: str | None) -> str:
    words = found.groupdict()
    if message is None:
        message = _VERB_FORMS[words.pop("verb")]
    if "kind" in words:
        words["kind"] = gettext(words["kind"]) if words["kind"] == "molfile" else words["kind"]
    if "what" in words:
        words["what"] = _detail(words["what"])
    return gettext(message) % words


def chemistry_reasons(text: str) -> str:
    """`text` with each known form of the chemistry's reasons in it in the language in use."""
    for pattern, message in _REASONS:
        text = pattern.sub(lambda found, message=message: _say(found, message), text)
    return text


# The bodies that issue the acts, as the data names them (in the language of their own
# jurisdiction), with their names in English and in Chinese. A body not listed here is shown as
# the data names it.
ISSUERS = {
    "Drug Enforcement Administration": ("Drug Enforcement Administration", "美国缉毒局"),
    "Commission on Narcotic Drugs": ("Commission on Narcotic Drugs", "联合国麻醉药品委员会"),
    "Congress of the United States": ("Congress of the United States", "美国国会"),
    "United Nations Conference": ("United Nations Conference", "联合国会议"),
    "United Nations Conference (Vienna)": (
        "United Nations Conference (Vienna)",
        "联合国会议（维也纳）",
    ),
    "公安部": ("Ministry of Public Security", "公安部"),
    "公安部 (and other departments)": (
        "Ministry of Public Security (and other departments)",
        "公安部等部门",
    ),
    "国家卫生健康委": ("National Health Commission", "国家卫生健康委"),
    "国家药监局": ("National Medical Products Administration", "国家药监局"),
    "国家食品药品监督管理总局": ("China Food and Drug Administration", "国家食品药品监督管理总局"),
    "国家食品药品监管总局": ("China Food and Drug Administration", "国家食品药品监管总局"),
    "国家食品药品监督管理局": ("State Food and Drug Administration", "国家食品药品监督管理局"),
    "国家卫生和计划生育委员会": (
        "National Health and Family Planning Commission",
        "国家卫生和计划生育委员会",
    ),
    "国家卫生计生委": ("National Health and Family Planning Commission", "国家卫生计生委"),
    "商务部": ("Ministry of Commerce", "商务部"),
    "海关总署": ("General Administration of Customs", "海关总署"),
    "国务院": ("State Council", "国务院"),
    "国务院办公厅": ("General Office of the State Council", "国务院办公厅"),
    "应急管理部": ("Ministry of Emergency Management", "应急管理部"),
    "卫生部": ("Ministry of Health", "卫生部"),
    "国家安全生产监督管理总局": ("State Administration of Work Safety", "国家安全生产监督管理总局"),
    "国家安全监管总局": ("State Administration of Work Safety", "国家安全监管总局"),
    "国家禁毒委员会办公室": (
        "Office of the National Narcotics Control Commission",
        "国家禁毒委员会办公室",
    ),
}


def issuer_name(name: str, *, chinese: bool) -> str:
    """A body that issued an act, named in the page's language where its name is known."""
    known = ISSUERS.get(name.strip())
    if known is None:
        return name.strip()
    return known[1] if chinese else known[0]
