"""Factories that build registry data in code, through the services (so the feed records it)."""

import datetime

import factory

from registry import services
from registry.models import Instrument, Jurisdiction, Listing, Schedule
from substances.models import Name, PrecursorUse, Relation, Substance, SubstanceClass

TEST_ACTOR = services.Actor.system("tests")


class ServiceFactory(factory.django.DjangoModelFactory):
    """Creates through services.save_resource, like every other write path."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = model_class(*args, **kwargs)
        services.save_resource(obj, actor=TEST_ACTOR)
        return obj


class JurisdictionFactory(ServiceFactory):
    class Meta:
        model = Jurisdiction

    code = "CN"
    uid = factory.LazyAttribute(lambda o: o.code.lower())
    name = "China"
    name_zh = "中国"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """One jurisdiction per code: asking again returns the one made before."""
        existing = model_class.objects.filter(code=kwargs["code"]).first()
        return existing or super()._create(model_class, *args, **kwargs)


class ScheduleFactory(ServiceFactory):
    class Meta:
        model = Schedule

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    code = factory.Sequence(lambda n: f"L{n}")
    uid = factory.LazyAttribute(lambda o: f"cn-list-{o.code.lower()}")
    name = factory.LazyAttribute(lambda o: f"List {o.code}")
    regime = Schedule.Regime.NONMEDICAL
    # As most of China's lists: an entry covers its salts and stereoisomers.
    coverage = factory.LazyFunction(lambda: ["salts", "stereoisomers"])


class InstrumentFactory(ServiceFactory):
    class Meta:
        model = Instrument

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    uid = factory.Sequence(lambda n: f"cn-test-{n}")
    reference = factory.Sequence(lambda n: f"2099年第{n}号")
    title_en = "Announcement"
    published_on = datetime.date(2019, 4, 1)
    effective_on = datetime.date(2019, 5, 1)


class SubstanceFactory(ServiceFactory):
    class Meta:
        model = Substance

    uid = factory.Sequence(lambda n: f"substance-{n}")
    name_en = factory.Sequence(lambda n: f"Substance {n}")
    kind = Substance.Kind.COMPOUND


class NameFactory(ServiceFactory):
    class Meta:
        model = Name

    uid = factory.Sequence(lambda n: f"n-test-{n}")
    substance = factory.SubFactory(SubstanceFactory)
    name = factory.Sequence(lambda n: f"synonym {n}")
    language = Name.Language.ENGLISH


class SubstanceClassFactory(ServiceFactory):
    class Meta:
        model = SubstanceClass

    uid = factory.Sequence(lambda n: f"class-test-{n}")
    name_en = factory.Sequence(lambda n: f"Test class {n}")


class ListingFactory(ServiceFactory):
    class Meta:
        model = Listing

    uid = factory.Sequence(lambda n: f"l-test-{n}")
    schedule = factory.SubFactory(ScheduleFactory)
    substance = factory.SubFactory(SubstanceFactory)
    effective_from = datetime.date(2019, 5, 1)
    # A listing starts on the day its instrument takes effect: the instrument made for it does.
    listed_by = factory.SubFactory(
        InstrumentFactory,
        jurisdiction=factory.SelfAttribute("..schedule.jurisdiction"),
        published_on=factory.SelfAttribute("..effective_from"),
        effective_on=factory.SelfAttribute("..effective_from"),
    )


class PrecursorUseFactory(ServiceFactory):
    class Meta:
        model = PrecursorUse

    uid = factory.Sequence(lambda n: f"pu-test-{n}")
    precursor = factory.SubFactory(SubstanceFactory)
    product = factory.SubFactory(SubstanceFactory)
    role = "precursor"


def api_token(user, scope: str = "write") -> str:
    """A new API token for ``user`` (read-write unless asked), as the client sends it."""
    from registry import tokens

    _record, text = tokens.issue(user=user, scope=scope)
    return text


class RelationFactory(ServiceFactory):
    class Meta:
        model = Relation

    uid = factory.Sequence(lambda n: f"r-test-{n}")
    subject = factory.SubFactory(SubstanceFactory)
    kind = Relation.Kind.FORM_OF
    form = factory.LazyAttribute(lambda o: "salt" if o.kind == Relation.Kind.FORM_OF else "")
    target = factory.SubFactory(SubstanceFactory)
