"""Phrases of the registry's data that the Chinese pages show translated.

The lists' scope clauses are written in English from the footnotes' small vocabulary; each is
marked here so that `makemessages` keeps its translation in locale/ (registry.web.templatetags
.web.scope_text looks them up, clause by clause). A clause not listed here is shown as written.
"""

from django.utils.translation import gettext_noop

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
]
